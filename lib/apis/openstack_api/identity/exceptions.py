"""Errors of the identity and project administration actions."""

from __future__ import annotations

import contextlib
from typing import Iterator

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


@contextlib.contextmanager
def openstack_errors(doing: str) -> Iterator[None]:
    """Turn openstacksdk and keystoneauth failures into an :class:`OpenStackRequestError`."""
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as sdk_exceptions

    try:
        yield
    except sdk_exceptions.HttpException as err:
        status = f"HTTP {err.status_code}" if err.status_code else "HTTP error"
        hint = " (the cloud_account needs the admin role)" if err.status_code == 403 else ""
        raise OpenStackRequestError(
            f"{doing}: {status}: {err.details or err.message}{hint}"
        ) from None
    except (sdk_exceptions.SDKException, ks_exceptions.ClientException) as err:
        raise OpenStackRequestError(f"{doing}: {type(err).__name__}: {err}") from None
