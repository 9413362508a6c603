"""Checks shared by the dataclasses that read one section of the pack config."""

from typing import Any, Mapping, Sequence, Type

from apis.errors import CloudopsError


def check_known_keys(
    section: str, given: Mapping[str, Any], valid: Sequence[str], error: Type[CloudopsError]
) -> None:
    """Raise ``error`` naming every key of ``given`` not in ``valid``, and the valid ones."""
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise error(f"{section}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(valid)}")
