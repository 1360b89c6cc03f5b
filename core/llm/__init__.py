"""The OpenAI-compatible client: ``client.py`` is the one module that imports ``openai``;
``schema.py`` turns an answer model into the strict JSON schema a request carries."""
