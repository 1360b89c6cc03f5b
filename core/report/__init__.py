"""From stored articles to a ``Report``, in the pipeline's stages.

- ``editing/``: ``cluster`` groups articles into topics; ``editor`` with its ``rules``,
  ``entities`` and ``history`` decides relevance, section, importance and order; ``lexicon``
  holds the word lists both use.
- ``writing/``: ``summarize`` is the ``Summarizer`` protocol and the extractive writer;
  ``llm_writer`` the LLM one, with its ``prompts``, ``llm_replies`` (the answers it accepts) and
  the checks of ``faithful`` and ``instructions``; ``items``, ``sentences``, ``themes``,
  ``overview`` and ``glossary`` are what the writers share.
- ``rendering/``: ``markdown`` renders a report in the sample-reports format; ``labels`` holds
  its fixed words per language.
- ``importing/``: ``files`` is ``aidaily import``; ``reader`` reads the Markdown back, with
  ``meta``, ``items``, ``insight`` and ``inline`` for its parts.

``window`` says which hours a day covers; ``stages`` times the pipeline's stages.
"""
