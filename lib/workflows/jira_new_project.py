"""jira.request_new_project: a JSM "new project" request, read, built and answered on its ticket.

The request's form answers (mapped to project fields by the pack config's ``jira_new_project``)
become a project.create run: project, network, quotas and members. The result is commented on
the ticket, which moves to the done state. Any failure after the ticket was read is commented
(the error only, no traceback or secret) and the ticket moves to the attention state; since
project.create rolls back what it made, nothing half-made is left. Only a ticket in the ready
state is acted on, so running twice does nothing the second time.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import logging
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from action_runtime.accounts import AccountKind
from apis.errors import CloudopsError
from apis.jira_api.account import JiraAccount
from apis.jira_api.comments import CommentVisibility, add_comment
from apis.jira_api.connection import CloudopsJira, connect
from apis.jira_api.exceptions import JiraApiError
from apis.jira_api.forms import FormAnswers, read_form
from apis.jira_api.issues import fetch_issue
from apis.jira_api.transitions import transition_issue
from apis.openstack_api.identity.exceptions import InvalidParameterError
from apis.openstack_api.identity.project_setup import check_quotas
from workflows.project_create import CreateState, ProjectCreateReport, project_create

LOG = logging.getLogger(__name__)
CONFIG_KEY = "jira_new_project"
REQUEST_PROPERTY = "jira_request"
PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0", "none")
_LIST_SEPARATORS = re.compile(r"[\s,;]+")


class NewProjectRequestError(JiraApiError):
    """A new-project request could not be completed; the ticket says why."""


class NewProjectConfigError(NewProjectRequestError):
    """The pack config's ``jira_new_project`` is missing or has a bad setting."""


class Outcome(enum.Enum):
    """What jira.request_new_project did."""

    CREATED = "created"
    WOULD_CREATE = "would_create"
    SKIPPED = "skipped"


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
        values["network_cidr"] = _cidr(
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


def _cidr(label: str, value: Any, error: type = NewProjectRequestError) -> str:
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


@dataclasses.dataclass(frozen=True)
class ProjectPlan:  # pylint: disable=too-many-instance-attributes
    """The project.create arguments a request asks for."""

    name: str
    domain: str
    description: str
    tags: List[str]
    properties: Dict[str, str]
    network_cidr: Optional[str]
    external_network: Optional[str]
    dns_nameservers: List[str]
    quotas: Dict[str, int]
    admin_users: List[str]
    member_users: List[str]

    def arguments(self) -> Dict[str, Any]:
        """Keyword arguments of project_create (without cloud_account and dry_run)."""
        return dataclasses.asdict(self)


class _Answers:
    """The form's answers looked up by question key, case-insensitively."""

    def __init__(self, form: FormAnswers):
        self.form = form
        self._by_lower = {key.lower(): key for key in form.answers}

    def get(self, question: str) -> Any:
        """The answer to ``question`` (None when unanswered or not on the form)."""
        key = self._by_lower.get(question.lower())
        value = self.form.answers.get(key) if key is not None else None
        if isinstance(value, str):
            value = value.strip()
        return None if value in ("", [], None) else value


def _bad(question: str, field: str, problem: str) -> NewProjectRequestError:
    return NewProjectRequestError(f"form question {question!r} ({field}): {problem}")


def _yes_no(question: str, value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value[0] if isinstance(value, list) and len(value) == 1 else value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise _bad(question, "network", f"answer {value!r} is not one of: {', '.join(YES + NO)}")


def _quota(question: str, field: str, value: Any) -> int:
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if (
        isinstance(number, bool)
        or not isinstance(number, (int, float))
        or number < 0
        or number != int(number)
    ):
        raise _bad(question, f"{field} quota", f"answer {value!r} is not a whole number >= 0")
    return int(number)


def _names(value: Any) -> List[str]:
    items = value if isinstance(value, list) else _LIST_SEPARATORS.split(str(value or ""))
    return list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def build_plan(
    settings: NewProjectSettings, form: FormAnswers, issue_key: str, summary: str
) -> ProjectPlan:
    """The project the form asks for; an error names the missing or invalid answer."""
    questions, answers = settings.questions, _Answers(form)
    name = answers.get(questions.name)
    if name is None:
        raise _bad(questions.name, "project name", "not answered; the project needs a name")
    if not PROJECT_NAME.match(str(name)):
        raise _bad(
            questions.name,
            "project name",
            f"{name!r} is not 1-64 letters, digits, '.', '_' or '-' starting with a letter "
            "or digit",
        )
    cidr = None
    if _yes_no(questions.network, answers.get(questions.network)):
        answered = answers.get(questions.network_cidr)
        cidr = (
            _cidr(f"form question {questions.network_cidr!r} (network CIDR): answer", answered)
            if answered is not None
            else settings.network_cidr
        )
    quotas = {
        field: _quota(question, field, answers.get(question))
        for field, question in questions.quotas.items()
        if answers.get(question) is not None
    }
    admins = _names(answers.get(questions.admins))
    members = [user for user in _names(answers.get(questions.members)) if user not in admins]
    description = answers.get(questions.description) or summary
    return ProjectPlan(
        name=str(name),
        domain=settings.domain,
        description=f"{description} ({issue_key})"[:255],
        tags=list(settings.tags),
        properties={REQUEST_PROPERTY: issue_key},
        network_cidr=cidr,
        external_network=settings.external_network if cidr else None,
        dns_nameservers=list(settings.dns_nameservers) if cidr else [],
        quotas=quotas,
        admin_users=admins,
        member_users=members,
    )


@dataclasses.dataclass(frozen=True)
class NewProjectResult:
    """What jira.request_new_project did with one ticket."""

    issue: str
    outcome: Outcome
    message: str
    ticket_state: str
    dry_run: bool
    plan: Optional[ProjectPlan] = None
    project: Optional[ProjectCreateReport] = None
    comment_id: Optional[str] = None


@dataclasses.dataclass
class _Progress:
    """How far a run got, for the failure comment and the error's report."""

    issue: str
    state: str
    plan: Optional[ProjectPlan] = None
    project: Optional[ProjectCreateReport] = None
    commented: bool = False

    def report(self, ticket_error: Optional[str]) -> Dict[str, Any]:
        """The error's report: what was asked, what was made, where the ticket is."""
        return {
            "issue": self.issue,
            "ticket_state": self.state,
            "plan": self.plan,
            "project": self.project,
            "ticket_error": ticket_error,
        }


def success_comment(report: ProjectCreateReport, plan: ProjectPlan) -> str:
    """The ticket comment for a created project: id, network, quotas and members."""
    project = report.project
    lines = [
        f"cloudops created project *{plan.name}* in domain {plan.domain}"
        + (f" (id {project.id})." if project else ".")
    ]
    if plan.network_cidr:
        router = f", router {plan.name}-router" if plan.external_network else ""
        lines.append(f"* network: {plan.name}-net, subnet {plan.network_cidr}{router}")
    else:
        lines.append("* network: none")
    if plan.quotas:
        quotas = ", ".join(f"{key}={value}" for key, value in sorted(plan.quotas.items()))
        lines.append(f"* quotas: {quotas}")
    for role, users in (("admin", plan.admin_users), ("member", plan.member_users)):
        if users:
            lines.append(f"* {role}s: {', '.join(users)}")
    if report.state is CreateState.EXISTED:
        lines.append("* (it had been created for this request before; nothing changed)")
    return "\n".join(lines)


def failure_comment(err: BaseException, progress: _Progress, settings: NewProjectSettings) -> str:
    """The ticket comment for a failure: the error (never a traceback), and how to retry."""
    if isinstance(err, CloudopsError):
        reason = str(err)
    else:
        reason = f"an internal error ({type(err).__name__}); the automation team was alerted"
    made = "" if progress.project else " No project was created."
    return (
        f"cloudops could not complete this new-project request: {reason}.{made}\n"
        f"Fix the request, then move it back to {settings.ready_status!r} to retry."
    )


def request_new_project(
    issue: str,
    dry_run: bool = True,
    jira_account: Optional[JiraAccount] = None,
    jira_new_project: Optional[Dict[str, Any]] = None,
    jira_accounts: Optional[List[Dict[str, Any]]] = None,
) -> NewProjectResult:
    """Carry out the new-project request ``issue`` (a key) if it is in the ready state.

    A dry run reads the ticket and its form and plans the project (every name checked in the
    cloud) without creating, commenting or moving anything.
    """
    settings = NewProjectSettings.from_config(jira_new_project)
    account = jira_account_for(settings, jira_account, jira_accounts)
    with connect(account) as client:
        found = fetch_issue(client, issue, fields="summary,status")
        progress = _Progress(found.key, str(found.fields.status.name))
        if progress.state.lower() != settings.ready_status.lower():
            return NewProjectResult(
                issue=progress.issue,
                outcome=Outcome.SKIPPED,
                message=f"issue {progress.issue} is in state {progress.state!r}, not "
                f"{settings.ready_status!r}; nothing done",
                ticket_state=progress.state,
                dry_run=dry_run,
            )
        try:
            return _carry_out(client, settings, progress, str(found.fields.summary), dry_run)
        except Exception as err:  # pylint: disable=broad-exception-caught
            if dry_run:
                raise
            ticket_error = _report_failure(client, settings, progress, err)
            if not isinstance(err, CloudopsError):
                raise
            message = f"issue {progress.issue}: {err}"
            if ticket_error:
                message += f"; the ticket could not be updated either: {ticket_error}"
            else:
                message += f"; commented and moved to {progress.state!r}"
            raise NewProjectRequestError(message, report=progress.report(ticket_error)) from None


def _carry_out(
    client: CloudopsJira,
    settings: NewProjectSettings,
    progress: _Progress,
    summary: str,
    dry_run: bool,
) -> NewProjectResult:
    form = read_form(client, progress.issue, settings.form_name)
    progress.plan = build_plan(settings, form, progress.issue, summary)
    report = project_create(settings.cloud_account, **progress.plan.arguments(), dry_run=dry_run)
    if report.state is CreateState.EXISTED:
        properties = report.project.properties if report.project else {}
        if properties.get(REQUEST_PROPERTY) != progress.issue:
            raise NewProjectRequestError(
                f"a project named {progress.plan.name!r} already exists in domain "
                f"{settings.domain}; choose another name"
            )
    if dry_run:
        return NewProjectResult(
            issue=progress.issue,
            outcome=Outcome.WOULD_CREATE,
            message=f"dry run: {report.message}; the ticket would be commented and moved to "
            f"{settings.done_status!r}",
            ticket_state=progress.state,
            dry_run=True,
            plan=progress.plan,
            project=report,
        )
    progress.project = report
    comment_id = add_comment(
        client,
        progress.issue,
        success_comment(report, progress.plan),
        settings.comment_visibility,
    )
    progress.commented = True
    moved = transition_issue(
        client, progress.issue, expected_state=settings.ready_status, **settings.done_move()
    )
    progress.state = moved.to_state
    return NewProjectResult(
        issue=progress.issue,
        outcome=Outcome.CREATED,
        message=f"{report.message}; issue {progress.issue} commented and moved to "
        f"{moved.to_state!r}",
        ticket_state=moved.to_state,
        dry_run=False,
        plan=progress.plan,
        project=report,
        comment_id=comment_id,
    )


def _report_failure(
    client: CloudopsJira, settings: NewProjectSettings, progress: _Progress, err: BaseException
) -> Optional[str]:
    """Comment the failure and move the ticket to the attention state; the error doing so."""
    LOG.error("new-project request %s failed: %s", progress.issue, err)
    try:
        add_comment(
            client,
            progress.issue,
            failure_comment(err, progress, settings),
            settings.comment_visibility,
        )
        moved = transition_issue(client, progress.issue, **settings.attention_move())
    except CloudopsError as ticket_err:
        LOG.error(
            "new-project request %s: cannot update the ticket: %s", progress.issue, ticket_err
        )
        return str(ticket_err)
    progress.state = moved.to_state
    return None
