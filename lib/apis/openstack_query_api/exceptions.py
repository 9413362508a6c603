"""Errors of the query library: each names what was wrong and how to fix it."""

from apis.errors import CloudopsError


class QueryError(CloudopsError):
    """Base of every query library failure."""


class UnknownQueryTypeError(QueryError):
    """A query type name that is not one of the supported resources."""


class UnknownPropertyError(QueryError):
    """A property name that the resource does not have."""


class UnknownPresetError(QueryError):
    """A preset name or alias that is not known."""


class PresetPropertyMismatchError(QueryError):
    """The preset cannot compare a property of that type (e.g. a regex on a number)."""


class PresetArgumentError(QueryError):
    """The preset's arguments are missing, unexpected or malformed (e.g. a bad regex)."""


class QueryChainError(QueryError):
    """The query cannot be chained as asked (no link between the two resources, not run yet)."""


class QueryScopeError(QueryError):
    """The run scope is contradictory or empty (e.g. ``from_projects=[]``)."""
