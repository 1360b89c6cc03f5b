"""The application layer: every composition root of AI Daily, and nothing below imports it.

``cli/`` is the ``aidaily`` command (one module per command group); ``channels.py`` and
``bots.py`` build the delivery adapters and the follow-up bot from settings; ``building.py``
wires the pipeline's two runs; ``service/`` is ``aidaily serve`` and ``aidaily worker``;
``demo/`` is ``aidaily demo`` with its bundled feeds; ``web.py`` assembles the site. Only these
modules read settings (import-linter checks it in ``make test``).
"""
