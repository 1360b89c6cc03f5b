"""Deciding what the report carries: clustering, relevance, section, importance, order (see core.report)."""
