"""Typed account records built from the pack config.

Accounts are frozen dataclasses. Fields marked with :func:`secret` never appear in ``repr``,
in :meth:`Account.public_view` or in error messages, so an account can be logged safely.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from typing import Any, Dict, Mapping, Optional, Type, TypeVar

from apis.errors import CloudopsError

MASK = "********"
_REQUIRED = "required"
_SECRET = "secret"

AccountT = TypeVar("AccountT", bound="Account")


class AccountConfigError(CloudopsError):
    """An account entry in the pack config is missing a setting or has a bad one."""


class AccountNotFoundError(CloudopsError):
    """An ``*_account`` parameter names no account in the pack config."""


def required(default: Any = None) -> Any:
    """A field the config must provide (dataclass fields after ``name`` need a default)."""
    return dataclasses.field(  # pylint: disable=invalid-field-call
        default=default, metadata={_REQUIRED: True}
    )


def secret(default: Optional[str] = None) -> Any:
    """A field holding a password, token or key: hidden from repr and public views."""
    return dataclasses.field(  # pylint: disable=invalid-field-call
        default=default, repr=False, metadata={_SECRET: True}
    )


def is_secret(field: dataclasses.Field) -> bool:
    """Whether a dataclass field was declared with :func:`secret`."""
    return bool(field.metadata.get(_SECRET))


@dataclasses.dataclass(frozen=True)
class Account:
    """Base of every account: accounts are looked up in the pack config by ``name``."""

    name: str

    KIND: typing.ClassVar[str] = "account"

    @classmethod
    def from_config(cls: Type[AccountT], entry: Mapping[str, Any]) -> AccountT:
        """Build the account from one config entry, naming the account and the bad setting."""
        label = f"{cls.KIND} account {entry.get('name', '<unnamed>')!r}"
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(entry) - set(fields))
        if unknown:
            raise AccountConfigError(
                f"{label}: unknown setting(s) {', '.join(unknown)}; "
                f"valid settings: {', '.join(sorted(fields))}"
            )
        missing = [
            name
            for name, field in fields.items()
            if (name == "name" or field.metadata.get(_REQUIRED)) and entry.get(name) in (None, "")
        ]
        if missing:
            raise AccountConfigError(f"{label}: missing required setting(s) {', '.join(missing)}")
        values = {name: _coerce(label, name, hints[name], value) for name, value in entry.items()}
        return cls(**values)

    def public_view(self) -> Dict[str, Any]:
        """The account as a dict with every secret replaced by a mask (or None when unset)."""
        view: Dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if is_secret(field):
                value = MASK if value else None
            elif isinstance(value, enum.Enum):
                value = value.value
            view[field.name] = value
        return view

    def secret_values(self) -> list:
        """Every secret this account holds, for callers that must scrub text."""
        return [
            getattr(self, f.name)
            for f in dataclasses.fields(self)
            if is_secret(f) and getattr(self, f.name)
        ]


def _coerce(label: str, name: str, hint: Any, value: Any) -> Any:
    enum_type = _enum_in(hint)
    if enum_type is None or value is None or isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        choices = ", ".join(str(member.value) for member in enum_type)
        raise AccountConfigError(
            f"{label}: setting {name}={value!r} is not one of: {choices}"
        ) from None


def _enum_in(hint: Any) -> Optional[Type[enum.Enum]]:
    candidates = typing.get_args(hint) or (hint,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return candidate
    return None


@dataclasses.dataclass(frozen=True)
class HttpAccount(Account):
    """An account for an HTTP API: TLS verification is on unless explicitly turned off."""

    url: str = required()
    username: Optional[str] = None
    password: Optional[str] = secret()
    verify: bool = True
    ca_file: Optional[str] = None
    timeout: float = 30.0

    @property
    def tls_verify(self):
        """The value to pass as ``verify=`` to requests: a CA file path, or a bool."""
        return self.ca_file if (self.verify and self.ca_file) else self.verify
