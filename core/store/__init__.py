"""The store: articles, feeds, topics and reports in SQLite or PostgreSQL, behind ``Store``."""

from core.store.db import StoreError
from core.store.store import Store

__all__ = ["Store", "StoreError"]
