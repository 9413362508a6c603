"""collect_facts over the signature-checking fake cloud: every host, or one host narrowly."""

from openstack.compute.v2.hypervisor import Hypervisor
from openstack.compute.v2.migration import Migration
from openstack.compute.v2.server import Server

from apis.openstack_api.hypervisor_facts import collect_facts
from tests.fakes.cloud import FakeCloud


def cloud():
    """hv1 (disabled for maintenance, one server, one running migration) and hv2 (busy)."""
    return FakeCloud(
        servers=[
            Server(id="s1", name="a", compute_host="hv1", hypervisor_hostname="hv1"),
            Server(id="s2", name="b", compute_host="hv2", hypervisor_hostname="hv2"),
            Server(id="s3", name="c", compute_host="hv2", hypervisor_hostname="hv2"),
        ],
        migrations=[
            Migration(id=1, source_compute="hv1", source_node="hv1", status="running"),
            Migration(id=2, source_compute="hv2", source_node="hv2", status="completed"),
        ],
        hypervisors=[
            Hypervisor(
                id="h1",
                name="hv1",
                state="up",
                status="disabled",
                service_details={"host": "hv1", "disabled_reason": "[maintenance] x"},
                uptime=" 10:00:00 up 5 min,  0 users",
            ),
            Hypervisor(id="h2", name="hv2", state="up", status="enabled", service_details={}),
        ],
    )


def test_every_hypervisor_with_its_servers_and_migrations():
    facts = {f.name: f for f in collect_facts(cloud())}
    assert (facts["hv1"].running_vms, facts["hv1"].migrations_in_progress) == (1, 1)
    assert (facts["hv2"].running_vms, facts["hv2"].migrations_in_progress) == (2, 0)
    assert facts["hv1"].disabled_reason == "[maintenance] x"
    assert facts["hv1"].uptime_seconds == 300


def test_one_host_lists_only_its_servers_and_migrations():
    conn = cloud()
    facts = {f.name: f for f in collect_facts(conn, host="hv1")}
    assert (facts["hv1"].running_vms, facts["hv1"].migrations_in_progress) == (1, 1)
    assert conn.kwargs_of("servers")[-1]["compute_host"] == "hv1"
    assert conn.kwargs_of("migrations")[-1] == {"source_compute": "hv1"}
    assert conn.kwargs_of("hypervisors")[-1]["hypervisor_hostname_pattern"] == "hv1"
