"""The pack config's ``migration`` rules: which servers must not move, and drain settings.

Flavors the rules mark as unmovable (GPU/FPGA extra specs, too many vCPUs) are refused with the
property or limit that matched; servers whose names match ``skip_name_patterns`` are skipped.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, Mapping, Optional, Tuple

from apis.openstack_api.migration_errors import MigrationConfigError

DEFAULT_REFUSE_FLAVOR_PROPERTIES = (
    "pci_passthrough:alias",
    "resources:VGPU",
    "resources:PGPU",
    "resources:FPGA",
)
DEFAULT_SKIP_NAME_PATTERNS = ("^amphora-",)


@dataclasses.dataclass(frozen=True)
class FlavorRule:
    """One ``refuse_flavor_properties`` entry: an extra-spec key, optionally ``key=regex``.

    A bare key matches any value but empty and ``0`` (``resources:VGPU=0`` asks for no vGPU).
    """

    key: str
    pattern: Optional[re.Pattern] = None

    @classmethod
    def parse(cls, text: str, where: str) -> "FlavorRule":
        """``key`` or ``key=regex`` (the regex must match the whole value)."""
        key, sep, regex = str(text).partition("=")
        if not key.strip():
            raise MigrationConfigError(f"{where} {text!r} has no extra-spec key")
        return cls(key.strip(), _compile(regex, where) if sep else None)

    def matches(self, extra_specs: Mapping[str, Any]) -> bool:
        """Whether the flavor's extra specs have this key (with a matching value)."""
        if self.key not in extra_specs:
            return False
        value = str(extra_specs[self.key]).strip()
        if self.pattern is None:
            return value not in ("", "0")
        return bool(self.pattern.fullmatch(value))

    def __str__(self) -> str:
        return self.key + (f"={self.pattern.pattern}" if self.pattern else "")


@dataclasses.dataclass(frozen=True)
class MigrationRules:
    """The pack config's ``migration`` object (defaults for every key)."""

    refuse_flavor_properties: Tuple[FlavorRule, ...] = tuple(
        FlavorRule(key) for key in DEFAULT_REFUSE_FLAVOR_PROPERTIES
    )
    max_vcpus: int = 0
    skip_name_patterns: Tuple[re.Pattern, ...] = tuple(
        re.compile(p) for p in DEFAULT_SKIP_NAME_PATTERNS
    )
    drain_concurrency: int = 4
    timeout_seconds: int = 900
    confirm_resize: bool = True

    @classmethod
    def from_config(cls, config: Optional[Mapping[str, Any]]) -> "MigrationRules":
        """Rules from the config object; errors name the bad key."""
        config = dict(config or {})
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(config) - set(valid))
        if unknown:
            raise MigrationConfigError(
                f"migration: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(valid)}"
            )
        values: Dict[str, Any] = {}
        if "refuse_flavor_properties" in config:
            entries = _list(config, "refuse_flavor_properties")
            values["refuse_flavor_properties"] = tuple(
                FlavorRule.parse(e, f"migration.refuse_flavor_properties[{n}]")
                for n, e in enumerate(entries)
            )
        if "skip_name_patterns" in config:
            entries = _list(config, "skip_name_patterns")
            values["skip_name_patterns"] = tuple(
                _compile(e, f"migration.skip_name_patterns[{n}]") for n, e in enumerate(entries)
            )
        for key, minimum in (("max_vcpus", 0), ("drain_concurrency", 1), ("timeout_seconds", 1)):
            if key in config:
                values[key] = _integer(config, key, minimum)
        if "confirm_resize" in config:
            if not isinstance(config["confirm_resize"], bool):
                raise MigrationConfigError(
                    f"migration.confirm_resize must be true or false, "
                    f"not {config['confirm_resize']!r}"
                )
            values["confirm_resize"] = config["confirm_resize"]
        return cls(**values)

    def flavor_refusal(self, flavor) -> Optional[str]:
        """Why a server of this (embedded) flavor must not move, or None."""
        if not getattr(flavor, "original_name", None):
            return "its flavor's extra specs are unknown (compute API older than 2.47)"
        extra_specs = flavor.extra_specs or {}
        for rule in self.refuse_flavor_properties:
            if rule.matches(extra_specs):
                return f"its flavor has extra spec {rule.key}={extra_specs[rule.key]}"
        vcpus = getattr(flavor, "vcpus", None) or 0
        if self.max_vcpus and vcpus > self.max_vcpus:
            return f"its flavor has {vcpus} vCPUs, more than migration.max_vcpus {self.max_vcpus}"
        return None

    def skip_pattern(self, name: Optional[str]) -> Optional[str]:
        """The skip_name_patterns entry a server name matches, or None."""
        for pattern in self.skip_name_patterns:
            if pattern.search(name or ""):
                return pattern.pattern
        return None


def _list(config: Mapping[str, Any], key: str) -> list:
    value = config[key]
    if not isinstance(value, (list, tuple)):
        raise MigrationConfigError(f"migration.{key} must be a list, not {value!r}")
    return list(value)


def _compile(regex: Any, where: str) -> re.Pattern:
    try:
        return re.compile(str(regex))
    except re.error as err:
        raise MigrationConfigError(f"{where}: {regex!r} is not a valid regex: {err}") from None


def _integer(config: Mapping[str, Any], key: str, minimum: int) -> int:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise MigrationConfigError(
            f"migration.{key} must be an integer >= {minimum}, not {value!r}"
        )
    return value
