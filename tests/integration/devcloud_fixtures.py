"""Placeholder: filled in by the integration testbed work."""
