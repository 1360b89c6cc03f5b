"""The web app: subscription pages, the report archive, health and metrics endpoints."""
