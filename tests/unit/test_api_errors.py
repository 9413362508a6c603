"""Every api has its own exception hierarchy under CloudopsError, which the dispatcher catches."""

import importlib

import pytest

from apis.errors import CloudopsError

BASES = {
    "apis.openstack_api.exceptions": "OpenStackApiError",
    "apis.email_api.exceptions": "EmailApiError",
    "apis.jira_api.exceptions": "JiraApiError",
    "apis.alertmanager_api.exceptions": "AlertmanagerApiError",
    "apis.icinga_api.exceptions": "IcingaApiError",
    "apis.ssh_api.exceptions": "SSHApiError",
    "apis.chatops_api.exceptions": "ChatopsApiError",
    "action_runtime.errors": "ActionRuntimeError",
}


@pytest.mark.parametrize("module, name", sorted(BASES.items()))
def test_api_base_error_is_a_cloudops_error(module, name):
    base = getattr(importlib.import_module(module), name)
    assert issubclass(base, CloudopsError)
    assert base.__module__ == module
