"""The smallest action: proves the runner path without touching any outside system."""

from __future__ import annotations

from typing import Dict


def hello(name: str = "world") -> Dict[str, str]:
    """A greeting for ``name``."""
    return {"greeting": f"Hello, {name}!"}
