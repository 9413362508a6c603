"""Which action parameters name accounts, and how they are looked up in the pack config."""

from __future__ import annotations

import enum
import importlib
from typing import Any, Mapping, Type

from apis.account import Account, AccountNotFoundError
from apis.choices import choices


class AccountKind(enum.Enum):
    """Account types: ``(action parameter, config key, dataclass as module:Class)``."""

    SMTP = ("smtp_account", "smtp_accounts", "apis.email_api.account:SMTPAccount")
    JIRA = ("jira_account", "jira_accounts", "apis.jira_api.account:JiraAccount")
    ALERTMANAGER = (
        "alertmanager_account",
        "alertmanager_accounts",
        "apis.alertmanager_api.account:AlertmanagerAccount",
    )
    ICINGA = ("icinga_account", "icinga_accounts", "apis.icinga_api.account:IcingaAccount")
    SSH = ("ssh_account", "ssh_accounts", "apis.ssh_api.account:SSHAccount")

    def __init__(self, parameter: str, config_key: str, dataclass_path: str):
        self.parameter = parameter
        self.config_key = config_key
        self.dataclass_path = dataclass_path

    @classmethod
    def for_parameter(cls, parameter: str):
        """The kind an action parameter names, or None for an ordinary parameter."""
        return next((kind for kind in cls if kind.parameter == parameter), None)

    def account_class(self) -> Type[Account]:
        """The account dataclass, imported only when an action needs it."""
        module, _, name = self.dataclass_path.partition(":")
        return getattr(importlib.import_module(module), name)

    def lookup(self, name: str, config: Mapping[str, Any]) -> Account:
        """The account called ``name`` in the pack config, or an error listing the valid names."""
        entries = config.get(self.config_key) or []
        for entry in entries:
            if entry.get("name") == name:
                return self.account_class().from_config(entry)
        names = [str(entry.get("name")) for entry in entries]
        raise AccountNotFoundError(
            f"{self.parameter} {name!r} is not in the pack config's {self.config_key}; "
            + choices(names, name, empty="none configured")
        )
