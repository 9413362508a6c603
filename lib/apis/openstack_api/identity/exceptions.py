"""Errors of the identity and project administration actions."""

from __future__ import annotations

import contextlib
from typing import Iterator

from apis.errors import CloudopsError
from apis.openstack_api.exceptions import OpenStackApiError


class IdentityError(OpenStackApiError):
    """Base of every identity and project administration failure."""


class InvalidParameterError(IdentityError):
    """A parameter has a value the action cannot use."""


class NameNotFoundError(IdentityError):
    """A name or id matches nothing in the cloud."""


class AmbiguousNameError(IdentityError):
    """A name matches resources in several domains."""


class OpenStackRequestError(IdentityError):
    """The cloud refused or failed a request."""


class ProjectProtectedError(IdentityError):
    """The project is tagged immutable or listed in the pack config's protected_projects."""


class ProjectNotEmptyError(IdentityError):
    """The project still owns resources and force was not given."""


class ProjectCreateError(IdentityError):
    """project.create failed midway; what it had created was rolled back."""


class ProjectDeleteError(IdentityError):
    """project.delete failed midway; the message says what was already deleted."""


def describe(err: BaseException) -> str:
    """A one-line, secret-free account of an openstacksdk or keystoneauth failure."""
    from openstack import exceptions as sdk_exceptions

    if isinstance(err, sdk_exceptions.HttpException):
        status = f"HTTP {err.status_code}" if err.status_code else "HTTP error"
        hint = " (the cloud_account needs the admin role)" if err.status_code == 403 else ""
        return f"{status}: {err.details or err.message}{hint}"
    if isinstance(err, CloudopsError):
        return str(err)
    return f"{type(err).__name__}: {err}"


def is_expected(err: BaseException) -> bool:
    """Whether the failure comes from the cloud or from bad input, rather than a bug."""
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as sdk_exceptions

    return isinstance(
        err, (CloudopsError, sdk_exceptions.SDKException, ks_exceptions.ClientException)
    )


@contextlib.contextmanager
def openstack_errors(doing: str) -> Iterator[None]:
    """Turn openstacksdk and keystoneauth failures into an :class:`OpenStackRequestError`."""
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as sdk_exceptions

    try:
        yield
    except (sdk_exceptions.SDKException, ks_exceptions.ClientException) as err:
        raise OpenStackRequestError(f"{doing}: {describe(err)}") from None
