"""Show which accounts the pack config defines, with every secret masked."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from apis.account_kinds import AccountKind
from apis.errors import CloudopsError

ALL = "all"


class AccountKindError(CloudopsError):
    """accounts.list's ``kind`` names no kind of account."""


def list_accounts(
    kind: str = ALL,
    smtp_accounts: Optional[Sequence[Mapping[str, Any]]] = None,
    jira_accounts: Optional[Sequence[Mapping[str, Any]]] = None,
    alertmanager_accounts: Optional[Sequence[Mapping[str, Any]]] = None,
    icinga_accounts: Optional[Sequence[Mapping[str, Any]]] = None,
    ssh_accounts: Optional[Sequence[Mapping[str, Any]]] = None,
) -> Dict[str, List[Dict[str, Any]]]:
    """Accounts by config key; each entry is validated, so a broken entry fails by name."""
    configured = {
        "smtp_accounts": smtp_accounts,
        "jira_accounts": jira_accounts,
        "alertmanager_accounts": alertmanager_accounts,
        "icinga_accounts": icinga_accounts,
        "ssh_accounts": ssh_accounts,
    }
    kinds = {k.name.lower(): k for k in AccountKind}
    if kind != ALL and kind not in kinds:
        raise AccountKindError(f"kind {kind!r} is not one of: {', '.join([ALL, *kinds])}")
    selected = list(AccountKind) if kind == ALL else [kinds[kind]]
    return {
        k.config_key: [
            k.account_class().from_config(entry).public_view()
            for entry in configured[k.config_key] or []
        ]
        for k in selected
    }
