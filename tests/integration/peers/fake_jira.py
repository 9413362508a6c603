"""A stateful fake Jira (REST API v2) and Jira Service Management (servicedeskapi) server.

It runs in a thread on loopback and speaks enough of both APIs for the ``jira`` library and for
plain ``requests``: serverInfo, myself, fields, projects and their components, issue types,
issues (create, get, edit; components checked against the project), issue properties,
comments (public and internal), transitions, attachments, JQL search (``/search`` with
startAt/maxResults/total and ``/search/jql`` with nextPageToken), service desks, request types,
customer requests and their comments, transitions and attachments. Every request needs Basic
auth with the user and API token (401 otherwise). ``state.fail_next`` injects 401/403/404/429/...
answers, ``state.delay_next`` slows answers down (for timeouts), ``state.received`` records
requests. ``/search/jql`` returns only ids unless ``fields`` is given, like Jira Cloud.
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, urlsplit

from . import jql
from .common import LOOPBACK
from .jira_state import (
    ISSUE_TYPES,
    PRIORITIES,
    STATUSES,
    ApiError,
    Attachment,
    Comment,
    Issue,
    JiraState,
    Project,
    RecordedRequest,
    Status,
)

JIRA_USER = "cloudops-bot@example.com"
JIRA_TOKEN = "fake-api-token"
_SD = "/rest/servicedeskapi"
_API = "/rest/api/2"
_CATEGORY_NAMES = {
    "new": ("2", "To Do"),
    "indeterminate": ("4", "In Progress"),
    "done": ("3", "Done"),
}
_STANDARD_FIELDS = (
    ("summary", "Summary", "string"),
    ("description", "Description", "string"),
    ("project", "Project", "project"),
    ("issuetype", "Issue Type", "issuetype"),
    ("status", "Status", "status"),
    ("labels", "Labels", "array"),
    ("components", "Component/s", "array"),
    ("priority", "Priority", "priority"),
    ("reporter", "Reporter", "user"),
    ("created", "Created", "datetime"),
    ("updated", "Updated", "datetime"),
    ("resolution", "Resolution", "resolution"),
    ("comment", "Comment", "comments-page"),
    ("attachment", "Attachment", "array"),
)


@dataclass
class _Call:
    """One authenticated request as seen by a route."""

    state: JiraState
    user: str
    match: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    raw_body: bytes
    headers: Any

    @property
    def base(self) -> str:
        """Base URL of the fake."""
        return self.state.base_url

    def param(self, name: str, default: Any = None) -> Any:
        """A query parameter, or a top-level key of a JSON body."""
        if name in self.query:
            return self.query[name][0]
        if isinstance(self.body, dict) and name in self.body:
            return self.body[name]
        return default

    def int_param(self, name: str, default: int) -> int:
        """An integer parameter (400 when it is not one)."""
        value = self.param(name, default)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"'{name}' must be an integer, got '{value}'.") from None

    def fields_param(self, default: str) -> list[str]:
        """The ``fields`` parameter, repeated or comma-separated."""
        values = self.query.get("fields")
        if values is None and isinstance(self.body, dict):
            values = self.body.get("fields")
        if isinstance(values, str):
            values = [values]
        return [name for value in values or [default] for name in str(value).split(",") if name]

    def issue(self) -> Issue:
        """The issue named in the path."""
        return self.state.issue(self.match["issue"])


@dataclass
class _Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json;charset=UTF-8"


_ROUTES: list[tuple[tuple[str, ...], re.Pattern, Callable[[_Call], _Reply]]] = []


def _route(methods: str, pattern: str) -> Callable:
    def register(func: Callable[[_Call], _Reply]) -> Callable[[_Call], _Reply]:
        _ROUTES.append((tuple(methods.split("|")), re.compile(pattern + "/?"), func))
        return func

    return register


def _jira_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _sd_date(moment: datetime) -> dict[str, Any]:
    return {
        "iso8601": moment.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "jira": _jira_time(moment),
        "friendly": moment.strftime("%d/%b/%y %I:%M %p"),
        "epochMillis": int(moment.timestamp() * 1000),
    }


def _account_id(name: str) -> str:
    return "5b10" + hashlib.sha256(name.encode()).hexdigest()[:20]


def _user(base: str, name: str) -> dict[str, Any]:
    return {
        "self": f"{base}{_API}/user?accountId={_account_id(name)}",
        "accountId": _account_id(name),
        "accountType": "atlassian",
        "name": name,
        "key": name,
        "emailAddress": name,
        "displayName": name.split("@")[0],
        "active": True,
        "timeZone": "UTC",
    }


def _sd_user(base: str, name: str) -> dict[str, Any]:
    return {
        "accountId": _account_id(name),
        "emailAddress": name,
        "displayName": name.split("@")[0],
        "active": True,
        "timeZone": "UTC",
        "_links": {"self": f"{base}{_API}/user?accountId={_account_id(name)}"},
    }


def _status(base: str, status: Status) -> dict[str, Any]:
    category_id, category_name = _CATEGORY_NAMES[status.category]
    return {
        "self": f"{base}{_API}/status/{status.id}",
        "id": status.id,
        "name": status.name,
        "description": "",
        "statusCategory": {"id": int(category_id), "key": status.category, "name": category_name},
    }


def _project(base: str, project: Project) -> dict[str, Any]:
    return {
        "self": f"{base}{_API}/project/{project.id}",
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "projectTypeKey": "service_desk" if project.service_desk_id else "software",
        "issueTypes": [_issue_type(base, type_id) for type_id in ISSUE_TYPES],
    }


def _issue_type(base: str, type_id: str) -> dict[str, Any]:
    return {
        "self": f"{base}{_API}/issuetype/{type_id}",
        "id": type_id,
        "name": ISSUE_TYPES[type_id],
        "subtask": False,
    }


def _component(base: str, project: Project, name: str) -> dict[str, Any]:
    component_id = project.component_id(name)
    return {
        "self": f"{base}{_API}/component/{component_id}",
        "id": component_id,
        "name": name,
        "description": "",
        "project": project.key,
        "projectId": int(project.id),
    }


def _comment(base: str, issue: Issue, comment: Comment, expand: str = "") -> dict[str, Any]:
    rendered = {
        "self": f"{base}{_API}/issue/{issue.id}/comment/{comment.id}",
        "id": str(comment.id),
        "author": _user(base, comment.author),
        "updateAuthor": _user(base, comment.author),
        "body": comment.body,
        "created": _jira_time(comment.created),
        "updated": _jira_time(comment.created),
        "jsdPublic": comment.public,
    }
    if "properties" in expand:
        rendered["properties"] = [
            {"key": "sd.public.comment", "value": {"internal": not comment.public}}
        ]
    return rendered


def _attachment(base: str, attachment: Attachment) -> dict[str, Any]:
    return {
        "self": f"{base}{_API}/attachment/{attachment.id}",
        "id": str(attachment.id),
        "filename": attachment.filename,
        "author": _user(base, attachment.author),
        "created": _jira_time(attachment.created),
        "size": len(attachment.content),
        "mimeType": attachment.mime_type,
        "content": f"{base}/secure/attachment/{attachment.id}/{attachment.filename}",
    }


def _issue(base: str, issue: Issue, wanted: list[str] | None = None) -> dict[str, Any]:
    every = {
        "summary": issue.summary,
        "description": issue.description,
        "project": _project(base, issue.project),
        "issuetype": _issue_type(base, issue.issue_type_id),
        "status": _status(base, issue.status_info),
        "labels": list(issue.labels),
        "components": [_component(base, issue.project, name) for name in issue.components],
        "priority": {"id": issue.priority_id, "name": PRIORITIES[issue.priority_id]},
        "reporter": _user(base, issue.reporter),
        "creator": _user(base, issue.reporter),
        "assignee": None,
        "created": _jira_time(issue.created),
        "updated": _jira_time(issue.updated or issue.created),
        "resolution": {"name": issue.resolution} if issue.resolution else None,
        "comment": {
            "comments": [_comment(base, issue, c) for c in issue.comments],
            "maxResults": len(issue.comments),
            "total": len(issue.comments),
            "startAt": 0,
        },
        "attachment": [_attachment(base, a) for a in issue.attachments],
        **issue.fields,
    }
    names = set(wanted or ["*all"])
    if not names & {"*all", "*navigable"}:
        every = {name: value for name, value in every.items() if name in names}
    rendered = {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,transitions",
        "id": str(issue.id),
        "self": f"{base}{_API}/issue/{issue.id}",
        "key": issue.key,
    }
    if names != {"id"}:
        rendered["fields"] = every
    return rendered


def _request(base: str, issue: Issue) -> dict[str, Any]:
    status = issue.status_info
    portal = f"{base}/servicedesk/customer/portal/{issue.project.service_desk_id}"
    return {
        "_expands": ["participant", "status", "sla", "requestType", "serviceDesk", "attachment"],
        "issueId": str(issue.id),
        "issueKey": issue.key,
        "requestTypeId": issue.request_type_id,
        "serviceDeskId": issue.project.service_desk_id,
        "createdDate": _sd_date(issue.created),
        "reporter": _sd_user(base, issue.reporter),
        "requestFieldValues": [
            {"fieldId": "summary", "label": "Summary", "value": issue.summary},
            {"fieldId": "description", "label": "Description", "value": issue.description},
        ],
        "currentStatus": {
            "status": status.name,
            "statusCategory": status.category.upper(),
            "statusDate": _sd_date(issue.updated or issue.created),
        },
        "_links": {
            "jiraRest": f"{base}{_API}/issue/{issue.id}",
            "web": f"{portal}/{issue.key}",
            "self": f"{base}{_SD}/request/{issue.id}",
        },
    }


def _sd_comment(base: str, issue: Issue, comment: Comment) -> dict[str, Any]:
    return {
        "id": str(comment.id),
        "body": comment.body,
        "public": comment.public,
        "author": _sd_user(base, comment.author),
        "created": _sd_date(comment.created),
        "_links": {"self": f"{base}{_SD}/request/{issue.id}/comment/{comment.id}"},
    }


def _sd_page(call: _Call, values: list[Any]) -> dict[str, Any]:
    start = call.int_param("start", 0)
    limit = min(call.int_param("limit", 50), call.state.max_page_size)
    page = values[start : start + limit]
    return {
        "size": len(page),
        "start": start,
        "limit": limit,
        "isLastPage": start + limit >= len(values),
        "values": page,
        "_links": {"base": call.base, "context": ""},
    }


def _service_request(call: _Call) -> Issue:
    issue = call.issue()
    if issue.request_type_id is None:
        raise ApiError(404, f"The request '{issue.key}' is not a customer request.")
    return issue


@_route("GET", f"{_API}/serverInfo")
def _server_info(call: _Call) -> _Reply:
    cloud = call.state.deployment_type == "Cloud"
    version = [1001, 0, 0] if cloud else [9, 12, 2]
    return _Reply(
        body={
            "baseUrl": call.base,
            "version": ".".join(map(str, version)) + ("-SNAPSHOT" if cloud else ""),
            "versionNumbers": version,
            "deploymentType": call.state.deployment_type,
            "buildNumber": 100250,
            "serverTitle": "Fake Jira",
        }
    )


@_route("GET", f"{_API}/myself")
def _myself(call: _Call) -> _Reply:
    return _Reply(body=_user(call.base, call.user))


@_route("GET", "/rest/auth/1/session")
def _session(call: _Call) -> _Reply:
    return _Reply(
        body={
            "self": f"{call.base}{_API}/myself",
            "name": call.user,
            "loginInfo": {"loginCount": 1},
        }
    )


@_route("GET", f"{_API}/field")
def _fields(_call: _Call) -> _Reply:
    return _Reply(
        body=[
            {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [field_id],
                "schema": {"type": kind, "system": field_id},
            }
            for field_id, name, kind in _STANDARD_FIELDS
        ]
    )


@_route("GET", f"{_API}/issuetype")
def _issue_types(call: _Call) -> _Reply:
    return _Reply(body=[_issue_type(call.base, type_id) for type_id in ISSUE_TYPES])


@_route("GET", f"{_API}/project")
def _projects(call: _Call) -> _Reply:
    return _Reply(body=[_project(call.base, p) for p in call.state.projects.values()])


@_route("GET", f"{_API}/project/(?P<project>[^/]+)")
def _get_project(call: _Call) -> _Reply:
    return _Reply(body=_project(call.base, call.state.project(call.match["project"])))


@_route("GET", f"{_API}/project/(?P<project>[^/]+)/components")
def _project_components(call: _Call) -> _Reply:
    project = call.state.project(call.match["project"])
    return _Reply(body=[_component(call.base, project, name) for name in project.components])


@_route("POST", f"{_API}/issue")
def _create_issue(call: _Call) -> _Reply:
    if not isinstance(call.body, dict) or not isinstance(call.body.get("fields"), dict):
        raise ApiError(400, "Can not create an issue without 'fields'.")
    issue = call.state.create_issue(call.body["fields"], call.user)
    return _Reply(
        201, {"id": str(issue.id), "key": issue.key, "self": f"{call.base}{_API}/issue/{issue.id}"}
    )


@_route("GET", f"{_API}/issue/(?P<issue>[^/]+)")
def _get_issue(call: _Call) -> _Reply:
    return _Reply(body=_issue(call.base, call.issue(), call.fields_param("*all")))


@_route("PUT", f"{_API}/issue/(?P<issue>[^/]+)")
def _edit_issue(call: _Call) -> _Reply:
    call.state.edit_issue(call.issue(), call.body if isinstance(call.body, dict) else {})
    return _Reply(204)


@_route("GET", f"{_API}/issue/(?P<issue>[^/]+)/properties")
def _issue_property_keys(call: _Call) -> _Reply:
    issue = call.issue()
    keys = [
        {"self": f"{call.base}{_API}/issue/{issue.id}/properties/{key}", "key": key}
        for key in issue.properties
    ]
    return _Reply(body={"keys": keys})


_PROPERTY = f"{_API}/issue/(?P<issue>[^/]+)/properties/(?P<key>[^/]+)"


@_route("GET", _PROPERTY)
def _get_issue_property(call: _Call) -> _Reply:
    issue, key = call.issue(), call.match["key"]
    if key not in issue.properties:
        raise ApiError(404, f"The property with key '{key}' does not exist.")
    return _Reply(body={"key": key, "value": issue.properties[key]})


@_route("PUT", _PROPERTY)
def _set_issue_property(call: _Call) -> _Reply:
    issue, key = call.issue(), call.match["key"]
    if call.body is None:
        raise ApiError(400, "The property value must be JSON.")
    existed = key in issue.properties
    issue.properties[key] = call.body
    return _Reply(200 if existed else 201)


@_route("DELETE", _PROPERTY)
def _delete_issue_property(call: _Call) -> _Reply:
    issue, key = call.issue(), call.match["key"]
    if issue.properties.pop(key, None) is None:
        raise ApiError(404, f"The property with key '{key}' does not exist.")
    return _Reply(204)


@_route("GET", f"{_API}/issue/(?P<issue>[^/]+)/comment")
def _list_comments(call: _Call) -> _Reply:
    issue = call.issue()
    start = call.int_param("startAt", 0)
    limit = min(call.int_param("maxResults", 5000), 5000)
    comments = issue.comments[start : start + limit]
    expand = call.param("expand", "")
    return _Reply(
        body={
            "startAt": start,
            "maxResults": limit,
            "total": len(issue.comments),
            "comments": [_comment(call.base, issue, c, expand) for c in comments],
        }
    )


@_route("GET", f"{_API}/issue/(?P<issue>[^/]+)/comment/(?P<comment>[0-9]+)")
def _get_comment(call: _Call) -> _Reply:
    issue = call.issue()
    for comment in issue.comments:
        if str(comment.id) == call.match["comment"]:
            return _Reply(body=_comment(call.base, issue, comment, call.param("expand", "")))
    raise ApiError(404, "Can not find a comment for the id: " + call.match["comment"])


@_route("POST", f"{_API}/issue/(?P<issue>[^/]+)/comment")
def _add_comment(call: _Call) -> _Reply:
    body = call.body if isinstance(call.body, dict) else {}
    internal = any(
        prop.get("key") == "sd.public.comment" and (prop.get("value") or {}).get("internal")
        for prop in body.get("properties") or []
    )
    issue = call.issue()
    comment = call.state.add_comment(issue, body.get("body"), not internal, call.user)
    return _Reply(201, _comment(call.base, issue, comment, "properties"))


def _transition_list(call: _Call) -> list[dict[str, Any]]:
    return [
        {
            "id": t.id,
            "name": t.name,
            "to": _status(call.base, STATUSES[t.to.lower()]),
            "hasScreen": False,
            "isGlobal": True,
            "isInitial": False,
            "isConditional": False,
        }
        for t in call.state.transitions(call.issue())
    ]


@_route("GET", f"{_API}/issue/(?P<issue>[^/]+)/transitions")
def _list_transitions(call: _Call) -> _Reply:
    return _Reply(body={"expand": "transitions", "transitions": _transition_list(call)})


@_route("POST", f"{_API}/issue/(?P<issue>[^/]+)/transitions")
def _do_transition(call: _Call) -> _Reply:
    body = call.body if isinstance(call.body, dict) else {}
    comments = (body.get("update") or {}).get("comment") or [{}]
    call.state.transition(
        call.issue(),
        str((body.get("transition") or {}).get("id", "")),
        body.get("fields"),
        (comments[0].get("add") or {}).get("body"),
    )
    return _Reply(204)


@_route("POST", f"{_API}/issue/(?P<issue>[^/]+)/attachments")
def _add_attachments(call: _Call) -> _Reply:
    if call.headers.get("X-Atlassian-Token", "").lower() != "no-check":
        raise ApiError(403, "XSRF check failed")
    content_type = call.headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(415, "Attachments must be sent as multipart/form-data.")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + call.raw_body
    )
    issue = call.issue()
    added = [
        call.state.add_attachment(
            issue,
            part.get_filename() or "attachment",
            part.get_payload(decode=True) or b"",
            part.get_content_type(),
            call.user,
        )
        for part in message.iter_parts()
        if part.get_param("name", header="content-disposition") == "file"
    ]
    if not added:
        raise ApiError(400, "No 'file' part in the upload.")
    return _Reply(body=[_attachment(call.base, attachment) for attachment in added])


@_route("GET", f"{_API}/attachment/(?P<attachment>[0-9]+)")
def _get_attachment(call: _Call) -> _Reply:
    return _Reply(body=_attachment(call.base, call.state.attachment(int(call.match["attachment"]))))


@_route("GET", "/secure/attachment/(?P<attachment>[0-9]+)/[^/]*")
def _attachment_content(call: _Call) -> _Reply:
    attachment = call.state.attachment(int(call.match["attachment"]))
    return _Reply(body=attachment.content, content_type=attachment.mime_type)


@_route("GET|POST", f"{_API}/search")
def _search(call: _Call) -> _Reply:
    start = max(call.int_param("startAt", 0), 0)
    limit = min(max(call.int_param("maxResults", 50), 0), call.state.max_page_size)
    found = call.state.search(call.param("jql", ""))
    wanted = call.fields_param("*navigable")
    return _Reply(
        body={
            "expand": "schema,names",
            "startAt": start,
            "maxResults": limit,
            "total": len(found),
            "issues": [_issue(call.base, issue, wanted) for issue in found[start : start + limit]],
        }
    )


@_route("GET|POST", f"{_API}/search/jql")
def _search_jql(call: _Call) -> _Reply:
    token = call.param("nextPageToken")
    try:
        start = int(base64.urlsafe_b64decode(str(token)).decode()) if token else 0
    except ValueError:
        raise ApiError(400, "The provided next page token is invalid or expired.") from None
    limit = min(max(call.int_param("maxResults", 50), 1), call.state.max_page_size)
    found = call.state.search(call.param("jql", ""))
    wanted = call.fields_param("id")
    body: dict[str, Any] = {
        "issues": [_issue(call.base, issue, wanted) for issue in found[start : start + limit]],
        "isLast": start + limit >= len(found),
    }
    if not body["isLast"]:
        body["nextPageToken"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
    return _Reply(body=body)


def _desks(state: JiraState) -> list[Project]:
    return [p for p in state.projects.values() if p.service_desk_id]


def _desk_json(base: str, project: Project) -> dict[str, Any]:
    return {
        "id": project.service_desk_id,
        "projectId": project.id,
        "projectKey": project.key,
        "projectName": project.name,
        "_links": {"self": f"{base}{_SD}/servicedesk/{project.service_desk_id}"},
    }


def _desk(call: _Call) -> Project:
    for project in _desks(call.state):
        if call.match["desk"] in (project.service_desk_id, project.key):
            return project
    raise ApiError(404, f"Service desk '{call.match['desk']}' does not exist.")


@_route("GET", f"{_SD}/servicedesk")
def _service_desks(call: _Call) -> _Reply:
    return _Reply(body=_sd_page(call, [_desk_json(call.base, p) for p in _desks(call.state)]))


@_route("GET", f"{_SD}/servicedesk/(?P<desk>[^/]+)")
def _service_desk(call: _Call) -> _Reply:
    return _Reply(body=_desk_json(call.base, _desk(call)))


@_route("GET", f"{_SD}/servicedesk/(?P<desk>[^/]+)/requesttype")
def _request_types(call: _Call) -> _Reply:
    project = _desk(call)
    values = [
        {
            "id": type_id,
            "name": name,
            "description": name,
            "issueTypeId": issue_type,
            "serviceDeskId": project.service_desk_id,
            "groupIds": [],
        }
        for type_id, (name, issue_type) in project.request_types.items()
    ]
    return _Reply(body=_sd_page(call, values))


@_route("POST", f"{_SD}/request")
def _create_request(call: _Call) -> _Reply:
    issue = call.state.create_request(call.body if isinstance(call.body, dict) else {}, call.user)
    return _Reply(201, _request(call.base, issue))


@_route("GET", f"{_SD}/request/(?P<issue>[^/]+)")
def _get_request(call: _Call) -> _Reply:
    return _Reply(body=_request(call.base, _service_request(call)))


@_route("GET", f"{_SD}/request/(?P<issue>[^/]+)/comment")
def _list_request_comments(call: _Call) -> _Reply:
    issue = _service_request(call)
    public = str(call.param("public", "true")).lower() == "true"
    internal = str(call.param("internal", "true")).lower() == "true"
    shown = [c for c in issue.comments if (public if c.public else internal)]
    return _Reply(body=_sd_page(call, [_sd_comment(call.base, issue, c) for c in shown]))


@_route("POST", f"{_SD}/request/(?P<issue>[^/]+)/comment")
def _add_request_comment(call: _Call) -> _Reply:
    issue = _service_request(call)
    body = call.body if isinstance(call.body, dict) else {}
    public = body.get("public", True)
    if not isinstance(public, bool):
        raise ApiError(400, "'public' must be a boolean.")
    comment = call.state.add_comment(issue, body.get("body"), public, call.user)
    return _Reply(201, _sd_comment(call.base, issue, comment))


@_route("GET", f"{_SD}/request/(?P<issue>[^/]+)/transition")
def _list_request_transitions(call: _Call) -> _Reply:
    _service_request(call)
    values = [{"id": t["id"], "name": t["name"]} for t in _transition_list(call)]
    return _Reply(body=_sd_page(call, values))


@_route("POST", f"{_SD}/request/(?P<issue>[^/]+)/transition")
def _do_request_transition(call: _Call) -> _Reply:
    body = call.body if isinstance(call.body, dict) else {}
    comment = (body.get("additionalComment") or {}).get("body")
    call.state.transition(_service_request(call), str(body.get("id", "")), None, comment)
    return _Reply(204)


@_route("GET", f"{_SD}/request/(?P<issue>[^/]+)/attachment")
def _list_request_attachments(call: _Call) -> _Reply:
    values = [
        {
            "filename": a.filename,
            "author": _sd_user(call.base, a.author),
            "created": _sd_date(a.created),
            "size": len(a.content),
            "mimeType": a.mime_type,
            "_links": {"content": f"{call.base}/secure/attachment/{a.id}/{a.filename}"},
        }
        for a in _service_request(call).attachments
    ]
    return _Reply(body=_sd_page(call, values))


def _error_reply(path: str, status: int, messages: list[str], errors: dict[str, str]) -> _Reply:
    if path.startswith(_SD):
        text = "; ".join([*messages, *errors.values()])
        return _Reply(
            status,
            {"errorMessage": text, "i18nErrorMessage": {"i18nKey": "fake.error", "parameters": []}},
        )
    return _Reply(status, {"errorMessages": messages, "errors": errors})


def _find_route(method: str, path: str) -> tuple[Callable[[_Call], _Reply], dict[str, str]]:
    known_path = False
    for methods, pattern, func in _ROUTES:
        match = pattern.fullmatch(path)
        if match and method in methods:
            return func, match.groupdict()
        known_path = known_path or match is not None
    if known_path:
        raise ApiError(405, f"{method} is not allowed on {path}.")
    raise ApiError(404, f"No resource at {path} in the fake Jira.")


_FAULT_TEXT = {
    401: "You are not authenticated. Authentication required to perform this operation.",
    403: "You do not have permission to perform this operation.",
    404: "Issue does not exist or you do not have permission to see it.",
    429: "Rate limit exceeded.",
    503: "Service unavailable.",
}


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the functions registered with ``_route``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        """Serve GET."""
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Keep the test output quiet."""

    def _dispatch(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = (
                json.loads(raw) if raw and "json" in self.headers.get("Content-Type", "") else None
            )
        except ValueError:
            body = None
        delay = state.take_delay(self.command, url.path)
        if delay:
            time.sleep(delay)
        with state.lock:
            user = state.authenticate(self.headers.get("Authorization"))
            query = parse_qs(url.query, keep_blank_values=True)
            state.received.append(RecordedRequest(self.command, url.path, query, body, user))
            reply = self._answer(
                state, url.path, user, _Call(state, user or "", {}, query, body, raw, self.headers)
            )
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(reply)

    def _answer(self, state: JiraState, path: str, user: str | None, call: _Call) -> _Reply:
        fault = state.take_fault(self.command, path)
        if fault is not None:
            text = fault.message or _FAULT_TEXT.get(fault.status, "Error")
            reply = _error_reply(path, fault.status, [text], {})
            if fault.retry_after is not None:
                reply.headers["Retry-After"] = str(fault.retry_after)
            return reply
        try:
            if user is None:
                raise ApiError(401, _FAULT_TEXT[401])
            func, call.match = _find_route(self.command, path)
            return func(call)
        except ApiError as exc:
            return _error_reply(path, exc.status, exc.messages, exc.errors)
        except jql.JqlError as exc:
            return _error_reply(path, 400, [str(exc)], {})

    def _send(self, reply: _Reply) -> None:
        if isinstance(reply.body, bytes):
            payload = reply.body
        elif reply.body is None:
            payload = b""
        else:
            payload = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        if payload:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: JiraState) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.state = state


@dataclass(frozen=True)
class FakeJira:
    """The running fake: log in at ``url`` with ``username`` and ``token``; inspect ``state``."""

    url: str
    username: str
    token: str
    state: JiraState = field(repr=False)


@contextlib.contextmanager
def running(_state_dir: Path | None = None) -> Iterator[FakeJira]:
    """Serve a fresh fake Jira on a free loopback port in a background thread."""
    state = JiraState(JIRA_USER, JIRA_TOKEN)
    server = _Server(state)
    state.base_url = f"http://{LOOPBACK}:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-jira", daemon=True
    )
    thread.start()
    try:
        yield FakeJira(state.base_url, JIRA_USER, JIRA_TOKEN, state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
