"""Edited topics into items: the Summarizer protocol, the extractive and the LLM writers."""
