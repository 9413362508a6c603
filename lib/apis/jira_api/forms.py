"""Read the answers of a ProForma-style form attached to an issue.

Representation (what the pack reads; JSM's portal or an automation rule writes it): the issue
property ``proforma.forms`` holds ``{"forms": [form, ...]}``, each form shaped like an issue
form of the Jira Forms REST API, reduced to what answers need::

    {"id": "1",
     "design": {"settings": {"name": "New OpenStack project"},
                "questions": {"1": {"label": "Project name", "questionKey": "project_name",
                                    "type": "ts"},
                              "2": {"label": "Size", "questionKey": "size", "type": "cs",
                                    "choices": [{"id": "1", "label": "small"}]}}},
     "state": {"status": "s",
               "answers": {"1": {"text": "astro-lab"}, "2": {"choices": ["1"]}}}}

Question types: ``ts`` ``tl`` ``te`` ``tu`` ``pg`` text; ``no`` number; ``cs`` ``cd`` one
choice; ``cm`` ``cl`` several choices; ``da`` date; ``dt`` date and time; ``ti`` time; ``us``
one user; ``um`` several users (``{"users": [{"id": account id}]}``); others read as text.
Status: ``o`` open, ``s`` submitted, ``l`` locked. Answers are keyed by ``questionKey``,
else by the question's label.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Callable, Dict, List, Mapping, Optional

from apis.jira_api.connection import CloudopsJira, jira_errors
from apis.jira_api.exceptions import JiraFormError, JiraNotFoundError
from apis.jira_api.issues import fetch_issue

FORMS_PROPERTY = "proforma.forms"


class FormStatus(enum.Enum):
    """Where the requester is with the form."""

    OPEN = "o"
    SUBMITTED = "s"
    LOCKED = "l"


class AnswerKind(enum.Enum):
    """How an answer is read, by question type code."""

    TEXT = ("ts", "tl", "te", "tu", "pg")
    NUMBER = ("no",)
    CHOICE = ("cs", "cd")
    CHOICES = ("cm", "cl")
    DATE = ("da",)
    DATETIME = ("dt",)
    TIME = ("ti",)
    USER = ("us",)
    USERS = ("um",)

    @classmethod
    def of(cls, code: str) -> "AnswerKind":
        """The kind of question type ``code``; unknown codes read as text."""
        return next((kind for kind in cls if code in kind.value), cls.TEXT)


@dataclasses.dataclass(frozen=True)
class FormAnswers:
    """A form's answers by question key, with its name and status."""

    issue: str
    form_id: str
    name: str
    status: FormStatus
    answers: Dict[str, Any]


def _number(label: str, text: str) -> Optional[float]:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise JiraFormError(f"question {label!r}: {text!r} is not a number") from None
    return int(value) if value.is_integer() else value


def _choice_labels(label: str, question: Mapping[str, Any], ids: List[Any]) -> List[str]:
    by_id = {str(c.get("id")): str(c.get("label")) for c in question.get("choices") or []}
    unknown = [str(i) for i in ids if str(i) not in by_id]
    if unknown:
        raise JiraFormError(
            f"question {label!r}: answer choice(s) {', '.join(unknown)} are not among its "
            f"choices ({', '.join(by_id.values()) or 'none'})"
        )
    return [by_id[str(i)] for i in ids]


def _first(values: List[Any]) -> Any:
    return values[0] if values else None


def _users(answer: Mapping[str, Any]) -> List[str]:
    return [str(user.get("id")) for user in answer.get("users") or []]


def _datetime(answer: Mapping[str, Any]) -> Optional[str]:
    date, time = answer.get("date"), answer.get("time")
    return f"{date}T{time}" if date and time else date or None


def _text(answer: Mapping[str, Any]) -> Optional[str]:
    text = answer.get("text")
    return None if text in ("", None) else str(text)


Reader = Callable[[str, Mapping[str, Any], Mapping[str, Any]], Any]
_READERS: Dict[AnswerKind, Reader] = {
    AnswerKind.TEXT: lambda label, question, answer: _text(answer),
    AnswerKind.NUMBER: lambda label, question, answer: _number(label, _text(answer) or ""),
    AnswerKind.CHOICE: lambda label, question, answer: _first(
        _choice_labels(label, question, list(answer.get("choices") or []))
    ),
    AnswerKind.CHOICES: lambda label, question, answer: _choice_labels(
        label, question, list(answer.get("choices") or [])
    ),
    AnswerKind.DATE: lambda label, question, answer: answer.get("date") or None,
    AnswerKind.DATETIME: lambda label, question, answer: _datetime(answer),
    AnswerKind.TIME: lambda label, question, answer: answer.get("time") or None,
    AnswerKind.USER: lambda label, question, answer: _first(_users(answer)),
    AnswerKind.USERS: lambda label, question, answer: _users(answer),
}


def _answer(label: str, question: Mapping[str, Any], answer: Mapping[str, Any]) -> Any:
    return _READERS[AnswerKind.of(str(question.get("type", "ts")))](label, question, answer)


def parse_form(issue: str, form: Mapping[str, Any]) -> FormAnswers:
    """The answers of one form in the representation above."""
    try:
        design, state = form["design"], form.get("state") or {}
        questions: Mapping[str, Any] = design.get("questions") or {}
        answers: Mapping[str, Any] = state.get("answers") or {}
        name = str((design.get("settings") or {}).get("name") or "")
        status = FormStatus(state.get("status", FormStatus.OPEN.value))
    except (KeyError, AttributeError, TypeError, ValueError) as err:
        raise JiraFormError(f"issue {issue}: a form is not in the expected shape ({err})") from None
    result: Dict[str, Any] = {}
    for question_id, question in questions.items():
        label = str(question.get("label") or question_id)
        key = str(question.get("questionKey") or label)
        if key in result:
            raise JiraFormError(f"issue {issue}: form {name!r} has two questions keyed {key!r}")
        result[key] = _answer(label, question, answers.get(str(question_id)) or {})
    return FormAnswers(issue, str(form.get("id", "")), name, status, result)


def read_form(
    client: CloudopsJira,
    issue: str,
    form_name: Optional[str] = None,
    require_submitted: bool = True,
    property_key: str = FORMS_PROPERTY,
) -> FormAnswers:
    """The answers of the form called ``form_name`` (or of the issue's only form)."""
    key = fetch_issue(client, issue, fields="status").key
    try:
        with jira_errors(client.account, client.retry):
            value = client.issue_property(key, property_key).raw.get("value")
    except JiraNotFoundError:
        raise JiraFormError(
            f"issue {key} has no form (no issue property {property_key!r})"
        ) from None
    raw_forms = value.get("forms") if isinstance(value, dict) else None
    if not isinstance(raw_forms, list) or not raw_forms:
        raise JiraFormError(f"issue {key}: issue property {property_key!r} holds no forms")
    every = [parse_form(key, form) for form in raw_forms]
    forms = every
    if form_name is not None:
        forms = [form for form in every if form.name.lower() == form_name.lower()]
        if not forms:
            names = ", ".join(repr(f.name) for f in every)
            raise JiraFormError(f"issue {key} has no form_name {form_name!r}; its forms: {names}")
    if len(forms) > 1:
        names = ", ".join(repr(f.name) for f in forms)
        raise JiraFormError(f"issue {key} has several forms ({names}): give form_name")
    form = forms[0]
    if require_submitted and form.status is FormStatus.OPEN:
        raise JiraFormError(f"issue {key}: form {form.name!r} is still open (not submitted)")
    return form
