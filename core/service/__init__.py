"""The long-running service behind ``aidaily serve``: the schedule, leadership and the daily run.

``serve.py`` composes it; ``leader.py`` makes one instance the scheduler; ``schedule.py`` is the
APScheduler wiring; ``daily.py`` is the job itself; ``clock.py`` maps a firing to a report day.
"""
