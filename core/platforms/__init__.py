"""What delivery, the bots and the web app share about each platform they talk to.

``slack_mrkdwn`` (escaping, links, message limits) and ``slack_api`` (one message a second per
channel, 429 retries); ``telegram_html`` (the HTML subset and its limits), ``telegram_split``
(splitting at sentence and word boundaries) and ``telegram_api`` (per chat, group and overall
pace); ``text`` (splitting by any measure without cutting atoms); ``pacing`` (the shared
``Pacer``); ``smtp`` and ``dkim`` (sending and signing mail).
"""
