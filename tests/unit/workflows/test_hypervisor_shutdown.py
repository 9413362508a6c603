"""hypervisor.shutdown.servers against a fake cloud whose calls are checked against the SDK."""

import re
import threading

import openstack.connection
import pytest
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from openstack import exceptions
from openstack.compute.v2.server import Server
from openstack.compute.v2.service import Service
from openstack.identity.v3.project import Project

from apis.errors import CloudopsError
from apis.openstack_api import servers as servers_api
from apis.openstack_api.connection import WorkerConnections
from apis.openstack_api.hypervisor_service import HypervisorServiceError
from tests.fakes.cloud import FakeCloud
from tests.result_schemas import check_result
from workflows import hypervisor_shutdown
from workflows.hypervisor_shutdown import HypervisorShutdownError


def make_server(sid, name, status, host="hv1", project="p-web"):
    """A server on a host."""
    return Server(id=sid, name=name, status=status, compute_host=host, project_id=project)


@pytest.fixture(name="cloud")
def fixture_cloud(monkeypatch):
    """hv1 with two running servers, a stopped one, one in ERROR, and a lab server; hv2 other."""
    conn = FakeCloud(
        servers=[
            make_server("s-a", "web-a", "ACTIVE"),
            make_server("s-b", "web-b", "ACTIVE"),
            make_server("s-off", "web-off", "SHUTOFF"),
            make_server("s-err", "web-err", "ERROR"),
            make_server("s-lab", "keep-lab", "ACTIVE", project="p-lab"),
            make_server("s-other", "elsewhere", "ACTIVE", host="hv2"),
        ],
        projects=[Project(id="p-web", name="web"), Project(id="p-lab", name="lab")],
        services=[
            Service(id=f"svc-{h}", host=h, binary="nova-compute", status="enabled")
            for h in ("hv1", "hv2")
        ],
    )
    monkeypatch.setattr(servers_api, "POLL_SECONDS", 0)
    return conn


def outcomes(report):
    """name -> outcome."""
    return {s["name"]: s["outcome"] for s in report["servers"]}


def test_dry_run_stops_nothing(cloud):
    report = hypervisor_shutdown.shutdown_servers(cloud, "hv1")
    assert report["dry_run"] and report["hypervisor"] == "hv1"
    assert outcomes(report) == {
        "keep-lab": "would_stop",
        "web-a": "would_stop",
        "web-b": "would_stop",
        "web-err": "not_touched",
        "web-off": "unchanged",
    }
    assert report["counts"]["would_stop"] == 3 and report["counts"]["stopped"] == 0
    assert not [c for c in cloud.log if c[0] == "stop_server"] and not cloud.derived_in
    (listing,) = cloud.kwargs_of("servers")
    assert listing["compute_host"] == "hv1" and listing["all_projects"]


def test_stops_active_servers_with_worker_connections(cloud):
    report = hypervisor_shutdown.shutdown_servers(
        cloud, "hv1", dry_run=False, concurrency=2, skip_name_patterns=["^keep-"]
    )
    assert outcomes(report) == {
        "keep-lab": "skipped",
        "web-a": "stopped",
        "web-b": "stopped",
        "web-err": "not_touched",
        "web-off": "unchanged",
    }
    stopped = sorted(args[0].id for name, args, _ in cloud.log if name == "stop_server")
    assert stopped == ["s-a", "s-b"]
    assert all(s["seconds"] is not None for s in report["servers"] if s["outcome"] == "stopped")
    # each worker thread derives its connection once, over the execution's session
    assert 1 <= len(cloud.derived_in) <= 2 and len(set(cloud.derived_in)) == len(cloud.derived_in)
    check_result("hypervisor.shutdown.servers", report)


def test_a_dry_run_reports_the_stops_the_real_run_makes(cloud):
    planned = hypervisor_shutdown.shutdown_servers(cloud, "hv1", skip_name_patterns=["^keep-"])
    done = hypervisor_shutdown.shutdown_servers(
        cloud, "hv1", dry_run=False, skip_name_patterns=["^keep-"]
    )
    assert planned["objects"] == done["objects"] and done["changed"] and not planned["changed"]
    assert {o.name: (o.outcome.value, o.reason) for o in done["objects"]} == {
        "keep-lab": ("skipped", "name matches skip_name_patterns"),
        "web-a": ("done", ""),
        "web-b": ("done", ""),
        "web-err": ("skipped", "status ERROR: only ACTIVE ones stop"),
        "web-off": ("unchanged", "already SHUTOFF"),
    }


def test_projects_limit_the_servers(cloud):
    report = hypervisor_shutdown.shutdown_servers(cloud, "hv1", dry_run=False, projects=["lab"])
    assert outcomes(report) == {"keep-lab": "stopped"}
    assert cloud.compute.get_server("s-a").status == "ACTIVE"


def test_failures_fail_the_run_with_the_report(cloud):
    cloud.store["stop_results"] = {
        "s-a": "ERROR",
        "s-b": exceptions.ConflictException("Cannot 'stop' instance while it is in task_state"),
    }
    with pytest.raises(HypervisorShutdownError) as caught:
        hypervisor_shutdown.shutdown_servers(cloud, "hv1", dry_run=False, projects=["web"])
    assert str(caught.value) == "2 of 2 servers on hv1 did not stop: web-a, web-b"
    assert isinstance(caught.value, CloudopsError)
    report = caught.value.report
    assert report["counts"]["failed"] == 2 and report["counts"]["unchanged"] == 1
    errors = {s["name"]: s["error"] for s in report["servers"]}
    assert errors["web-a"] == "ServerError: server web-a went to ERROR: no fault recorded"
    assert errors["web-b"].startswith(
        "the cloud failed a request: HTTP 409: Cannot 'stop' instance"
    )


def test_a_transport_failure_on_one_stop_is_that_servers_outcome(cloud):
    """A stop that gets no answer fails its server only: the others still stop and the run
    fails with the whole report (it used to abort with no report)."""
    cloud.store["stop_results"] = {
        "s-b": ks_exceptions.ConnectTimeout(
            "Request to http://nova.example/v2.1/servers/s-b/action timed out"
        )
    }
    with pytest.raises(HypervisorShutdownError) as caught:
        hypervisor_shutdown.shutdown_servers(
            cloud, "hv1", dry_run=False, projects=["web"], concurrency=1
        )
    assert str(caught.value) == "1 of 2 servers on hv1 did not stop: web-b"
    report = caught.value.report
    assert outcomes(report) == {
        "web-a": "stopped",
        "web-b": "failed",
        "web-err": "not_touched",
        "web-off": "unchanged",
    }
    (failed,) = [s for s in report["servers"] if s["outcome"] == "failed"]
    assert "timed out; no answer in time" in failed["error"]
    assert cloud.compute.get_server("s-a").status == "SHUTOFF"
    check_result("hypervisor.shutdown.servers", report)


def test_a_server_that_does_not_stop_in_time_fails(cloud):
    cloud.store["stop_results"] = {"s-a": "ACTIVE"}
    with pytest.raises(HypervisorShutdownError, match="1 of 1 servers on hv1") as caught:
        hypervisor_shutdown.shutdown_servers(
            cloud,
            "hv1",
            dry_run=False,
            projects=["web"],
            skip_name_patterns=["b$"],
            wait_seconds=0.01,
        )
    (failed,) = [s for s in caught.value.report["servers"] if s["outcome"] == "failed"]
    assert "not SHUTOFF, after 0s" in failed["error"]


def test_bad_parameters_are_named(cloud):
    with pytest.raises(HypervisorShutdownError, match="concurrency 0 is out of range: 1 to 16"):
        hypervisor_shutdown.shutdown_servers(cloud, "hv1", concurrency=0)
    with pytest.raises(HypervisorShutdownError, match="wait_seconds 0 is out of range"):
        hypervisor_shutdown.shutdown_servers(cloud, "hv1", wait_seconds=0)
    with pytest.raises(HypervisorShutdownError, match=r"skip_name_patterns '\(' is not a valid"):
        hypervisor_shutdown.shutdown_servers(cloud, "hv1", skip_name_patterns=["("])
    with pytest.raises(HypervisorServiceError, match="Did you mean 'hv1'"):
        hypervisor_shutdown.shutdown_servers(cloud, "hv11")


def test_worker_connections_share_the_execution_session():
    """Each thread gets its own openstacksdk connection over the one authenticated session."""
    session = ks_session.Session(auth=token_endpoint.Token("http://127.0.0.1:9", "a-token"))
    conn = openstack.connection.Connection(session=session)
    connections = WorkerConnections(conn)
    first = connections.get()
    assert connections.get() is first and first is not conn
    other = []
    thread = threading.Thread(target=lambda: other.append(connections.get()))
    thread.start()
    thread.join()
    assert other[0] is not first
    assert first.session is session and other[0].session is session


def test_each_server_gets_a_progress_line(cloud, progress_lines):
    cloud.store["stop_results"] = {"s-b": "ERROR"}
    with pytest.raises(HypervisorShutdownError):
        hypervisor_shutdown.shutdown_servers(
            cloud, "hv1", dry_run=False, concurrency=1, skip_name_patterns=["^keep-"]
        )
    lines = progress_lines()
    assert lines[:3] == [
        "shutdown hv1: skipped server keep-lab (ACTIVE) (1 of 5, 1.5 s)",
        "shutdown hv1: not_touched server web-err (ERROR) (2 of 5, 3.0 s)",
        "shutdown hv1: unchanged server web-off (SHUTOFF) (3 of 5, 4.5 s)",
    ]
    assert re.fullmatch(
        r"shutdown hv1: stopped server web-a in [\d.]+ s \(4 of 5, 6\.0 s\)", lines[3]
    )
    assert lines[4] == (
        "shutdown hv1: failed to stop server web-b: ServerError: server web-b went to ERROR: "
        "no fault recorded (5 of 5, 7.5 s)"
    )
    assert len(lines) == 5


def test_a_dry_run_logs_what_it_would_do(cloud, progress_lines):
    hypervisor_shutdown.shutdown_servers(cloud, "hv1")
    assert (
        progress_lines()[0]
        == "shutdown hv1 (dry run): would_stop server keep-lab (ACTIVE) (1 of 5, 1.5 s)"
    )
    assert len(progress_lines()) == 5
