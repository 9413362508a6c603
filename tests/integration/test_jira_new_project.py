"""JSM new-project requests end to end: the sensor against the fake JSM, then the rule's action
through the local runner against the fake JSM and the devcloud.

Everything created in the cloud has a unique name and is removed afterwards, also when a test
fails.
"""

import copy
import json
import uuid
from pathlib import Path

import jinja2
import pytest
import yaml

from action_runtime.jsonable import to_jsonable
from apis.jira_api.account import JiraAccount
from packtools.inprocess import load_class, sensor_service
from tests.integration.action_run import run_action, same_changes
from tests.integration.devcloud_fixtures import delete_project, find
from workflows import jira_request_watch
from workflows.jira_new_project import Outcome, request_new_project
from workflows.jira_new_project_errors import NewProjectRequestError

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SENSOR = ROOT / "sensors" / "src" / "jira_new_project_sensor.py"
RULE = ROOT / "rules" / "jira_request_new_project.yaml"
READY, DONE, ATTENTION = "Ready for automation", "Done", "Needs attention"
EXTERNAL = "seed-public"
QUESTIONS = {
    "1": ("Project name", "project_name", "ts"),
    "2": ("Description", "description", "tl"),
    "3": ("Network", "network", "cs"),
    "4": ("Network CIDR", "network_cidr", "ts"),
    "5": ("Members", "members", "tl"),
    "6": ("Admins", "admins", "ts"),
    "7": ("Instances", "instances", "no"),
    "8": ("Cores", "cores", "no"),
    "9": ("Routers", "routers", "no"),
}


def unique(label):
    """A name no other test run uses."""
    return f"jsm-{label}-{uuid.uuid4().hex[:8]}"


def new_project_form(**answers):
    """The ``proforma.forms`` property of a request answering ``answers`` by question key."""
    questions, state = {}, {}
    for number, (label, key, kind) in QUESTIONS.items():
        question = {"label": label, "questionKey": key, "type": kind}
        if kind == "cs":
            question["choices"] = [{"id": "1", "label": "yes"}, {"id": "2", "label": "no"}]
        questions[number] = question
        if answers.get(key) is None:
            continue
        value = answers[key]
        state[number] = {"choices": ["1" if value else "2"]} if kind == "cs" else {"text": value}
    return {
        "forms": [
            {
                "id": "1",
                "design": {"settings": {"name": "New OpenStack project"}, "questions": questions},
                "state": {"status": "s", "answers": state},
            }
        ]
    }


@pytest.fixture(name="jsm")
def fixture_jsm(fake_jira):
    """The session's fake JSM, emptied (service desk OPS)."""
    fake_jira.state.reset()
    yield fake_jira
    fake_jira.state.reset()


def add_request(jsm, summary, status=READY, **answers):
    """A customer request in OPS with the new-project form, in ``status``; its key."""
    with jsm.state.lock:
        issue = jsm.state.create_request(
            {
                "serviceDeskId": "1",
                "requestTypeId": "11",
                "requestFieldValues": {"summary": summary},
            },
            "requester@example.org",
        )
        issue.properties["proforma.forms"] = new_project_form(**answers)
        issue.status = status
    return issue.key


def settings_for(cloud, **changes):
    """The pack config's jira_new_project for the fake and the devcloud."""
    return {
        "jira_account": "jsm",
        "service_desk": "OPS",
        "cloud_account": cloud,
        "questions": {"quotas": {"instances": "instances", "cores": "cores", "routers": "routers"}},
        **changes,
    }


@pytest.fixture(name="pack_config")
def fixture_pack_config(jsm, tmp_path):
    """A pack config writer: the fake as jira account ``jsm`` (one quick retry) and
    jira_new_project on the devcloud; returns the file and the config."""

    def write(cloud="devcloud", **changes):
        entry = {
            "name": "jsm",
            "url": jsm.url,
            "username": jsm.username,
            "api_token": jsm.token,
            "timeout": 5,
            "retries": 1,
            "backoff_factor": 0,
        }
        config = {"jira_accounts": [entry], "jira_new_project": settings_for(cloud, **changes)}
        path = tmp_path / "cloudops.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path, config

    return write


class Cleanup:
    """Users and projects (by name, with everything in them) to remove."""

    def __init__(self, admin):
        self.admin = admin
        self.users, self.project_names = [], []

    def user(self):
        """A new user in the default domain."""
        user = self.admin.identity.create_user(name=unique("user"), domain_id="default")
        self.users.append(user)
        return user

    def project_name(self, label):
        """A project name whose project, if any, is deleted afterwards."""
        name = unique(label)
        self.project_names.append(name)
        return name

    def run(self):
        """Delete it all."""
        for name in self.project_names:
            project = find(self.admin.identity.find_project, name, domain_id="default")
            if project is not None:
                delete_project(self.admin, project.id, None)
        for user in self.users:
            self.admin.identity.delete_user(user, ignore_missing=True)


@pytest.fixture(name="cleanup")
def fixture_cleanup(admin_conn):
    cleanup = Cleanup(admin_conn)
    yield cleanup
    cleanup.run()


def make_sensor(config):
    """The sensor with a fresh stand-in service."""
    service = sensor_service()
    return load_class(SENSOR, "JiraNewProjectSensor")(service, config=config), service


def rule_parameters(payload):
    """The action parameters the rule renders from a trigger payload, as key=value arguments."""
    rule = yaml.safe_load(RULE.read_text(encoding="utf-8"))
    assert rule["action"]["ref"] == "cloudops.jira.request_new_project"
    assert rule["trigger"]["type"] == jira_request_watch.TRIGGER
    arguments = []
    for name, value in rule["action"]["parameters"].items():
        if isinstance(value, str):
            value = jinja2.Template(value).render(trigger=payload)
        arguments.append(f"{name}={json.dumps(value) if isinstance(value, bool) else value}")
    return arguments


def comments(jsm, key):
    """``(body, public)`` of the ticket's comments."""
    return [(c.body, c.public) for c in jsm.state.issue(key).comments]


def test_sensor_dispatches_each_ready_request_once(jsm, pack_config):
    first = add_request(jsm, "project one", project_name="one")
    second = add_request(jsm, "project two", project_name="two")
    add_request(jsm, "still being written", status="Open", project_name="three")
    _, config = pack_config(cloud="unused")
    sensor, service = make_sensor(config)
    sensor.setup()
    sensor.poll()
    assert [d["payload"] for d in service.dispatched] == [
        {
            "issue_key": key,
            "summary": summary,
            "reporter": "requester@example.org",
            "jira_account": "jsm",
        }
        for key, summary in ((first, "project one"), (second, "project two"))
    ]
    assert {d["trigger"] for d in service.dispatched} == {"cloudops.jira.request_new_project"}
    sensor.poll()
    assert len(service.dispatched) == 2
    stored = service.get_value(jira_request_watch.DATASTORE_KEY)
    assert json.loads(stored) == sorted([first, second])
    searches = jsm.state.requests_to("/rest/api/2/search/jql")
    assert {(r.query.get("jql") or [r.body["jql"]])[0] for r in searches} == {
        'project = "OPS" AND status = "Ready for automation" ORDER BY created ASC, key ASC'
    }

    with jsm.state.lock:
        jsm.state.issue(first).status = ATTENTION
    sensor.poll()
    assert json.loads(service.get_value(jira_request_watch.DATASTORE_KEY)) == [second]
    with jsm.state.lock:
        jsm.state.issue(first).status = READY
    sensor.poll()
    assert [d["payload"]["issue_key"] for d in service.dispatched] == [first, second, first]


def test_sensor_survives_refusals_and_retries_overload(jsm, pack_config, caplog):
    key = add_request(jsm, "project one", project_name="one")
    _, config = pack_config(cloud="unused")
    sensor, service = make_sensor(config)
    service.set_value(jira_request_watch.DATASTORE_KEY, json.dumps([key]))
    jsm.state.fail_next("/rest/api/2/search/jql", 401)
    sensor.poll()
    assert "JSM poll failed, nothing dispatched" in caplog.text and "refused (401)" in caplog.text
    assert json.loads(service.get_value(jira_request_watch.DATASTORE_KEY)) == [key]
    assert jsm.token not in caplog.text

    other = add_request(jsm, "project two", project_name="two")
    jsm.state.fail_next("/rest/api/2/search/jql", 429, retry_after=0)
    sensor.poll()
    assert [d["payload"]["issue_key"] for d in service.dispatched] == [other]
    assert len(jsm.state.requests_to("/rest/api/2/search/jql")) == 3


def test_request_end_to_end_through_sensor_rule_and_action(jsm, pack_config, admin_conn, cleanup):
    admin, member = cleanup.user(), cleanup.user()
    name = cleanup.project_name("e2e")
    key = add_request(
        jsm,
        "A project for the astronomy lab",
        project_name=name,
        description="Astronomy lab",
        network=True,
        network_cidr="10.94.0.0/24",
        members=f"{member.name}, {admin.name}",
        admins=admin.name,
        instances="3",
        cores="6",
    )
    path, config = pack_config()
    settings = config["jira_new_project"]
    sensor, service = make_sensor(config)
    sensor.poll()
    assert len(service.dispatched) == 1
    arguments = rule_parameters(service.dispatched[0]["payload"])
    assert arguments == [f"issue={key}", "jira_account=jsm", "dry_run=false"]

    account = JiraAccount.from_config(config["jira_accounts"][0])
    planned = request_new_project(key, jira_account=account, jira_new_project=settings)
    assert planned.outcome is Outcome.WOULD_CREATE and planned.dry_run
    assert planned.plan.network_cidr == "10.94.0.0/24" and not planned.changed
    assert find(admin_conn.identity.find_project, name) is None
    assert comments(jsm, key) == [] and jsm.state.issue(key).status == READY

    code, answer, printed = run_action(path, "jira.request_new_project", *arguments)
    result = answer["result"]
    assert code == 0 and result["outcome"] == "created", printed
    assert same_changes(to_jsonable(planned), result) and result["changed"]
    assert [o["kind"] for o in result["objects"]] == [
        "project",
        "compute quota",
        "role",
        "role",
        "network",
        "subnet",
        "comment",
        "issue",
    ]
    assert jsm.token not in printed
    project = admin_conn.identity.get_project(result["project"]["project"]["id"])
    assert (project.name, project.description) == (
        name,
        f"Astronomy lab ({key})",
    )
    assert project.to_dict(computed=False).get("jira_request") == key
    assert sorted(project.tags) == ["jsm-request"]
    (network,) = admin_conn.network.networks(project_id=project.id)
    (subnet,) = admin_conn.network.subnets(network_id=network.id)
    assert (network.name, subnet.cidr) == (f"{name}-net", "10.94.0.0/24")
    quota = admin_conn.compute.get_quota_set(project.id)
    assert (quota.instances, quota.cores) == (3, 6)
    granted = sorted(
        (a.role["name"], a.user["id"])
        for a in admin_conn.identity.role_assignments(
            scope_project_id=project.id, include_names=True
        )
    )
    assert granted == sorted([("admin", admin.id), ("member", member.id)])
    ticket = jsm.state.issue(key)
    assert ticket.status == DONE and result["ticket_state"] == DONE
    ((body, public),) = comments(jsm, key)
    assert not public and f"cloudops created project *{name}*" in body
    assert body.splitlines() == [
        f"cloudops created project *{name}* in domain default (id {project.id}).",
        f"* network: {name}-net, subnet 10.94.0.0/24",
        "* quotas: cores=6, instances=3",
        f"* admins: {admin.name}",
        f"* members: {member.name}",
    ]

    again = request_new_project(key, False, account, settings)
    assert again.outcome is Outcome.SKIPPED and "is in state 'Done'" in again.message
    assert len(comments(jsm, key)) == 1


def test_unknown_member_creates_nothing_and_needs_attention(jsm, pack_config, admin_conn, cleanup):
    name = cleanup.project_name("nomember")
    ghost = unique("ghost")
    key = add_request(jsm, "a project", project_name=name, network=True, members=ghost)
    path, _ = pack_config()
    code, answer, printed = run_action(
        path, "jira.request_new_project", f"issue={key}", "dry_run=false"
    )
    failure = answer["result"]
    assert code == 1 and failure["error_type"] == "NewProjectRequestError", printed
    assert f"member_users {ghost!r}: no user" in failure["error"]
    assert failure["report"]["ticket_state"] == ATTENTION and failure["report"]["project"] is None
    assert find(admin_conn.identity.find_project, name) is None
    ((body, public),) = comments(jsm, key)
    assert not public and ghost in body and "No project was created." in body
    assert "Traceback" not in body and jsm.token not in body
    assert jsm.state.issue(key).status == ATTENTION


def test_failure_midway_is_rolled_back_and_commented(jsm, pack_config, admin_conn, cleanup):
    name = cleanup.project_name("rollback")
    key = add_request(jsm, "a project", project_name=name, network=True, routers="0")
    _, config = pack_config(external_network=EXTERNAL, comment_visibility="public")
    account = JiraAccount.from_config(config["jira_accounts"][0])
    with pytest.raises(NewProjectRequestError) as raised:
        request_new_project(
            key, dry_run=False, jira_account=account, jira_new_project=config["jira_new_project"]
        )
    assert f"failed while creating router {name}-router" in str(raised.value)
    assert find(admin_conn.identity.find_project, name) is None
    assert not list(admin_conn.network.networks(name=f"{name}-net"))
    ((body, public),) = comments(jsm, key)
    assert public and "rolled back:" in body and f"network {name}-net" in body
    assert jsm.state.issue(key).status == ATTENTION


def test_existing_project_name_needs_attention(jsm, pack_config, admin_conn, seeded_cloud):
    assert "seed-web" in seeded_cloud["projects"]
    key = add_request(jsm, "a project", project_name="seed-web", cores="2")
    _, config = pack_config()
    settings = copy.deepcopy(config["jira_new_project"])
    account = JiraAccount.from_config(config["jira_accounts"][0])
    before = admin_conn.compute.get_quota_set(seeded_cloud["projects"]["seed-web"]["id"]).cores
    with pytest.raises(NewProjectRequestError, match="'seed-web' already exists in domain"):
        request_new_project(key, dry_run=False, jira_account=account, jira_new_project=settings)
    after = admin_conn.compute.get_quota_set(seeded_cloud["projects"]["seed-web"]["id"]).cores
    assert before == after
    assert "already exists" in comments(jsm, key)[0][0]
    assert jsm.state.issue(key).status == ATTENTION
    assert find(admin_conn.identity.find_project, "seed-web", domain_id="default") is not None
