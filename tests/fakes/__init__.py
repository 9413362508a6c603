"""Fakes shared by the unit tests."""
