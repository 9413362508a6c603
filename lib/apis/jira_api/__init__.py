"""Jira Service Management API (through the ``jira`` library)."""
