"""``python -m app.cli``: the ``aidaily`` command."""

from app.cli import main

main()
