"""A new-project request's form answers read into the project.create arguments they ask for."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List, Optional

from apis.jira_api.forms import FormAnswers
from workflows.jira_new_project_errors import NewProjectRequestError
from workflows.jira_new_project_settings import NewProjectSettings, parse_cidr

REQUEST_PROPERTY = "jira_request"
PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0", "none")
_LIST_SEPARATORS = re.compile(r"[\s,;]+")


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
        """Keyword arguments of project_create (without conn and dry_run)."""
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
            parse_cidr(f"form question {questions.network_cidr!r} (network CIDR): answer", answered)
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
