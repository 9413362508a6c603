#!/usr/bin/env python3
"""Smoke test of the devcloud through openstacksdk (run with devcloud/venv/bin/python).

Every step is recorded PASS/FAIL with its duration and detail; results go to
stdout and logs/smoke-results.json.  Exit code 0 only if every step passed.
"""

import datetime
import json
import os
import sys
import time
import traceback

import openstack

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("OS_CLIENT_CONFIG_FILE", os.path.join(HERE, "clouds.yaml"))

SFX = time.strftime("%H%M%S")
RESULTS = []
S = {}  # shared state between steps
admin = openstack.connect(cloud="devcloud")


def step(name):
    """Run the decorated function now as step NAME and record PASS/FAIL."""

    def deco(fn):
        t0 = time.time()
        try:
            detail = fn()
            secs = round(time.time() - t0, 2)
            RESULTS.append({"step": name, "ok": True, "secs": secs, "detail": str(detail or "")})
            print(f'PASS {name:38s} {time.time() - t0:6.2f}s  {detail or ""}', flush=True)
        except Exception as e:  # pylint: disable=broad-exception-caught  # record, go on
            msg = f"{type(e).__name__}: {e}".replace("\n", " ")[:600]
            RESULTS.append(
                {
                    "step": name,
                    "ok": False,
                    "secs": round(time.time() - t0, 2),
                    "detail": msg,
                    "tb": traceback.format_exc()[-2000:],
                }
            )
            print(f"FAIL {name:38s} {time.time() - t0:6.2f}s  {msg}", flush=True)
        return fn

    return deco


def wait(pred, what, timeout=120, interval=1.0):
    """Poll PRED until it returns something truthy; return that."""
    t0 = time.time()
    while True:
        v = pred()
        if v:
            return v
        if time.time() - t0 > timeout:
            raise TimeoutError(f"{what} not reached in {timeout}s")
        time.sleep(interval)


# ------------------------------------------------------------------ identity
@step("identity: domain/project/user/role")
def _():
    dom = admin.identity.create_domain(name=f"smoke-dom-{SFX}")
    proj = admin.identity.create_project(name=f"smoke-proj-{SFX}", domain_id=dom.id)
    user = admin.identity.create_user(
        name=f"smoke-user-{SFX}", password="secret", domain_id=dom.id, default_project_id=proj.id
    )
    member = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_user(proj, user, member)
    S.update(dom=dom, proj=proj, user=user)
    return f"domain={dom.id[:8]} project={proj.id[:8]} user={user.id[:8]}"


@step("identity: list role assignments")
def _():
    ras = list(admin.identity.role_assignments(scope_project_id=S["proj"].id, include_names=True))
    assert any(ra.user and ra.user["id"] == S["user"].id for ra in ras), ras
    return "; ".join(f"{ra.user['name']}:{ra.role['name']}" for ra in ras)


@step("identity: token as new user")
def _():
    S["u"] = openstack.connect(
        auth_url=admin.auth["auth_url"],
        username=S["user"].name,
        password="secret",
        user_domain_id=S["dom"].id,
        project_id=S["proj"].id,
        region_name="RegionOne",
        identity_api_version="3",
    )
    return f"token for project {S['u'].current_project_id[:8]}"


# ------------------------------------------------------------------ flavor / image
@step("compute: create flavor")
def _():
    S["flavor"] = admin.compute.create_flavor(name=f"smoke.tiny-{SFX}", ram=64, vcpus=1, disk=1)
    return S["flavor"].id


@step("image: upload small image (file store)")
def _():
    img = admin.image.create_image(
        name=f"smoke-img-{SFX}",
        data=b"devcloud smoke image\n" * 4,
        disk_format="raw",
        container_format="bare",
        visibility="public",
        allow_duplicates=True,
        wait=True,
        timeout=60,
    )
    img = admin.image.get_image(img)
    assert img.status == "active", img.status
    S["image"] = img
    return f"{img.id[:8]} status={img.status} size={img.size}"


# ------------------------------------------------------------------ network
@step("network: external net + subnet (admin)")
def _():
    ext = admin.network.create_network(
        name=f"smoke-public-{SFX}",
        is_router_external=True,
        provider_network_type="flat",
        provider_physical_network="public",
    )
    sub = admin.network.create_subnet(
        network_id=ext.id,
        cidr="203.0.113.0/24",
        ip_version=4,
        enable_dhcp=False,
        gateway_ip="203.0.113.1",
    )
    S.update(ext=ext, ext_sub=sub)
    return f"{ext.id[:8]} router:external={ext.is_router_external}"


@step("network: project net/subnet/router (user)")
def _():
    u = S["u"]
    net = u.network.create_network(name=f"smoke-net-{SFX}")
    sub = u.network.create_subnet(network_id=net.id, cidr="10.20.0.0/24", ip_version=4)
    rtr = u.network.create_router(
        name=f"smoke-rtr-{SFX}", external_gateway_info={"network_id": S["ext"].id}
    )
    u.network.add_interface_to_router(rtr, subnet=sub.id)
    S.update(net=net, sub=sub, rtr=rtr)
    seg = net.provider_network_type or "hidden"
    return f"net={net.id[:8]} seg={seg} router={rtr.id[:8]}"


@step("network: floating IP allocated to project")
def _():
    fip = admin.network.create_ip(floating_network_id=S["ext"].id, project_id=S["proj"].id)
    fip2 = S["u"].network.create_ip(floating_network_id=S["ext"].id)
    S["fips"] = [fip, fip2]
    return f"{fip.floating_ip_address} (admin for project), {fip2.floating_ip_address} (user)"


@step("network: security group + rule")
def _():
    u = S["u"]
    sg = u.network.create_security_group(name=f"smoke-sg-{SFX}")
    r = u.network.create_security_group_rule(
        security_group_id=sg.id,
        direction="ingress",
        protocol="tcp",
        port_range_min=22,
        port_range_max=22,
        remote_ip_prefix="0.0.0.0/0",
        ethertype="IPv4",
    )
    S["sg"] = sg
    return f"sg={sg.id[:8]} rule={r.id[:8]}"


@step("network: RBAC share admin net to project")
def _():
    net = admin.network.create_network(name=f"smoke-shared-{SFX}")
    admin.network.create_subnet(network_id=net.id, cidr="10.30.0.0/24", ip_version=4)
    rbac = admin.network.create_rbac_policy(
        object_type="network",
        object_id=net.id,
        action="access_as_shared",
        target_project_id=S["proj"].id,
    )
    seen = S["u"].network.find_network(net.id)
    assert seen is not None, "project cannot see RBAC-shared network"
    S.update(shared=net, rbac=rbac)
    return f"rbac={rbac.id[:8]} visible_to_project={seen is not None}"


# ------------------------------------------------------------------ server
@step("compute: boot server (fake driver) ACTIVE")
def _():
    u = S["u"]
    S["since"] = (datetime.datetime.utcnow() - datetime.timedelta(seconds=5)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    srv = u.compute.create_server(
        name=f"smoke-vm-{SFX}",
        flavor_id=S["flavor"].id,
        image_id=S["image"].id,
        networks=[{"uuid": S["net"].id}],
        security_groups=[{"name": S["sg"].name}],
    )
    t0 = time.time()
    srv = u.compute.wait_for_server(srv, status="ACTIVE", wait=180, interval=1)
    S["srv"] = srv
    ports = list(admin.network.ports(device_id=srv.id))
    return (
        f"ACTIVE in {time.time() - t0:.1f}s host={admin.compute.get_server(srv.id).compute_host} "
        f"addresses={srv.addresses} port_status={[p.status for p in ports]} "
        f"vif_type={[p.binding_vif_type for p in ports]}"
    )


@step("network: associate floating IP to server port")
def _():
    port = next(admin.network.ports(device_id=S["srv"].id))
    fip = admin.network.update_ip(S["fips"][1], port_id=port.id)
    return f"{fip.floating_ip_address} -> {fip.fixed_ip_address} status={fip.status}"


@step("compute: list servers all_projects + filters")
def _():
    out = []
    t0 = time.time()
    a = list(admin.compute.servers(all_projects=True))
    out.append(f"all={len(a)} {time.time()-t0:.2f}s")
    b = list(admin.compute.servers(all_projects=True, status="ACTIVE"))
    out.append(f"status=ACTIVE:{len(b)}")
    c = list(admin.compute.servers(all_projects=True, changes_since=S["since"]))
    out.append(f"changes-since:{len(c)}")
    d = list(admin.compute.servers(all_projects=True, name=f"^smoke-vm-{SFX[:2]}"))
    out.append(f"name-regex:{len(d)}")
    e = list(admin.compute.servers(all_projects=True, project_id=S["proj"].id))
    out.append(f"project_id:{len(e)}")
    host = admin.compute.get_server(
        S["srv"].id
    ).compute_host  # host is admin-only; user view has None
    f = list(admin.compute.servers(all_projects=True, compute_host=host))
    out.append(f"host={host}:{len(f)}")
    assert all(len(x) >= 1 for x in (b, c, d, e, f)), out
    return " ".join(out)


@step("compute: created-since (client side)")
def _():
    # nova has no created_at range filter; changes-since is on updated_at. Filter client-side.
    since = S["since"]
    sel = [s for s in admin.compute.servers(all_projects=True) if s.created_at >= since]
    assert sel
    return f"{len(sel)} servers created since {since} (nova filters only changes-since/before)"


@step("compute: hypervisors list + stats/usage")
def _():
    hvs = list(admin.compute.hypervisors(details=True))
    names = [f"{h.name}:{h.state}/{h.status}" for h in hvs]
    # >=2.88 drops vcpus/memory stats from hypervisors; ask with 2.87 for the legacy fields
    r = admin.compute.get("/os-hypervisors/detail", microversion="2.87").json()["hypervisors"]
    legacy = [
        (h["hypervisor_hostname"], h["running_vms"], h["vcpus_used"], h["memory_mb_used"])
        for h in r
    ]
    st = admin.compute.get("/os-hypervisors/statistics", microversion="2.87").json()[
        "hypervisor_statistics"
    ]
    now = datetime.datetime.utcnow()
    usage = list(
        admin.compute.usages(start=now - datetime.timedelta(days=1), end=now, detailed=True)
    )
    rps = list(admin.placement.resource_providers())
    return (
        f"{names}; legacy(2.87)={legacy}; "
        f'statistics count={st["count"]} running_vms={st["running_vms"]}; '
        f"simple-tenant-usage projects={len(usage)}; placement RPs={[rp.name for rp in rps]}"
    )


@step("compute: disable/enable nova-compute w/ reason")
def _():
    svc = next(admin.compute.services(binary="nova-compute", host="compute2"))
    admin.compute.disable_service(svc, disabled_reason="smoke: maintenance")
    got = next(admin.compute.services(binary="nova-compute", host="compute2"))
    assert got.status == "disabled" and got.disabled_reason == "smoke: maintenance", (
        got.status,
        got.disabled_reason,
    )
    admin.compute.enable_service(svc)
    got2 = next(admin.compute.services(binary="nova-compute", host="compute2"))
    assert got2.status == "enabled"
    return f"disabled(reason={got.disabled_reason!r}) -> {got2.status}; all: " + ", ".join(
        f"{s.binary}@{s.host}:{s.state}" for s in admin.compute.services()
    )


def host_of(srv):
    """The compute host of SRV (admin view)."""
    return admin.compute.get_server(srv.id).compute_host


def settled(srv, moved_from=None):
    """SRV if it is ACTIVE without a task (and no longer on MOVED_FROM), else None."""
    got = admin.compute.get_server(srv.id)
    if got.status != "ACTIVE" or got.task_state or got.compute_host == moved_from:
        return None
    return got


@step("compute: live migration")
def _():
    srv = S["srv"]
    h0 = host_of(srv)
    admin.compute.live_migrate_server(srv, host=None, block_migration="auto")
    s = wait(lambda: settled(srv, moved_from=h0), "live migration", timeout=120)
    migs = list(admin.compute.migrations(instance_uuid=srv.id))
    return f"{h0} -> {s.compute_host}; migrations={[(m.migration_type, m.status) for m in migs]}"


@step("compute: cold migration + confirm")
def _():
    srv = S["srv"]
    h0 = host_of(srv)
    admin.compute.migrate_server(srv)
    wait(
        lambda: admin.compute.get_server(srv.id).status == "VERIFY_RESIZE",
        "VERIFY_RESIZE",
        timeout=120,
    )
    admin.compute.confirm_server_resize(srv)
    s = wait(lambda: settled(srv), "ACTIVE after confirm", timeout=120)
    return f"{h0} -> {s.compute_host}"


@step("quotas: set + show (compute, network)")
def _():
    p = S["proj"]
    admin.compute.update_quota_set(p, instances=25, cores=50, ram=51200)
    q = admin.compute.get_quota_set(p, usage=True)
    admin.network.update_quota(p.id, floating_ips=7, ports=99)
    nq = admin.network.get_quota(p.id, details=True)
    assert q.instances == 25
    return (
        f"compute instances={q.instances} cores={q.cores} usage={q.usage}; "
        f"network floatingip={nq.floating_ips} ports={nq.ports}"
    )


@step("compute: host aggregate + metadata")
def _():
    # no availability zone: a host belongs to one zone at most, and seed.py gives each one
    agg = admin.compute.create_aggregate(name=f"smoke-agg-{SFX}")
    admin.compute.set_aggregate_metadata(agg, {"ssd": "true", "owner": "smoke"})
    admin.compute.add_host_to_aggregate(agg, "compute1")
    agg = admin.compute.get_aggregate(agg.id)
    S["agg"] = agg
    return f"{agg.name} az={agg.availability_zone} hosts={agg.hosts} metadata={agg.metadata}"


@step("compute: stop server -> SHUTOFF")
def _():
    S["u"].compute.stop_server(S["srv"])
    s = S["u"].compute.wait_for_server(S["srv"], status="SHUTOFF", wait=120, interval=1)
    return f"status={s.status} power_state={s.power_state}"


@step("compute: instance actions + events")
def _():
    acts = list(admin.compute.server_actions(S["srv"]))
    detail = []
    for a in acts:
        full = admin.compute.get_server_action(a.request_id, S["srv"])
        detail.append(f"{a.action}({len(full.events or [])} ev)")
    return ", ".join(detail)


@step("compute: delete server")
def _():
    S["u"].compute.delete_server(S["srv"])
    S["u"].compute.wait_for_delete(S["srv"], wait=120, interval=1)
    return "deleted"


# ------------------------------------------------------------------ cleanup + project delete
@step("cleanup + project delete")
def _():
    n = admin.network
    for f in S.get("fips", []):
        n.delete_ip(f, ignore_missing=True)
    if "rtr" in S:
        n.remove_interface_from_router(S["rtr"], subnet_id=S["sub"].id)
        n.delete_router(S["rtr"])
    for k in ("net", "shared", "ext"):
        if k in S:
            for p in n.ports(network_id=S[k].id):
                n.delete_port(p)
            n.delete_network(S[k])
    if "sg" in S:
        n.delete_security_group(S["sg"])
    if "agg" in S:
        admin.compute.remove_host_from_aggregate(S["agg"], "compute1")
        admin.compute.delete_aggregate(S["agg"])
    admin.compute.delete_flavor(S["flavor"])
    admin.image.delete_image(S["image"])
    admin.identity.delete_user(S["user"])
    admin.identity.delete_project(S["proj"])
    admin.identity.update_domain(S["dom"], is_enabled=False)
    admin.identity.delete_domain(S["dom"])
    assert admin.identity.find_project(S["proj"].id) is None
    return "project + domain deleted"


ok = sum(r["ok"] for r in RESULTS)
print(f"\nsmoke: {ok} passed, {len(RESULTS) - ok} failed")
os.makedirs(os.path.join(HERE, "logs"), exist_ok=True)
with open(os.path.join(HERE, "logs", "smoke-results.json"), "w", encoding="utf-8") as fh:
    json.dump(RESULTS, fh, indent=1)
sys.exit(0 if ok == len(RESULTS) else 1)
