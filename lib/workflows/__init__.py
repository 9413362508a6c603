"""Entry points of actions that compose several apis (plain Python, unit-testable)."""
