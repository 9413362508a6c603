#!/usr/bin/env python3
"""Boot-rate and API-latency benchmark for the devcloud (run with venv/bin/python).

bench.py boot N [--net port|none] [--loop] [--projects P]  boot N servers, time until all ACTIVE
bench.py api [REPEAT]                                         time common API calls
bench.py clean                                                delete all bench-* servers
"""

import os
import statistics
import sys
import time
from pathlib import Path

# run by hand (./devcloud/bench.py): re-run under the devcloud's own venv, which has openstacksdk
VENV = Path(__file__).resolve().parent / "venv"
if Path(sys.prefix).resolve() != VENV.resolve() and (VENV / "bin" / "python").exists():
    os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), *sys.argv])

import openstack  # pylint: disable=wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("OS_CLIENT_CONFIG_FILE", os.path.join(HERE, "clouds.yaml"))

admin = openstack.connect(cloud="devcloud")


def fixtures():
    """The bench flavor, image and shared network (created if missing)."""
    c = admin.compute
    flv = c.find_flavor("bench.tiny") or c.create_flavor(name="bench.tiny", ram=64, vcpus=1, disk=1)
    img = admin.image.find_image("bench-img") or admin.image.create_image(
        name="bench-img",
        data=b"bench\n",
        disk_format="raw",
        container_format="bare",
        visibility="public",
        wait=True,
    )
    net = admin.network.find_network("bench-net")
    if not net:
        net = admin.network.create_network(name="bench-net", is_shared=True)
        admin.network.create_subnet(network_id=net.id, cidr="10.99.0.0/16", ip_version=4)
    return flv, img, net


def unlimited(project_id):
    """Lift the compute and port quotas of PROJECT_ID."""
    admin.compute.update_quota_set(project_id, instances=-1, cores=-1, ram=-1)
    admin.network.update_quota(project_id, ports=-1)


def count_states(prefix):
    """Server count by status for names starting with PREFIX."""
    st = {}
    for s in admin.compute.servers(all_projects=True, name=f"^{prefix}"):
        st[s.status] = st.get(s.status, 0) + 1
    return st


def boot(n, net_mode="port", loop=False, projects=1):
    """Boot N servers over PROJECTS projects and time until all are ACTIVE (or ERROR)."""
    flv, img, net = fixtures()
    prefix = f'bench-{time.strftime("%H%M%S")}-'
    conns = []
    for p in range(projects):
        if projects == 1:
            proj = admin.identity.find_project("admin")
            conns.append(admin)
        else:
            pname = f"bench-p{p:03d}"
            proj = admin.identity.find_project(pname) or admin.identity.create_project(
                name=pname, domain_id="default"
            )
            admin.identity.assign_project_role_to_user(
                proj, admin.identity.find_user("admin"), admin.identity.find_role("admin")
            )
            conns.append(
                openstack.connect(
                    auth_url=admin.auth["auth_url"],
                    username="admin",
                    password="admin",
                    user_domain_name="Default",
                    project_id=proj.id,
                    region_name="RegionOne",
                    identity_api_version="3",
                )
            )
        unlimited(proj.id)
    nets = "none" if net_mode == "none" else [{"uuid": net.id}]
    per = n // projects
    t0 = time.time()
    for i, c in enumerate(conns):
        if loop:
            for k in range(per):
                c.compute.create_server(
                    name=f"{prefix}{i:03d}-{k:04d}",
                    flavor_id=flv.id,
                    image_id=img.id,
                    networks=nets,
                )
        else:
            c.compute.create_server(
                name=f"{prefix}{i:03d}",
                flavor_id=flv.id,
                image_id=img.id,
                networks=nets,
                min_count=per,
                max_count=per,
            )
    t_api = time.time() - t0
    print(f"create requests accepted in {t_api:.1f}s", flush=True)
    last = None
    while True:
        st = count_states(prefix)
        if st != last:
            print(f"  t={time.time() - t0:6.1f}s {st}", flush=True)
            last = st
        total = sum(st.values())
        if st.get("ACTIVE", 0) + st.get("ERROR", 0) == total >= per * projects:
            break
        if time.time() - t0 > 900:
            print("  giving up after 900s")
            break
        time.sleep(2)
    dt = time.time() - t0
    print(
        f"RESULT boot n={per * projects} net={net_mode} loop={loop} projects={projects}: "
        f"{dt:.1f}s ({per * projects / dt:.2f} servers/s) states={st}",
        flush=True,
    )


def api(repeat=10):
    """Time common API calls REPEAT times each."""

    def t(name, fn):
        xs = []
        for _ in range(repeat):
            t0 = time.time()
            r = fn()
            xs.append(time.time() - t0)
        print(
            f"{name:45s} median {statistics.median(xs) * 1000:7.1f} ms  "
            f"min {min(xs) * 1000:7.1f}  max {max(xs) * 1000:7.1f}  (n={r})",
            flush=True,
        )

    t(
        "keystone: issue token (new session)",
        lambda: len(openstack.connect(cloud="devcloud").auth_token) and 1,
    )
    t("keystone: list projects", lambda: len(list(admin.identity.projects())))
    t(
        "nova: list servers all_projects (detail)",
        lambda: len(list(admin.compute.servers(all_projects=True))),
    )
    t(
        "nova: list servers all_projects limit=100",
        lambda: len(list(admin.compute.servers(all_projects=True, limit=100, paginated=False))),
    )
    t(
        "nova: list servers status=ACTIVE name regex",
        lambda: len(list(admin.compute.servers(all_projects=True, status="ACTIVE", name="^bench"))),
    )
    t("nova: list hypervisors", lambda: len(list(admin.compute.hypervisors(details=True))))
    t("nova: list flavors", lambda: len(list(admin.compute.flavors())))
    t("neutron: list ports", lambda: len(list(admin.network.ports())))
    t("neutron: list networks", lambda: len(list(admin.network.networks())))
    t("glance: list images", lambda: len(list(admin.image.images())))
    t("placement: list resource providers", lambda: len(list(admin.placement.resource_providers())))


def clean():
    """Delete all bench-* servers and wait until they are gone."""
    t0 = time.time()
    ss = list(admin.compute.servers(all_projects=True, name="^bench-"))
    for s in ss:
        admin.compute.delete_server(s)
    while list(admin.compute.servers(all_projects=True, name="^bench-")):
        time.sleep(2)
    print(f"deleted {len(ss)} servers in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["boot"]:
        boot(
            int(a[1]),
            net_mode=a[a.index("--net") + 1] if "--net" in a else "port",
            loop="--loop" in a,
            projects=int(a[a.index("--projects") + 1]) if "--projects" in a else 1,
        )
    elif a[:1] == ["api"]:
        api(int(a[1]) if len(a) > 1 else 10)
    elif a[:1] == ["clean"]:
        clean()
    else:
        print(__doc__)
