"""Create the devcloud fixture cloud; run through ``devcloud.sh seed`` (devcloud/venv python).

Idempotent: every resource is looked up by name first and only what is missing or differs is
created or changed, so a second run reports ``0 changes``. Writes run/seed.json (see README.md).

TEST-ONLY: nova cannot create servers in the past, so the servers' ``created_at`` and
``launched_at`` are rewritten directly in nova's cell databases through the devcloud MariaDB.
Never do that to a real cloud.
"""

import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, NamedTuple, Optional

import openstack

HERE = Path(__file__).resolve().parent
SUMMARY = HERE / "run" / "seed.json"
DB_SOCKET = HERE / "run" / "mysqld.sock"
AUTH_URL = "http://127.0.0.1:5000/v3"
REGION = "RegionOne"
PASSWORD = "seed-password"
DECOM_KEY = "cloudops:decommission_date"
TIMEOUT = 180

DOMAIN = "seed-domain"
DOMAIN_DESCRIPTION = "Second identity domain of the cloudops seed fixture (anchor {anchor})"

PROJECTS = {
    "seed-ops": ("default", "Operations tooling"),
    "seed-web": ("default", "Customer-facing web tier"),
    "seed-data": (DOMAIN, "Analytics and batch jobs"),
    "seed-lab": (DOMAIN, "Scratch lab, no networking"),
}


class User(NamedTuple):
    """A seed user: its domain, email (None: no email) and one role per project."""

    domain: str
    email: Optional[str]
    grants: Dict[str, str]


USERS = {
    "seed-alice": User("default", "alice@example.com", {"seed-ops": "admin", "seed-web": "member"}),
    "seed-bob": User("default", "bob@example.com", {"seed-web": "member"}),
    "seed-carol": User(DOMAIN, "carol@example.org", {"seed-data": "admin"}),
    "seed-dave": User(DOMAIN, None, {"seed-data": "member", "seed-lab": "member"}),
}

FLAVORS = {
    "seed.small": (1, 512, 1, None),
    "seed.medium": (2, 2048, 10, None),
    "seed.legacy": (1, 1024, 5, 30),
    "seed.huge": (1, 512, 1_000_000, None),
}

IMAGES = {
    "seed-cirros": ("public", None, None),
    "seed-legacy-os": ("public", None, 60),
    "seed-data-private": ("private", "seed-carol@seed-data", None),
}

EXTERNAL = {"name": "seed-public", "physnet": "seed-ext", "cidr": "198.51.100.0/24"}
EXTERNAL_POOL = ("198.51.100.100", "198.51.100.199")
PROJECT_NETS = {"seed-ops": "10.10.1.0/24", "seed-web": "10.10.2.0/24", "seed-data": "10.10.3.0/24"}
ROUTERS = {"seed-ops": "seed-ops-router", "seed-web": "seed-web-router"}
SECGROUP = ("seed-web", "seed-web-sg", 443)
FLOATING_IPS = {"198.51.100.20": ("seed-web", "seed-web-1"), "198.51.100.21": ("seed-ops", None)}
AGGREGATES = {"seed-agg1": ("seed-az1", "compute1"), "seed-agg2": ("seed-az2", "compute2")}


class Server(NamedTuple):
    """A seed server: availability zone 1/2 pins compute1/compute2 (None: scheduler's choice);
    days_ago backdates created_at to that many days before the anchor (None: keep it)."""

    project: str
    user: str
    flavor: str
    image: str
    zone: Optional[int]
    status: str
    days_ago: Optional[int]


SERVERS = {
    "seed-ops-monitor": Server(
        "seed-ops", "seed-alice", "seed.small", "seed-cirros", 1, "ACTIVE", None
    ),
    "seed-ops-bastion": Server(
        "seed-ops", "seed-alice", "seed.small", "seed-cirros", 2, "ACTIVE", 400
    ),
    "seed-ops-backup": Server(
        "seed-ops", "seed-alice", "seed.medium", "seed-cirros", 1, "SHUTOFF", 200
    ),
    "seed-web-1": Server("seed-web", "seed-bob", "seed.medium", "seed-cirros", 1, "ACTIVE", 30),
    "seed-web-2": Server("seed-web", "seed-bob", "seed.medium", "seed-cirros", 2, "ACTIVE", 30),
    "seed-web-legacy": Server(
        "seed-web", "seed-alice", "seed.legacy", "seed-legacy-os", 2, "ACTIVE", 120
    ),
    "seed-web-broken": Server("seed-web", "seed-bob", "seed.small", "seed-cirros", 1, "ERROR", 3),
    "seed-data-etl-1": Server(
        "seed-data", "seed-carol", "seed.medium", "seed-data-private", 2, "ACTIVE", None
    ),
    "seed-data-etl-2": Server(
        "seed-data", "seed-carol", "seed.legacy", "seed-legacy-os", 1, "SHUTOFF", 45
    ),
    "seed-data-failed": Server(
        "seed-data", "seed-dave", "seed.huge", "seed-cirros", None, "ERROR", 10
    ),
    "seed-lab-scratch-1": Server(
        "seed-lab", "seed-dave", "seed.small", "seed-legacy-os", 1, "SHUTOFF", 95
    ),
    "seed-lab-scratch-2": Server(
        "seed-lab", "seed-dave", "seed.small", "seed-cirros", 2, "ACTIVE", None
    ),
}


def _mysql(sql):
    """Run SQL as MariaDB root over the devcloud socket; return rows of tab-separated fields."""
    out = subprocess.run(
        ["mariadb", "--no-defaults", "-S", str(DB_SOCKET), "-u", "root", "-N", "-B", "-e", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines()]


class Seeder:
    """Converges the cloud to the fixture and collects the summary."""

    def __init__(self):
        self.admin = openstack.connect(cloud="devcloud")
        self.changes = []
        self.conns = {}
        self.ids = {"domain": {"default": "default"}, "project": {}, "user": {}, "flavor": {}}
        self.ids.update(image={}, network={}, subnet={})
        self.anchor = None
        self.summary = {}
        self.existing = {}

    def change(self, what):
        """Record and print one change to the cloud."""
        self.changes.append(what)
        print(f"seed: {what}", flush=True)

    def as_user(self, user, project):
        """Connection scoped to PROJECT as USER (seed names); the admin one if USER is None."""
        key = (user, project)
        if user is None:
            return self.admin
        if key not in self.conns:
            self.conns[key] = openstack.connect(
                auth_url=AUTH_URL,
                username=user,
                password=PASSWORD,
                user_domain_id=self.ids["domain"][USERS[user].domain],
                project_id=self.ids["project"][project],
                region_name=REGION,
                identity_api_version="3",
            )
        return self.conns[key]

    def decom_date(self, days_after):
        """The decommission date DAYS_AFTER the anchor, as YYYY-MM-DD."""
        return (self.anchor + datetime.timedelta(days=days_after)).strftime("%Y-%m-%d")

    # ------------------------------------------------------------------ identity
    def identity(self):
        """Domain (which also stores the anchor date), projects, users, role grants."""
        ident = self.admin.identity
        dom = next(iter(ident.domains(name=DOMAIN)), None)
        found = re.search(r"anchor (\d{4}-\d{2}-\d{2})", (dom and dom.description) or "")
        today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        anchor = found.group(1) if found else today
        self.anchor = datetime.datetime.strptime(anchor, "%Y-%m-%d")
        description = DOMAIN_DESCRIPTION.format(anchor=anchor)
        if dom is None:
            dom = ident.create_domain(name=DOMAIN, description=description, is_enabled=True)
            self.change(f"create domain {DOMAIN}")
        elif dom.description != description or not dom.is_enabled:
            dom = ident.update_domain(dom, description=description, is_enabled=True)
            self.change(f"update domain {DOMAIN}")
        self.ids["domain"][DOMAIN] = dom.id
        self.summary["anchor"] = anchor
        self.summary["domains"] = {
            "default": {"id": "default", "name": "Default"},
            DOMAIN: {"id": dom.id, "name": DOMAIN, "description": description},
        }

        self.summary["projects"] = {}
        have = {(p.domain_id, p.name): p for p in ident.projects()}
        for name, (domain, description) in PROJECTS.items():
            domain_id = self.ids["domain"][domain]
            proj = have.get((domain_id, name))
            if proj is None:
                proj = ident.create_project(
                    name=name, domain_id=domain_id, description=description, is_enabled=True
                )
                self.change(f"create project {name}")
            elif proj.description != description:
                proj = ident.update_project(proj, description=description)
                self.change(f"update project {name}")
            self.ids["project"][name] = proj.id
            self.summary["projects"][name] = {
                "id": proj.id,
                "domain_id": domain_id,
                "description": description,
            }

        roles = {role.name: role.id for role in ident.roles()}
        granted = {
            (ra.user["id"], ra.scope["project"]["id"], ra.role["id"])
            for ra in ident.role_assignments()
            if ra.user and "project" in (ra.scope or {})
        }
        have = {(u.domain_id, u.name): u for u in ident.users()}
        self.summary["users"] = {}
        for name, (domain, email, grants) in USERS.items():
            domain_id = self.ids["domain"][domain]
            user = have.get((domain_id, name))
            if user is None:
                attrs = {"email": email} if email else {}
                user = ident.create_user(
                    name=name, domain_id=domain_id, password=PASSWORD, is_enabled=True, **attrs
                )
                self.change(f"create user {name}")
            elif email and user.email != email:
                user = ident.update_user(user, email=email)
                self.change(f"update user {name} email")
            self.ids["user"][name] = user.id
            for project, role in grants.items():
                pid = self.ids["project"][project]
                if (user.id, pid, roles[role]) not in granted:
                    ident.assign_project_role_to_user(pid, user.id, roles[role])
                    self.change(f"grant {role} on {project} to {name}")
            self.summary["users"][name] = {
                "id": user.id,
                "domain_id": domain_id,
                "email": email,
                "password": PASSWORD,
                "roles": {project: [role] for project, role in grants.items()},
            }

    # ------------------------------------------------------------------ compute/image basics
    def flavors(self):
        """Public flavors; seed.legacy carries the decommission extra spec."""
        compute = self.admin.compute
        self.summary["flavors"] = {}
        have = {f.name: f for f in compute.flavors(details=True, is_public=None)}
        for name, (vcpus, ram, disk, decom_days) in FLAVORS.items():
            flavor = have.get(name)
            if flavor is None:
                flavor = compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk)
                self.change(f"create flavor {name}")
            specs = {DECOM_KEY: self.decom_date(decom_days)} if decom_days else {}
            if any((flavor.extra_specs or {}).get(key) != value for key, value in specs.items()):
                compute.create_flavor_extra_specs(flavor, specs)
                self.change(f"set extra specs of flavor {name}")
            self.ids["flavor"][name] = flavor.id
            self.summary["flavors"][name] = {
                "id": flavor.id,
                "vcpus": vcpus,
                "ram": ram,
                "disk": disk,
                "extra_specs": specs,
            }

    def images(self):
        """Tiny raw images; seed-legacy-os carries the decommission property."""
        self.summary["images"] = {}
        for name, (visibility, owner, decom_days) in IMAGES.items():
            user, project = owner.split("@") if owner else (None, None)
            props = {DECOM_KEY: self.decom_date(decom_days)} if decom_days else {}
            found = list(self.admin.image.images(name=name))
            image = next((i for i in found if i.status == "active"), None)
            for stale in [i for i in found if image is None or i.id != image.id]:
                self.admin.image.delete_image(stale)
                self.change(f"delete extra image {name} ({stale.status})")
            if image is None:
                image = self.as_user(user, project).image.create_image(
                    name=name,
                    data=f"devcloud seed image {name}\n".encode() * 8,
                    disk_format="raw",
                    container_format="bare",
                    visibility=visibility,
                    allow_duplicates=True,
                    wait=True,
                    timeout=TIMEOUT,
                    **props,
                )
                self.change(f"create image {name}")
            elif any(image.properties.get(key) != value for key, value in props.items()):
                self.admin.image.update_image(image, **props)
                self.change(f"set properties of image {name}")
            self.ids["image"][name] = image.id
            self.summary["images"][name] = {
                "id": image.id,
                "visibility": visibility,
                "owner": self.ids["project"][project] if project else None,
                "properties": props,
            }

    def aggregates(self):
        """One availability zone per hypervisor, so servers land on a known host."""
        compute = self.admin.compute
        have = {agg.name: agg for agg in compute.aggregates()}
        self.summary["aggregates"] = {}
        for name, (zone, host) in AGGREGATES.items():
            agg = have.get(name)
            if agg is None:
                agg = compute.create_aggregate(name=name, availability_zone=zone)
                self.change(f"create aggregate {name}")
            if host not in (agg.hosts or []):
                compute.add_host_to_aggregate(agg, host)
                self.change(f"add {host} to aggregate {name}")
            self.summary["aggregates"][name] = {
                "id": agg.id,
                "availability_zone": zone,
                "hosts": [host],
            }
        self.summary["hypervisors"] = sorted(h.name for h in compute.hypervisors())

    # ------------------------------------------------------------------ network
    def _network(self, user, name, project, cidr, **attrs):
        net = self.existing["network"].get((self.ids["project"][project], name))
        if net is None:
            net = self.as_user(user, project).network.create_network(name=name, **attrs)
            self.change(f"create network {name}")
        sub_name = f"{name}-subnet"
        sub = self.existing["subnet"].get((net.id, sub_name))
        if sub is None:
            extra = {}
            if attrs.get("is_router_external"):
                extra = {
                    "enable_dhcp": False,
                    "allocation_pools": [{"start": EXTERNAL_POOL[0], "end": EXTERNAL_POOL[1]}],
                }
            sub = self.as_user(user, project).network.create_subnet(
                name=sub_name, network_id=net.id, cidr=cidr, ip_version=4, **extra
            )
            self.change(f"create subnet {sub_name}")
        self.ids["network"][name] = net.id
        self.ids["subnet"][name] = sub.id
        return {
            "id": net.id,
            "project": project,
            "external": bool(attrs.get("is_router_external")),
            "subnet": {"name": sub_name, "id": sub.id, "cidr": cidr},
        }

    def networks(self):
        """External flat network, project networks, routers, a security group."""
        self.ids["project"]["admin"] = self.admin.current_project_id
        net = self.admin.network
        self.existing = {
            "network": {(n.project_id, n.name): n for n in net.networks()},
            "subnet": {(s.network_id, s.name): s for s in net.subnets()},
            "router": {(r.project_id, r.name): r for r in net.routers()},
            "security_group": {(g.project_id, g.name): g for g in net.security_groups()},
        }
        interfaces = {}
        for port in net.ports(device_owner="network:router_interface"):
            for ip in port.fixed_ips:
                interfaces.setdefault(port.device_id, set()).add(ip["subnet_id"])
        nets = {
            EXTERNAL["name"]: self._network(
                None,
                EXTERNAL["name"],
                "admin",
                EXTERNAL["cidr"],
                is_router_external=True,
                provider_network_type="flat",
                provider_physical_network=EXTERNAL["physnet"],
            )
        }
        users = {project: _first_user(project) for project in PROJECT_NETS}
        for project, cidr in PROJECT_NETS.items():
            nets[f"{project}-net"] = self._network(users[project], f"{project}-net", project, cidr)
        self.summary["networks"] = nets

        self.summary["routers"] = {}
        ext_id = self.ids["network"][EXTERNAL["name"]]
        for project, name in ROUTERS.items():
            router = self.existing["router"].get((self.ids["project"][project], name))
            if router is None:
                router = self.as_user(users[project], project).network.create_router(
                    name=name, external_gateway_info={"network_id": ext_id}
                )
                self.change(f"create router {name}")
            subnet_id = self.ids["subnet"][f"{project}-net"]
            if subnet_id not in interfaces.get(router.id, ()):
                self.as_user(users[project], project).network.add_interface_to_router(
                    router, subnet=subnet_id
                )
                self.change(f"attach {project}-net to {name}")
            self.summary["routers"][name] = {
                "id": router.id,
                "project": project,
                "external_network": EXTERNAL["name"],
                "subnets": [f"{project}-net-subnet"],
            }

        project, name, port = SECGROUP
        group = self.existing["security_group"].get((self.ids["project"][project], name))
        if group is None:
            conn = self.as_user(users[project], project)
            group = conn.network.create_security_group(name=name)
            conn.network.create_security_group_rule(
                security_group_id=group.id,
                direction="ingress",
                protocol="tcp",
                port_range_min=port,
                port_range_max=port,
                remote_ip_prefix="0.0.0.0/0",
                ethertype="IPv4",
            )
            self.change(f"create security group {name}")
        self.summary["security_groups"] = {
            name: {"id": group.id, "project": project, "ingress_tcp": [port]}
        }

    def floating_ips(self):
        """Fixed-address floating IPs: one bound to a server, one left unattached."""
        net = self.admin.network
        ext_id = self.ids["network"][EXTERNAL["name"]]
        self.summary["floating_ips"] = {}
        servers = self.summary["servers"]
        for address, (project, server) in FLOATING_IPS.items():
            fip = next(iter(net.ips(floating_ip_address=address)), None)
            if fip is None:
                fip = net.create_ip(
                    floating_network_id=ext_id,
                    floating_ip_address=address,
                    project_id=self.ids["project"][project],
                )
                self.change(f"create floating ip {address}")
            port_id = None
            if server:
                port_id = next(net.ports(device_id=servers[server]["id"])).id
            if fip.port_id != port_id:
                net.update_ip(fip, port_id=port_id)
                self.change(f"associate floating ip {address} with {server}")
            self.summary["floating_ips"][address] = {
                "id": fip.id,
                "project": project,
                "server": server,
                "port_id": port_id,
            }

    # ------------------------------------------------------------------ servers
    def _list_servers(self):
        by_name = {}
        for server in self.admin.compute.servers(all_projects=True, name="^seed-"):
            by_name.setdefault(server.name, []).append(server)
        return by_name

    def _create_server(self, name):
        project, user, flavor, image, zone, _, _ = SERVERS[name]
        attrs = {
            "name": name,
            "flavor_id": self.ids["flavor"][flavor],
            "image_id": self.ids["image"][image],
            "networks": "none",
        }
        if f"{project}-net" in self.ids["network"]:
            attrs["networks"] = [{"uuid": self.ids["network"][f"{project}-net"]}]
        if project == SECGROUP[0]:
            attrs["security_groups"] = [{"name": SECGROUP[1]}]
        if zone:
            attrs["availability_zone"] = AGGREGATES[f"seed-agg{zone}"][0]
        self.as_user(user, project).compute.create_server(**attrs)
        self.change(f"create server {name}")

    def _wait_settled(self, by_name=None):
        """Wait until no seed server builds or has a task; return them by name. BY_NAME: a
        fresh listing to start from."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            by_name = by_name or self._list_servers()
            busy = sorted(
                name
                for name, found in by_name.items()
                for server in found
                if server.status == "BUILD" or server.task_state
            )
            if not busy:
                return {name: found[0] for name, found in by_name.items() if name in SERVERS}
            if time.monotonic() > deadline:
                raise TimeoutError(f"servers still busy after {TIMEOUT}s: {busy}")
            time.sleep(1)
            by_name = None

    def servers(self):
        """Boot missing servers, converge their status (rebuilding if need be), backdate."""
        found = self._list_servers()
        unchanged = len(self.changes)
        for name in SERVERS:
            for extra in found.get(name, [])[1:]:
                self.admin.compute.delete_server(extra)
                self.change(f"delete duplicate server {name}")
            if name not in found:
                self._create_server(name)
        for _ in range(3):
            servers = self._wait_settled(found if len(self.changes) == unchanged else None)
            rebuild = [n for n, s in SERVERS.items() if not self._converge(servers[n], s.status)]
            if not rebuild:
                break
            for name in rebuild:
                self.admin.compute.delete_server(servers[name])
                self.change(f"delete server {name} to rebuild it (was {servers[name].status})")
            self._wait_settled()
            for name in rebuild:
                self._create_server(name)
        if len(self.changes) > unchanged:
            servers = self._wait_settled()
        wrong = {n: s.status for n, s in servers.items() if s.status != SERVERS[n].status}
        if wrong:
            raise RuntimeError(f"servers not in their expected state: {wrong}")
        if self._backdate(servers):
            servers = self._wait_settled()

        self.summary["servers"] = {}
        for name, (project, user, flavor, image, zone, status, days) in SERVERS.items():
            self.summary["servers"][name] = {
                "id": servers[name].id,
                "project": project,
                "project_id": self.ids["project"][project],
                "user": user,
                "user_id": self.ids["user"][user],
                "flavor": flavor,
                "image": image,
                "availability_zone": AGGREGATES[f"seed-agg{zone}"][0] if zone else None,
                "host": servers[name].compute_host,
                "status": status,
                "backdated": days is not None,
                "created_at": servers[name].created_at,
            }

    def _converge(self, server, status):
        """Start moving SERVER to STATUS; False if it has to be rebuilt from scratch."""
        compute = self.admin.compute
        if server.status == status:
            return True
        if status == "ERROR":
            compute.reset_server_state(server, "error")
            self.change(f"reset server {server.name} to error")
        elif server.status == "ERROR" or not server.compute_host:
            return False
        elif status == "SHUTOFF" and server.status == "ACTIVE":
            compute.stop_server(server)
            self.change(f"stop server {server.name}")
        elif status == "ACTIVE" and server.status == "SHUTOFF":
            compute.start_server(server)
            self.change(f"start server {server.name}")
        else:
            return False
        return True

    def _backdate(self, servers):
        """TEST-ONLY: rewrite created_at/launched_at in nova's cell DBs; True if it did."""
        want = {}
        for index, (name, spec) in enumerate(SERVERS.items()):
            if spec.days_ago is not None:
                when = self.anchor - datetime.timedelta(days=spec.days_ago)
                when += datetime.timedelta(hours=8 + index % 9, minutes=(index * 7) % 60)
                want[servers[name].id] = (name, when)
        uuids = ",".join(f"'{uuid}'" for uuid in want)
        rows = _mysql(
            " UNION ALL ".join(
                f"SELECT '{db}', uuid, created_at, launched_at FROM {db}.instances"
                f" WHERE uuid IN ({uuids}) AND deleted = 0"
                for db in ("nova", "nova_cell0")
            )
        )
        updates = []
        for db, uuid, created_at, launched_at in rows:
            name, when = want[uuid]
            created = when.strftime("%Y-%m-%d %H:%M:%S")
            launched = "NULL"
            if launched_at != "NULL":
                launched = (when + datetime.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
            if (created_at, launched_at) != (created, launched):
                launched_sql = "NULL" if launched == "NULL" else f"'{launched}'"
                updates.append(
                    f"UPDATE {db}.instances SET created_at = '{created}',"
                    f" launched_at = {launched_sql} WHERE uuid = '{uuid}';"
                )
                self.change(f"backdate server {name} to {created} (TEST-ONLY DB write)")
        if updates:
            _mysql("\n".join(updates))
        return bool(updates)

    def run(self):
        """Converge everything and write the summary."""
        self.identity()
        self.flavors()
        self.images()
        self.aggregates()
        self.networks()
        self.servers()
        self.floating_ips()
        self.summary.update(
            auth_url=AUTH_URL,
            region=REGION,
            password=PASSWORD,
            decommission_key=DECOM_KEY,
        )
        SUMMARY.parent.mkdir(parents=True, exist_ok=True)
        tmp = SUMMARY.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.summary, indent=1, sort_keys=True) + "\n")
        tmp.replace(SUMMARY)
        print(f"seed: {len(self.changes)} changes; summary in {SUMMARY}", flush=True)


def _first_user(project):
    return next(name for name, user in USERS.items() if project in user.grants)


def main():
    """Entry point."""
    if os.environ.get("OS_CLOUD"):
        sys.exit("seed.py: unset OS_CLOUD (it would replace the seed users' credentials)")
    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", str(HERE / "clouds.yaml"))
    started = time.monotonic()
    Seeder().run()
    print(f"seed: done in {time.monotonic() - started:.1f}s", flush=True)


if __name__ == "__main__":
    main()
