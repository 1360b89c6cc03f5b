"""The long-running side of AI Daily: delivery workers on a task queue (and, later, ``serve``)."""
