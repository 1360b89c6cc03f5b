"""Benchmark the email newsletter from 1,000 to 20,000 subscribers (the code is in bench/newsletter.py).

    .venv/bin/python -m bench.email [--subscribers 1000,5000,10000,20000] [--connections 4] [--dkim]

Run by path (``python bench/email.py``), a script has ``bench/`` first on ``sys.path``, where
this file would then stand in for the standard library's ``email`` package: the first
``import email.utils`` anywhere (aiosmtplib, our MIME code) would load this script instead. So
before anything else is imported, this directory leaves ``sys.path``; the benchmark itself lives
in a module with another name. Every other benchmark is run as a module (``python -m bench.NAME``)
for the same reason.
"""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # the repository root: `bench` is a package there

from bench.newsletter import main  # noqa: E402  (only once the path is safe)

if __name__ == "__main__":
    main()
