"""The devcloud testbed itself: the seed fixture matches its summary and is idempotent, and a
throwaway project leaves nothing behind."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from apis.openstack_api.hypervisor_facts import collect_facts
from tests.integration.devcloud_fixtures import find, leftovers, throwaway

pytestmark = pytest.mark.integration


def test_seed_servers_match_summary(seeded_cloud, admin_conn):
    servers = {s.name: s for s in admin_conn.compute.servers(all_projects=True, name="^seed-")}
    want = seeded_cloud["servers"]
    assert set(servers) == set(want)
    for name, spec in want.items():
        got = servers[name]
        assert (got.id, got.status, got.compute_host, got.created_at) == (
            spec["id"],
            spec["status"],
            spec["host"],
            spec["created_at"],
        ), name
        assert (got.project_id, got.user_id) == (spec["project_id"], spec["user_id"]), name
        assert got.flavor.original_name == spec["flavor"], name
        assert (got.created_at[:10] < seeded_cloud["anchor"]) == spec["backdated"], name
    assert {s["status"] for s in want.values()} == {"ACTIVE", "SHUTOFF", "ERROR"}
    assert {s["host"] for s in want.values() if s["host"]} == set(seeded_cloud["hypervisors"])
    assert len(seeded_cloud["hypervisors"]) >= 2
    assert len({s["project"] for s in want.values()}) >= 3
    assert len({s["user"] for s in want.values()}) >= 3


def test_seed_backdating_spans_a_year(seeded_cloud):
    created = sorted(s["created_at"] for s in seeded_cloud["servers"].values() if s["backdated"])
    assert len(created) >= 5
    assert created[0][:4] < seeded_cloud["anchor"][:4]


def test_seed_decommission_marks(seeded_cloud, admin_conn):
    key = seeded_cloud["decommission_key"]
    flavors, images = seeded_cloud["flavors"], seeded_cloud["images"]
    for flavor in flavors.values():
        specs = admin_conn.compute.fetch_flavor_extra_specs(flavor["id"]).extra_specs or {}
        assert specs.get(key) == flavor["extra_specs"].get(key)
    for image in images.values():
        properties = admin_conn.image.get_image(image["id"]).properties
        assert properties.get(key) == image["properties"].get(key)
    marked_flavors = {n for n, f in flavors.items() if key in f["extra_specs"]}
    marked_images = {n for n, i in images.items() if key in i["properties"]}
    assert marked_flavors and marked_images
    servers = seeded_cloud["servers"].values()
    assert any(s["flavor"] in marked_flavors for s in servers)
    assert any(s["image"] in marked_images for s in servers)


def test_seed_identity(seeded_cloud, admin_conn):
    identity = admin_conn.identity
    for name, project in seeded_cloud["projects"].items():
        got = identity.get_project(project["id"])
        assert (got.name, got.domain_id, got.description) == (
            name,
            project["domain_id"],
            project["description"],
        )
    roles = {r.id: r.name for r in identity.roles()}
    projects = {p["id"]: n for n, p in seeded_cloud["projects"].items()}
    for name, user in seeded_cloud["users"].items():
        got = identity.get_user(user["id"])
        assert (got.name, got.domain_id, got.email) == (name, user["domain_id"], user["email"])
        grants = {}
        for assignment in identity.role_assignments(user_id=user["id"]):
            project = projects.get(assignment.scope.get("project", {}).get("id"))
            if project:
                grants.setdefault(project, []).append(roles[assignment.role["id"]])
        assert grants == user["roles"], name
    assert any(u["email"] is None for u in seeded_cloud["users"].values())


def test_seed_user_sees_only_own_project(seeded_cloud):
    import openstack

    user = seeded_cloud["users"]["seed-bob"]
    conn = openstack.connect(
        auth_url=seeded_cloud["auth_url"],
        username="seed-bob",
        password=user["password"],
        user_domain_id=user["domain_id"],
        project_id=seeded_cloud["projects"]["seed-web"]["id"],
        region_name=seeded_cloud["region"],
        identity_api_version="3",
        load_yaml_config=False,
        load_envvars=False,
    )
    names = {s.name for s in conn.compute.servers()}
    want = {n for n, s in seeded_cloud["servers"].items() if s["project"] == "seed-web"}
    assert names == want


def test_seed_network(seeded_cloud, admin_conn):
    net = admin_conn.network
    external = seeded_cloud["networks"]["seed-public"]
    got = net.get_network(external["id"])
    assert got.is_router_external and got.provider_network_type == "flat"
    for router in seeded_cloud["routers"].values():
        assert net.get_router(router["id"]).external_gateway_info["network_id"] == got.id
    for address, fip in seeded_cloud["floating_ips"].items():
        got_fip = net.get_ip(fip["id"])
        assert got_fip.floating_ip_address == address
        assert got_fip.project_id == seeded_cloud["projects"][fip["project"]]["id"]
        assert got_fip.port_id == fip["port_id"]
    bound = [f for f in seeded_cloud["floating_ips"].values() if f["server"]]
    assert bound and any(not f["server"] for f in seeded_cloud["floating_ips"].values())
    server_id = seeded_cloud["servers"][bound[0]["server"]]["id"]
    assert net.get_port(bound[0]["port_id"]).device_id == server_id


def test_seed_is_idempotent(seeded_cloud, devcloud):
    before = devcloud.summary_path.read_text(encoding="utf-8")
    out = devcloud.run("seed")
    assert "seed: 0 changes" in out, out
    assert devcloud.summary_path.read_text(encoding="utf-8") == before
    assert seeded_cloud["anchor"] in before


def test_throwaway_project_fixture(throwaway_project, admin_conn):
    conn = throwaway_project.connect()
    assert conn.current_project_id == throwaway_project.project_id
    assert conn.current_user_id == throwaway_project.user_id
    user = admin_conn.identity.get_user(throwaway_project.user_id)
    assert user.email == throwaway_project.email
    assert not list(conn.compute.servers())


def test_throwaway_cleanup_leaves_nothing(seeded_cloud, admin_conn, clouds_yaml, tmp_path):
    assert clouds_yaml.path.exists()
    public_key = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    with throwaway(admin_conn, tmp_path, label="cleanup") as project:
        conn = project.connect()
        net = conn.network.create_network(name="tp-net")
        subnet = conn.network.create_subnet(network_id=net.id, cidr="10.250.0.0/24", ip_version=4)
        router = conn.network.create_router(
            name="tp-router",
            external_gateway_info={"network_id": seeded_cloud["networks"]["seed-public"]["id"]},
        )
        conn.network.add_interface_to_router(router, subnet=subnet.id)
        group = conn.network.create_security_group(name="tp-sg")
        conn.network.create_port(network_id=net.id, name="tp-spare-port")
        conn.compute.create_keypair(name="tp-key", public_key=public_key)
        image = conn.image.create_image(
            name="tp-image",
            data=b"throwaway\n",
            disk_format="raw",
            container_format="bare",
            allow_duplicates=True,
            wait=True,
        )
        server = conn.compute.create_server(
            name="tp-server",
            flavor_id=seeded_cloud["flavors"]["seed.small"]["id"],
            image_id=image.id,
            networks=[{"uuid": net.id}],
            security_groups=[{"name": group.name}],
        )
        server = conn.compute.wait_for_server(server, wait=120, interval=1)
        port = next(conn.network.ports(device_id=server.id))
        fip = conn.network.create_ip(
            floating_network_id=seeded_cloud["networks"]["seed-public"]["id"], port_id=port.id
        )
        left = leftovers(admin_conn, project.project_id, project.user_id)
        for kind in ("servers", "floating_ips", "routers", "ports", "networks", "images"):
            assert left.get(kind), kind
        assert set(left["security_groups"]) >= {group.id}
        assert left["keypairs"] == ["tp-key"]
    assert not leftovers(admin_conn, project.project_id, project.user_id)
    assert find(admin_conn.network.find_ip, fip.id) is None
    assert find(admin_conn.compute.find_server, server.id, all_projects=True) is None
    assert find(admin_conn.image.find_image, image.id) is None
    assert find(admin_conn.identity.find_project, project.project_id) is None


def test_compute_uptime_is_settable_and_parsed(devcloud, lib_conn):
    """`devcloud.sh uptime` sets what nova 2.88 reports; hypervisor facts parse it."""

    def uptime_of(host):
        return {f.name: f.uptime_seconds for f in collect_facts(lib_conn, host=host)}[host]

    assert uptime_of("compute2") is None
    with devcloud.uptime("compute2", 200.5):
        assert uptime_of("compute2") == pytest.approx(200.5 * 86400, abs=120)
    assert uptime_of("compute2") is None
