"""Alertmanager API v2 (silences)."""
