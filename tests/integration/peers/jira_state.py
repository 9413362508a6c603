"""The data and rules behind the fake Jira: projects, issues, comments, workflow, search, faults."""

from __future__ import annotations

import base64
import binascii
import fnmatch
import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apis import clock
from . import jql


class ApiError(Exception):
    """A request Jira would refuse; rendered as Jira's error JSON with ``status``."""

    def __init__(self, status: int, *messages: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {'; '.join([*messages, *(errors or {}).values()])}")
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class Status:
    """A workflow status; ``category`` is Jira's statusCategory key (new, indeterminate, done)."""

    id: str
    name: str
    category: str


@dataclass(frozen=True)
class Transition:
    """A workflow transition, available from every status but its target."""

    id: str
    name: str
    to: str


STATUSES = {
    status.name.lower(): status
    for status in (
        Status("1", "Open", "new"),
        Status("3", "In Progress", "indeterminate"),
        Status("10002", "Waiting for customer", "indeterminate"),
        Status("5", "Resolved", "done"),
        Status("6", "Closed", "done"),
        Status("10010", "Ready for automation", "indeterminate"),
        Status("10011", "Needs attention", "indeterminate"),
        Status("10012", "Done", "done"),
    )
}
TRANSITIONS = (
    Transition("11", "Start Progress", "In Progress"),
    Transition("21", "Wait for customer", "Waiting for customer"),
    Transition("31", "Resolve", "Resolved"),
    Transition("41", "Close", "Closed"),
    Transition("51", "Reopen", "Open"),
    Transition("61", "Ready for automation", "Ready for automation"),
    Transition("71", "Done", "Done"),
    Transition("81", "Needs attention", "Needs attention"),
)
ISSUE_TYPES = {"10001": "Task", "10002": "Incident", "10003": "Service Request", "10004": "Bug"}
PRIORITIES = {"1": "Highest", "2": "High", "3": "Medium", "4": "Low", "5": "Lowest"}
_ORDERABLE = {"created", "updated", "key", "id", "issuekey", "summary", "status", "priority"}


@dataclass
class Project:
    """A project; a service desk project also has request types ``{id: (name, issue type id)}``."""

    id: str
    key: str
    name: str
    service_desk_id: str | None = None
    request_types: dict[str, tuple[str, str]] = field(default_factory=dict)
    next_number: int = 1
    components: list[str] = field(default_factory=list)

    def component_id(self, name: str) -> str:
        """A stable id for one of the project's components."""
        return f"{self.id}{self.components.index(name):02d}"


@dataclass
class Comment:
    """A comment; ``public`` False is a JSM internal note."""

    id: int
    body: str
    public: bool
    author: str
    created: datetime


@dataclass
class Attachment:
    """A file attached to an issue."""

    id: int
    filename: str
    content: bytes
    mime_type: str
    author: str
    created: datetime


@dataclass
class Issue:  # pylint: disable=too-many-instance-attributes
    """An issue (or JSM request when ``request_type_id`` is set); ``fields`` holds the others."""

    id: int
    key: str
    project: Project
    issue_type_id: str
    summary: str
    reporter: str
    created: datetime
    description: str | None = None
    status: str = "Open"
    labels: list[str] = field(default_factory=list)
    priority_id: str = "3"
    resolution: str | None = None
    updated: datetime | None = None
    request_type_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def status_info(self) -> Status:
        """The issue's status object."""
        return STATUSES[self.status.lower()]

    def lookup(self, name: str) -> list:
        """Values of JQL field ``name`` for this issue; JqlError for unknown fields."""
        custom = name[3:-1] if name.startswith("cf[") and name.endswith("]") else None
        if custom is not None or name.startswith("customfield_"):
            value = self.fields.get(f"customfield_{custom}" if custom else name)
            values = value if isinstance(value, list) else [] if value is None else [value]
            return [
                str(item.get("value", item)) if isinstance(item, dict) else str(item)
                for item in values
            ]
        status = self.status_info
        request_type = self.project.request_types.get(self.request_type_id or "", ("",))[0]
        table: dict[str, list] = {
            "project": [self.project.key, self.project.name, self.project.id],
            "status": [status.name, status.id],
            "statuscategory": [
                status.category,
                {"new": "To Do", "done": "Done"}.get(status.category, "In Progress"),
            ],
            "labels": list(self.labels),
            "component": list(self.components),
            "issuetype": [ISSUE_TYPES[self.issue_type_id], self.issue_type_id],
            "key": [self.key, str(self.id)],
            "summary": [self.summary],
            "description": [self.description] if self.description else [],
            "text": [self.summary, self.description or "", *(c.body for c in self.comments)],
            "comment": [comment.body for comment in self.comments],
            "resolution": [self.resolution] if self.resolution else [],
            "priority": [PRIORITIES[self.priority_id], self.priority_id],
            "reporter": [self.reporter],
            "created": [self.created],
            "updated": [self.updated or self.created],
            "request-type": [request_type] if request_type else [],
        }
        aliases = {"type": "issuetype", "issuekey": "key", "id": "key"}
        try:
            return table[aliases.get(name, name)]
        except KeyError:
            raise jql.JqlError(
                f"Field '{name}' does not exist or you do not have permission to view it."
            ) from None

    def sort_key(self, name: str) -> Any:
        """Value used by ORDER BY ``name``."""
        if name in ("key", "id", "issuekey"):
            return (self.project.key, self.id)
        if name == "priority":
            return -int(self.priority_id)
        if name == "updated":
            return self.updated or self.created
        return {
            "created": self.created,
            "summary": self.summary.lower(),
            "status": self.status.lower(),
        }[name]


@dataclass
class Fault:
    """An injected failure for the next ``remaining`` requests whose path matches ``pattern``."""

    pattern: str
    status: int
    remaining: int
    method: str | None = None
    retry_after: int | None = None
    message: str | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the fake received it (``body`` is parsed JSON when it was JSON)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    user: str | None


def now() -> datetime:
    """Current time, truncated to milliseconds like Jira."""
    moment = clock.now()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class JiraState:
    """Everything the fake Jira knows. Tests may read it and change it; hold ``lock`` to do so
    while requests are in flight. ``deployment_type`` is "Cloud" or "Server" (serverInfo)."""

    def __init__(self, username: str, token: str, deployment_type: str = "Cloud") -> None:
        self.lock = threading.RLock()
        self.base_url = ""
        self.username = username
        self.credentials = {username: token}
        self._default_deployment = deployment_type
        self.deployment_type = deployment_type
        self.max_page_size = 100
        self.projects: dict[str, Project] = {}
        self.issues: dict[int, Issue] = {}
        self.faults: list[Fault] = []
        self.received: list[RecordedRequest] = []
        self._ids = itertools.count(10001)
        self.reset()

    def reset(self) -> None:
        """Forget issues, faults and recorded requests; restore the default projects."""
        with self.lock:
            self.deployment_type = self._default_deployment
            self.max_page_size = 100
            self.projects = {
                "OPS": Project(
                    "10000",
                    "OPS",
                    "Cloud Operations",
                    service_desk_id="1",
                    request_types={"10": ("Incident", "10002"), "11": ("Service Request", "10003")},
                    components=["Compute", "Network", "Storage", "Identity"],
                ),
                "CLOUD": Project(
                    "10001", "CLOUD", "Cloud Platform", components=["OpenStack", "Ceph"]
                ),
            }
            self.issues = {}
            self.faults = []
            self.received = []
            self._ids = itertools.count(10001)

    def fail_next(
        self,
        path: str,
        status: int,
        times: int = 1,
        *,
        method: str | None = None,
        retry_after: int | None = None,
        message: str | None = None,
    ) -> None:
        """Answer ``status`` to the next ``times`` requests whose path matches the glob ``path``.

        429 and 503 carry ``Retry-After`` (default 1 s)."""
        if retry_after is None and status in (429, 503):
            retry_after = 1
        with self.lock:
            self.faults.append(Fault(path, status, times, method, retry_after, message))

    def delay_next(
        self, path: str, seconds: float, times: int = 1, *, method: str | None = None
    ) -> None:
        """Answer the next ``times`` requests whose path matches ``path`` only after ``seconds``
        (the answer itself is the normal one)."""
        with self.lock:
            self.faults.append(Fault(path, 0, times, method, delay=seconds))

    def take_delay(self, method: str, path: str) -> float:
        """Consume the first injected delay matching this request; its seconds (or 0)."""
        with self.lock:
            for fault in self.faults:
                if fault.status == 0 and self._matches(fault, method, path):
                    self._consume(fault)
                    return fault.delay
        return 0.0

    @staticmethod
    def _matches(fault: Fault, method: str, path: str) -> bool:
        return fnmatch.fnmatchcase(path, fault.pattern) and fault.method in (None, method)

    def _consume(self, fault: Fault) -> None:
        fault.remaining -= 1
        if fault.remaining <= 0:
            self.faults.remove(fault)

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Consume and return the first injected fault matching this request."""
        with self.lock:
            for fault in self.faults:
                if fault.status == 0:
                    continue
                if fnmatch.fnmatchcase(path, fault.pattern) and fault.method in (None, method):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def authenticate(self, authorization: str | None) -> str | None:
        """Return the user of a valid ``Basic`` Authorization header, else None."""
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, token = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if user in self.credentials and self.credentials[user] == token else None

    def requests_to(self, pattern: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path matches the glob ``pattern`` (and ``method``)."""
        with self.lock:
            return [
                req
                for req in self.received
                if fnmatch.fnmatchcase(req.path, pattern) and method in (None, req.method)
            ]

    def project(self, id_or_key: str) -> Project:
        """Find a project by key or id (404 otherwise)."""
        for project in self.projects.values():
            if id_or_key in (project.key, project.id):
                return project
        raise ApiError(404, f"No project could be found with key '{id_or_key}'.")

    def issue(self, id_or_key: str) -> Issue:
        """Find an issue by key (case-insensitive) or id (404 otherwise)."""
        for issue in self.issues.values():
            if id_or_key.upper() == issue.key or id_or_key == str(issue.id):
                return issue
        raise ApiError(404, "Issue does not exist or you do not have permission to see it.")

    def create_issue(self, fields: dict[str, Any], reporter: str) -> Issue:
        """Create an issue from REST ``fields`` (project, summary, issuetype required)."""
        fields = dict(fields)
        errors: dict[str, str] = {}
        project = None
        wanted = fields.pop("project", None) or {}
        try:
            project = self.project(str(wanted.get("key") or wanted.get("id") or ""))
        except ApiError:
            errors["project"] = "valid project is required"
        issue_type = self._issue_type(fields.pop("issuetype", None) or {})
        if issue_type is None:
            errors["issuetype"] = "valid issue type is required"
        summary = fields.pop("summary", None)
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        if errors or project is None or issue_type is None:
            raise ApiError(400, errors=errors)
        issue = Issue(
            id=next(self._ids),
            key=f"{project.key}-{project.next_number}",
            project=project,
            issue_type_id=issue_type,
            summary=summary,
            reporter=reporter,
            created=now(),
        )
        self._apply_fields(issue, fields)
        project.next_number += 1
        self.issues[issue.id] = issue
        return issue

    def create_request(self, body: dict[str, Any], reporter: str) -> Issue:
        """Create a JSM customer request (serviceDeskId, requestTypeId, requestFieldValues)."""
        desk_id = str(body.get("serviceDeskId", ""))
        project = next(
            (
                p
                for p in self.projects.values()
                if p.service_desk_id and p.service_desk_id == desk_id
            ),
            None,
        )
        if project is None:
            raise ApiError(404, f"Service desk '{desk_id}' does not exist.")
        type_id = str(body.get("requestTypeId", ""))
        if type_id not in project.request_types:
            raise ApiError(400, f"The request type '{type_id}' does not exist.")
        values = dict(body.get("requestFieldValues") or {})
        fields = {
            **values,
            "project": {"id": project.id},
            "issuetype": {"id": project.request_types[type_id][1]},
        }
        issue = self.create_issue(fields, str(body.get("raiseOnBehalfOf") or reporter))
        issue.request_type_id = type_id
        return issue

    def edit_issue(self, issue: Issue, body: dict[str, Any]) -> None:
        """Apply a REST edit: ``fields`` to set and ``update`` operations on labels/comments."""
        self._apply_fields(issue, dict(body.get("fields") or {}))
        for operation in (body.get("update") or {}).get("labels", []):
            for verb, value in operation.items():
                if verb == "add" and value not in issue.labels:
                    issue.labels.append(value)
                elif verb == "remove" and value in issue.labels:
                    issue.labels.remove(value)
                elif verb == "set":
                    issue.labels = list(value)
        for operation in (body.get("update") or {}).get("comment", []):
            self.add_comment(issue, operation["add"]["body"], True, self.username)
        issue.updated = now()

    def add_comment(self, issue: Issue, body: Any, public: bool, author: str) -> Comment:
        """Add a comment (``public`` False: internal note)."""
        if not isinstance(body, str) or not body.strip():
            raise ApiError(400, errors={"comment": "Comment body can not be empty!"})
        comment = Comment(next(self._ids), body, public, author, now())
        issue.comments.append(comment)
        issue.updated = comment.created
        return comment

    def add_attachment(
        self, issue: Issue, filename: str, content: bytes, mime_type: str, author: str
    ) -> Attachment:
        """Attach a file to an issue."""
        attachment = Attachment(next(self._ids), filename, content, mime_type, author, now())
        issue.attachments.append(attachment)
        issue.updated = attachment.created
        return attachment

    def attachment(self, attachment_id: int) -> Attachment:
        """Find an attachment by id (404 otherwise)."""
        for issue in self.issues.values():
            for attachment in issue.attachments:
                if attachment.id == attachment_id:
                    return attachment
        raise ApiError(404, f"The attachment with id '{attachment_id}' does not exist")

    @staticmethod
    def transitions(issue: Issue) -> list[Transition]:
        """Transitions available from the issue's current status."""
        return [t for t in TRANSITIONS if t.to.lower() != issue.status.lower()]

    def transition(
        self,
        issue: Issue,
        transition_id: str,
        fields: dict[str, Any] | None = None,
        comment: str | None = None,
    ) -> None:
        """Move the issue along ``transition_id``; resolution follows the status category."""
        chosen = next((t for t in self.transitions(issue) if t.id == str(transition_id)), None)
        if chosen is None:
            raise ApiError(400, f"Transition id '{transition_id}' is not valid for this issue.")
        issue.status = chosen.to
        fields = dict(fields or {})
        resolution = (fields.pop("resolution", None) or {}).get("name")
        done = issue.status_info.category == "done"
        issue.resolution = (resolution or issue.resolution or "Done") if done else None
        self._apply_fields(issue, fields)
        if comment:
            self.add_comment(issue, comment, True, self.username)
        issue.updated = now()

    def search(self, query: str) -> list[Issue]:
        """All issues matching the JQL ``query``, ordered (default: newest first)."""
        parsed = jql.parse(query)
        probe = Issue(0, "X-0", Project("0", "X", "X"), "10001", "", "", now())
        for name in parsed.fields:
            probe.lookup(name)
        found = [issue for issue in self.issues.values() if parsed.matches(issue.lookup)]
        found.sort(key=lambda issue: issue.id, reverse=True)
        for name, descending in reversed(parsed.order_by):
            if name not in _ORDERABLE:
                raise jql.JqlError(f"Not able to sort using field '{name}'.")
            found.sort(key=lambda issue, n=name: issue.sort_key(n), reverse=descending)
        return found

    def _issue_type(self, wanted: dict[str, Any]) -> str | None:
        if str(wanted.get("id", "")) in ISSUE_TYPES:
            return str(wanted["id"])
        names = {name.lower(): type_id for type_id, name in ISSUE_TYPES.items()}
        return names.get(str(wanted.get("name", "")).lower())

    @staticmethod
    def _apply_fields(issue: Issue, fields: dict[str, Any]) -> None:
        components = fields.pop("components", None)
        if components is not None:
            project = issue.project
            by_id = {project.component_id(name): name for name in project.components}
            chosen = []
            for wanted in components:
                name = by_id.get(str(wanted.get("id"))) or wanted.get("name")
                if name not in project.components:
                    raise ApiError(
                        400, errors={"components": f"Component name '{name}' is not valid"}
                    )
                chosen.append(name)
            issue.components = chosen
        labels = fields.pop("labels", None)
        if labels is not None:
            bad = [label for label in labels if not label or " " in label]
            if bad:
                raise ApiError(
                    400,
                    errors={"labels": f"The label '{bad[0]}' contains spaces which is invalid."},
                )
            issue.labels = list(labels)
        priority = fields.pop("priority", None)
        if priority:
            by_name = {name.lower(): pid for pid, name in PRIORITIES.items()}
            priority_id = str(priority.get("id") or by_name.get(str(priority.get("name")).lower()))
            if priority_id not in PRIORITIES:
                raise ApiError(400, errors={"priority": "The priority selected is invalid."})
            issue.priority_id = priority_id
        if "summary" in fields:
            issue.summary = fields.pop("summary")
        if "description" in fields:
            issue.description = fields.pop("description")
        issue.fields.update(fields)
