"""Errors raised while turning action parameters into a lib call."""

from apis.errors import CloudopsError


class ActionRuntimeError(CloudopsError):
    """Base of every failure of the action layer itself."""


class EntryPointError(ActionRuntimeError):
    """The action's ``lib_function`` does not name an importable function."""


class ParameterError(ActionRuntimeError):
    """A parameter cannot be passed to the lib function."""
