"""Real peer services (and a fake Jira) for the integration tests, started on loopback.

Each service module offers ``running(state_dir)``, a context manager that starts the service on
a free 127.0.0.1 port, yields a dataclass describing it and stops it by PID. Modules import
only the standard library and ``requests`` at import time.
"""
