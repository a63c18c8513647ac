"""nas-dashboard: ``nas results serve``, a live local dashboard of NAS Kernel runs.

Read-only on each run's SQLite store, bound to 127.0.0.1 unless told otherwise, and offline: the
page and its chart library (Chart.js, MIT, vendored in ``static/``) ship inside this package.
"""
__version__ = "0.1.0"
