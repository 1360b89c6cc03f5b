"""The web app: email sign-up with double opt-in, preferences and one-click unsubscribe, the
report archive (pages and an RSS feed), its search page and JSON API (``web.search_page``,
``web.api``, described by ``web.openapi``), ``/healthz`` and ``/metrics``.

``web.app.create_app`` builds the Starlette application from plain arguments (a ``Store``, the
signing key, the public URL, a ``ConfirmationMailer``); ``app.web.run_web`` is the composition
root that builds those from ``Settings`` and serves the app with uvicorn (``aidaily web``).
Other endpoints (the archive, search and API, health and metrics, Slack events, the Telegram
webhook) join through ``extra_routes``.
"""
