"""Errors of the OpenStack api."""

from apis.errors import CloudopsError


class OpenStackApiError(CloudopsError):
    """Base of every OpenStack api failure."""


class UnknownCloudError(OpenStackApiError):
    """The cloud_account names no cloud in the clouds.yaml files this host reads."""


class CloudConnectionError(OpenStackApiError):
    """The cloud is known but could not be reached or authenticated against."""
