"""The long-running service: ``aidaily serve`` and the delivery workers.

``serve.py`` composes the service; ``leader.py`` makes one instance the scheduler; ``schedule.py``
is the APScheduler wiring; ``daily.py`` is the job itself; ``clock.py`` maps a firing to a report
day. ``queue.py`` fans a day's delivery out to procrastinate jobs on PostgreSQL, which
``worker.py`` (``aidaily worker``) runs on any number of machines.
"""
