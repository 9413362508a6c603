"""The pack config's ``jira_new_project``, checked: the desk, the states, the form mapping."""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from apis.account_kinds import AccountKind
from apis.jira_api.account import JiraAccount
from apis.jira_api.comments import CommentVisibility
from apis.openstack_api.identity.exceptions import InvalidParameterError
from apis.openstack_api.identity.project_setup import check_quotas
from workflows.jira_new_project_errors import NewProjectConfigError, NewProjectRequestError

CONFIG_KEY = "jira_new_project"


@dataclasses.dataclass(frozen=True)
class QuestionMap:
    """Form question keys (``questionKey``, else the label) answering each project field."""

    name: str = "project_name"
    description: str = "description"
    network: str = "network"
    network_cidr: str = "network_cidr"
    members: str = "members"
    admins: str = "admins"
    quotas: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: {"instances": "instances", "cores": "cores", "ram": "ram"}
    )


@dataclasses.dataclass(frozen=True)
class NewProjectSettings:  # pylint: disable=too-many-instance-attributes
    """The pack config's ``jira_new_project``, checked."""

    jira_account: str
    service_desk: str
    cloud_account: str
    ready_status: str = "Ready for automation"
    done_status: str = "Done"
    done_transition: Optional[str] = None
    attention_status: str = "Needs attention"
    attention_transition: Optional[str] = None
    domain: str = "default"
    comment_visibility: CommentVisibility = CommentVisibility.INTERNAL
    form_name: Optional[str] = None
    network_cidr: str = "10.0.0.0/24"
    external_network: Optional[str] = None
    dns_nameservers: Tuple[str, ...] = ()
    tags: Tuple[str, ...] = ("jsm-request",)
    questions: QuestionMap = dataclasses.field(default_factory=QuestionMap)

    @classmethod
    def from_config(cls, config: Optional[Mapping[str, Any]]) -> "NewProjectSettings":
        """The settings, or an error naming the missing or bad key and the valid ones."""
        if not config:
            raise NewProjectConfigError(
                f"the pack config has no {CONFIG_KEY}: set at least jira_account, service_desk "
                "and cloud_account"
            )
        values = _known_keys(CONFIG_KEY, config, cls)
        missing = [
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
            and not values.get(f.name)
        ]
        if missing:
            raise NewProjectConfigError(
                f"{CONFIG_KEY} is missing required setting(s): {', '.join(missing)}"
            )
        values["comment_visibility"] = _visibility(values.get("comment_visibility"))
        values["network_cidr"] = parse_cidr(
            f"{CONFIG_KEY}.network_cidr",
            values.get("network_cidr", cls.network_cidr),
            NewProjectConfigError,
        )
        for key in ("dns_nameservers", "tags"):
            if key in values:
                values[key] = tuple(_string_list(f"{CONFIG_KEY}.{key}", values[key]))
        values["questions"] = _questions(values.get("questions") or {})
        return cls(**values)

    def done_move(self) -> Dict[str, Optional[str]]:
        """transition_issue arguments leading to the done state."""
        return _move(self.done_transition, self.done_status)

    def attention_move(self) -> Dict[str, Optional[str]]:
        """transition_issue arguments leading to the attention state."""
        return _move(self.attention_transition, self.attention_status)


def _move(transition: Optional[str], status: str) -> Dict[str, Optional[str]]:
    return {"transition": transition} if transition else {"to_state": status}


def _known_keys(label: str, config: Mapping[str, Any], cls: Any) -> Dict[str, Any]:
    if not isinstance(config, Mapping):
        raise NewProjectConfigError(f"{label} must be a mapping, not {type(config).__name__}")
    valid = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(config) - set(valid))
    if unknown:
        raise NewProjectConfigError(
            f"{label} has unknown setting(s) {', '.join(unknown)}; valid settings: "
            + ", ".join(sorted(valid))
        )
    return {key: value for key, value in config.items() if value is not None}


def _visibility(value: Any) -> CommentVisibility:
    if value is None:
        return CommentVisibility.INTERNAL
    try:
        return CommentVisibility(value)
    except ValueError:
        valid = ", ".join(v.value for v in CommentVisibility)
        raise NewProjectConfigError(
            f"{CONFIG_KEY}.comment_visibility {value!r} is not one of: {valid}"
        ) from None


def parse_cidr(label: str, value: Any, error: type = NewProjectRequestError) -> str:
    """The network address ``value`` in canonical form, or ``error`` naming ``label``."""
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=True))
    except ValueError:
        raise error(
            f"{label} {value!r} is not a network address with prefix, e.g. 10.0.0.0/24"
        ) from None


def _string_list(label: str, value: Any) -> List[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise NewProjectConfigError(f"{label} must be a list of strings")
    return [str(item) for item in value]


def _questions(config: Mapping[str, Any]) -> QuestionMap:
    label = f"{CONFIG_KEY}.questions"
    values = _known_keys(label, config, QuestionMap)
    quotas = values.get("quotas")
    if quotas is not None:
        if not isinstance(quotas, Mapping):
            raise NewProjectConfigError(f"{label}.quotas must map quota names to question keys")
        try:
            check_quotas({key: 0 for key in quotas})
        except InvalidParameterError as err:
            raise NewProjectConfigError(f"{label}.quotas: {err}") from None
        values["quotas"] = {str(key): str(question) for key, question in quotas.items()}
    return QuestionMap(**values)


def jira_account_for(
    settings: NewProjectSettings,
    jira_account: Optional[JiraAccount],
    jira_accounts: Optional[List[Dict[str, Any]]],
) -> JiraAccount:
    """The account given, else the one ``jira_new_project.jira_account`` names."""
    if jira_account is not None:
        return jira_account
    return AccountKind.JIRA.lookup(settings.jira_account, {"jira_accounts": jira_accounts})
