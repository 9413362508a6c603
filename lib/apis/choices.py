"""The tail of an error about a bad name: the valid choices, and the closest one."""

import difflib
from typing import Any, Mapping, Optional, Sequence, Tuple, TypeVar

T = TypeVar("T")

MAX_CHOICES = 20


def choices(names: Sequence[str], wanted: str, empty: str = "none") -> str:
    """``valid choices: a, b, c`` (at most 20), with a did-you-mean when one is close."""
    shown = ", ".join(sorted(names)[:MAX_CHOICES]) or empty
    if len(names) > MAX_CHOICES:
        shown += f" and {len(names) - MAX_CHOICES} more"
    hint = difflib.get_close_matches(wanted, list(names), n=1)
    return f"valid choices: {shown}" + (f". Did you mean {hint[0]!r}?" if hint else "")


def by_spelling(spellings: Mapping[str, T], text: Any) -> Tuple[Optional[T], Optional[str]]:
    """``(value, None)`` for the lower-case spelling ``text`` is (blanks around it ignored),
    else ``(None, the closest spelling or None)``."""
    found = spellings.get(str(text).strip().lower())
    if found is not None:
        return found, None
    close = difflib.get_close_matches(str(text).lower(), list(spellings), n=1)
    return None, close[0] if close else None
