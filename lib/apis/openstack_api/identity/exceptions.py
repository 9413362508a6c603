"""Errors of the identity and project administration actions."""

from __future__ import annotations

import contextlib
from typing import Iterator

from apis.errors import CloudopsError
from apis.openstack_api.error_translation import translate
from apis.openstack_api.exceptions import OpenStackApiError, OpenStackRequestError

__all__ = ["OpenStackRequestError"]


class IdentityError(OpenStackApiError):
    """Base of every identity and project administration failure."""


class InvalidParameterError(IdentityError):
    """A parameter has a value the action cannot use."""


class NameNotFoundError(IdentityError):
    """A name or id matches nothing in the cloud."""


class AmbiguousNameError(IdentityError):
    """A name matches resources in several domains."""


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
    if isinstance(err, CloudopsError):
        return str(err)
    translated = translate(err)
    return str(translated) if translated else f"{type(err).__name__}: {err}"


def is_expected(err: BaseException) -> bool:
    """Whether the failure comes from the cloud or from bad input, rather than a bug."""
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as sdk_exceptions

    return isinstance(
        err, (CloudopsError, sdk_exceptions.SDKException, ks_exceptions.ClientException)
    )


@contextlib.contextmanager
def openstack_errors(doing: str) -> Iterator[None]:
    """Name what was being done in the translated error of an openstacksdk or keystoneauth
    failure (the action boundary translates it anyway)."""
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions as sdk_exceptions

    try:
        yield
    except (sdk_exceptions.SDKException, ks_exceptions.ClientException) as err:
        raise translate(err, doing) from None
