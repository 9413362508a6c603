"""Seed (and remove) the query benchmark's devcloud data: 50 projects x 20 servers.

Everything it creates is named ``bench-...`` and found again by exact name, so seeding is
idempotent (a seeded cloud is checked and left alone) and cleaning removes only its own
resources:

- projects ``bench-p00`` .. ``bench-p49``, users ``bench-u00`` .. ``bench-u09`` (with emails,
  member on the projects where they own servers), flavor ``bench-query.tiny``, image
  ``bench-query-img``;
- servers ``bench-pNN-uUU-K`` booted without ports (``networks='none'``) by bench user UU:
  in each project 10, 6 and 4 servers owned by three users (one multi-create request each),
  30 % of them stopped (SHUTOFF), half of them backdated from 3 to 500 days so an "older
  than N days" filter is selective.

TEST-ONLY: nova cannot create servers in the past, so ``created_at``/``launched_at`` are
rewritten in nova's cell databases through the devcloud MariaDB socket (as devcloud/seed.py
does). Never point this at a real cloud.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import subprocess
import time
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from apis import clock

ROOT = Path(__file__).resolve().parents[1]
DB_SOCKET = ROOT / "devcloud" / "run" / "mysqld.sock"

PROJECTS = 50
SERVERS_PER_PROJECT = 20
USERS = 10
PASSWORD = "bench-password"
FLAVOR = "bench-query.tiny"
IMAGE = "bench-query-img"
DESCRIPTION = "cloudops query benchmark (benchmarks/query_bench.py --clean removes it)"
SERVER_REGEX = "^bench-p[0-9][0-9]-u[0-9][0-9]-[0-9]+$"
# each project's servers: (first slot, count) of the three owners' groups
GROUPS = ((0, 10), (10, 6), (16, 4))
# server slots (index within its project) that are stopped: 6 of 20
SHUTOFF_SLOTS = frozenset({0, 3, 7, 10, 13, 17})
# age in days by (7 * project + 3 * slot) % 20; None keeps the real creation time
AGES: Tuple[Optional[int], ...] = (None,) * 10 + (3, 10, 30, 45, 60, 100, 150, 200, 365, 500)
WORKERS = 8
TIMEOUT = 900
POLL = 3.0
# a backdated server whose created_at is this far from its target is backdated again
AGE_TOLERANCE = datetime.timedelta(days=1)


def project_name(project: int) -> str:
    """``bench-pNN``."""
    return f"bench-p{project:02d}"


def user_name(user: int) -> str:
    """``bench-uNN``."""
    return f"bench-u{user:02d}"


def user_email(user: int) -> str:
    """The email of bench user USER."""
    return f"{user_name(user)}@bench.example.com"


def _group(slot: int) -> int:
    return max(g for g, (first, _) in enumerate(GROUPS) if slot >= first)


def owner(project: int, slot: int) -> int:
    """The bench user booting a server: slots 0-9, 10-15 and 16-19 go to three users."""
    return (project + 3 * _group(slot)) % USERS


def batch_name(project: int, slot: int) -> str:
    """The multi-create name of the slot's group: ``bench-pNN-uUU``."""
    return f"{project_name(project)}-u{owner(project, slot):02d}"


def server_name(project: int, slot: int) -> str:
    """``bench-pNN-uUU-K`` (nova names multi-created servers NAME-1 .. NAME-COUNT)."""
    return f"{batch_name(project, slot)}-{slot - GROUPS[_group(slot)][0] + 1}"


def wanted_status(slot: int) -> str:
    """ACTIVE or SHUTOFF."""
    return "SHUTOFF" if slot in SHUTOFF_SLOTS else "ACTIVE"


def age_days(project: int, slot: int) -> Optional[int]:
    """Days to backdate the server's creation by (None: not backdated)."""
    return AGES[(7 * project + 3 * slot) % len(AGES)]


def all_servers() -> Iterable[Tuple[int, int]]:
    """Every (project, slot) of the benchmark."""
    for project in range(PROJECTS):
        for slot in range(SERVERS_PER_PROJECT):
            yield project, slot


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _mysql(sql: str) -> str:
    """Run SQL as MariaDB root over the devcloud socket (TEST-ONLY)."""
    if not DB_SOCKET.exists():
        raise RuntimeError(f"{DB_SOCKET} not found: backdating only works on the devcloud")
    return subprocess.run(
        ["mariadb", "--no-defaults", "-S", str(DB_SOCKET), "-u", "root", "-N", "-B"],
        input=sql,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _parallel(function: Callable, items: List, workers: int = WORKERS) -> List:
    """``function`` over ``items`` in a thread pool; re-raises the first failure."""
    if not items:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(function, items))


class BenchCloud:
    """Seeds and cleans the benchmark data through an admin openstacksdk connection."""

    def __init__(self, conn):
        self.conn = conn
        self.changes = 0
        self.project_ids: Dict[int, str] = {}
        self.user_ids: Dict[int, str] = {}
        self.flavor_id = ""
        self.image_id = ""

    # ------------------------------------------------------------------ lookups
    def _find_projects(self) -> Dict[int, object]:
        """Existing bench projects by number (one listing, exact names)."""
        wanted = {project_name(p): p for p in range(PROJECTS)}
        return {
            wanted[proj.name]: proj
            for proj in self.conn.identity.projects(domain_id="default")
            if proj.name in wanted
        }

    def _find_users(self) -> Dict[int, object]:
        wanted = {user_name(u): u for u in range(USERS)}
        return {
            wanted[user.name]: user
            for user in self.conn.identity.users(domain_id="default")
            if user.name in wanted
        }

    def bench_servers(self) -> Dict[str, List[object]]:
        """The benchmark's servers (in the bench projects only) by name."""
        project_ids = set(self.project_ids.values()) or {
            p.id for p in self._find_projects().values()
        }
        by_name: Dict[str, List[object]] = {}
        for server in self.conn.compute.servers(all_projects=True, name=SERVER_REGEX):
            if server.project_id in project_ids:
                by_name.setdefault(server.name, []).append(server)
        return by_name

    def missing(self) -> List[str]:
        """What of the benchmark data the cloud lacks (nothing once seeded), in words."""
        projects = self._find_projects()
        servers = self.bench_servers() if projects else {}
        wanted = len(list(all_servers()))
        gaps = []
        if len(projects) < PROJECTS:
            gaps.append(
                f"{PROJECTS - len(projects)} of the projects {project_name(0)} .. "
                f"{project_name(PROJECTS - 1)}"
            )
        if len(servers) < wanted:
            gaps.append(f"{wanted - len(servers)} of the {wanted} servers")
        return gaps

    # ------------------------------------------------------------------ seeding
    def seed(self) -> bool:
        """Converge the cloud to the benchmark data; True if anything changed."""
        started = time.monotonic()
        self._fixtures()
        self._identity()
        for _ in range(3):
            if not self._boot_missing():
                break
        servers = self._settled()
        if self._converge(servers):
            servers = self._settled()
        self._backdate(servers)
        self._verify(servers)
        _log(
            f"seed: {self.changes} changes in {time.monotonic() - started:.1f}s"
            + (" (already seeded)" if not self.changes else "")
        )
        return bool(self.changes)

    def _change(self, message: str, count: int = 1) -> None:
        self.changes += count
        _log(f"seed: {message}")

    def _fixtures(self) -> None:
        compute, image = self.conn.compute, self.conn.image
        flavor = compute.find_flavor(FLAVOR, ignore_missing=True)
        if flavor is None:
            flavor = compute.create_flavor(name=FLAVOR, ram=64, vcpus=1, disk=1)
            self._change(f"create flavor {FLAVOR}")
        self.flavor_id = flavor.id
        found = [i for i in image.images(name=IMAGE) if i.status == "active"]
        if found:
            self.image_id = found[0].id
        else:
            self.image_id = image.create_image(
                name=IMAGE,
                data=b"query benchmark\n",
                disk_format="raw",
                container_format="bare",
                visibility="public",
                allow_duplicates=True,
                wait=True,
            ).id
            self._change(f"create image {IMAGE}")

    def _identity(self) -> None:
        ident = self.conn.identity
        projects = self._find_projects()
        for number in range(PROJECTS):
            if number not in projects:
                projects[number] = ident.create_project(
                    name=project_name(number), domain_id="default", description=DESCRIPTION
                )
                self._change(f"create project {project_name(number)}")
        self.project_ids = {n: p.id for n, p in projects.items()}
        users = self._find_users()
        for number in range(USERS):
            if number not in users:
                users[number] = ident.create_user(
                    name=user_name(number),
                    domain_id="default",
                    password=PASSWORD,
                    email=user_email(number),
                    description=DESCRIPTION,
                    is_enabled=True,
                )
                self._change(f"create user {user_name(number)}")
        self.user_ids = {n: u.id for n, u in users.items()}
        member = ident.find_role("member", ignore_missing=False)
        have = {
            (a.user["id"], a.scope["project"]["id"])
            for a in ident.role_assignments(role_id=member.id)
            if a.user and a.scope and "project" in a.scope
        }
        grants = sorted(
            {(self.user_ids[owner(p, s)], self.project_ids[p]) for p, s in all_servers()} - have
        )
        _parallel(lambda g: ident.assign_project_role_to_user(g[1], g[0], member.id), grants)
        if grants:
            self._change(f"grant member to bench users on {len(grants)} projects", len(grants))

    def _user_connection(self, user: int, project: int):
        import openstack

        cfg = self.conn.config
        return openstack.connect(
            auth_url=cfg.auth["auth_url"],
            username=user_name(user),
            password=PASSWORD,
            user_domain_id="default",
            project_id=self.project_ids[project],
            region_name=cfg.region_name,
            identity_api_version="3",
        )

    def _boot_missing(self) -> bool:
        """Remove duplicates/broken servers, boot the missing ones; True if it booted any."""
        found = self.bench_servers()
        doomed = []
        for name, servers in found.items():
            keep = [s for s in servers if s.status != "ERROR"][:1]
            doomed.extend(s for s in servers if s.id not in {k.id for k in keep})
            found[name] = keep
        if doomed:
            _parallel(self.conn.compute.delete_server, doomed)
            self._wait_gone({s.id for s in doomed})
            self._change(f"delete {len(doomed)} duplicate or ERROR servers", len(doomed))
        # (user, project) -> (batch name, count) for a whole missing group, else exact names
        batches: Dict[Tuple[int, int], List[Tuple[str, int]]] = {}
        for project in range(PROJECTS):
            for first, count in GROUPS:
                slots = range(first, first + count)
                names = [
                    server_name(project, s) for s in slots if not found.get(server_name(project, s))
                ]
                key = (owner(project, first), project)
                if len(names) == count:
                    batches.setdefault(key, []).append((batch_name(project, first), count))
                else:
                    batches.setdefault(key, []).extend((name, 1) for name in names)
        batches = {key: todo for key, todo in batches.items() if todo}
        if not batches:
            return False
        missing = sum(count for todo in batches.values() for _, count in todo)
        _log(f"seed: booting {missing} servers in {len(batches)} (user, project) batches")
        for project in sorted({project for _, project in batches}):
            self.conn.compute.update_quota_set(
                self.project_ids[project], instances=-1, cores=-1, ram=-1
            )

        def boot(item):
            (user, project), todo = item
            conn = self._user_connection(user, project)
            try:
                for name, count in todo:
                    conn.compute.create_server(
                        name=name,
                        flavor_id=self.flavor_id,
                        image_id=self.image_id,
                        networks="none",
                        min_count=count,
                        max_count=count,
                    )
            finally:
                conn.close()

        started = time.monotonic()
        _parallel(boot, sorted(batches.items()))
        _log(f"seed: {missing} boot requests accepted in {time.monotonic() - started:.1f}s")
        self._wait_count("BUILD", lambda n: n == 0)
        self._change(
            f"booted {missing} servers ({missing / (time.monotonic() - started):.2f}/s)", missing
        )
        return True

    def _wait_count(self, status: str, done: Callable[[int], bool]) -> None:
        """Poll the cheap summary listing of bench servers in STATUS until done(count)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            count = sum(
                1
                for _ in self.conn.compute.servers(
                    all_projects=True, name=SERVER_REGEX, status=status, details=False
                )
            )
            if done(count):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} bench servers still {status} after {TIMEOUT}s")
            _log(f"seed: {count} bench servers {status}")
            time.sleep(POLL)

    def _settled(self) -> Dict[str, object]:
        """Wait until no bench server builds or has a task; return them by name."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            found = self.bench_servers()
            busy = [s for ss in found.values() for s in ss if s.status == "BUILD" or s.task_state]
            if not busy:
                return {name: servers[0] for name, servers in found.items()}
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(busy)} bench servers still busy after {TIMEOUT}s")
            _log(f"seed: waiting for {len(busy)} busy servers")
            time.sleep(POLL)

    def _converge(self, servers: Dict[str, object]) -> bool:
        """Stop/start servers whose status is not the wanted one; True if it did any."""
        stop, start = [], []
        for project, slot in all_servers():
            server = servers.get(server_name(project, slot))
            if server is None:
                continue
            if wanted_status(slot) == "SHUTOFF" and server.status == "ACTIVE":
                stop.append(server)
            elif wanted_status(slot) == "ACTIVE" and server.status == "SHUTOFF":
                start.append(server)
        if not stop and not start:
            return False
        started = time.monotonic()
        _parallel(self.conn.compute.stop_server, stop)
        _parallel(self.conn.compute.start_server, start)
        shutoff = sum(1 for _, slot in all_servers() if wanted_status(slot) == "SHUTOFF")
        self._wait_count("SHUTOFF", lambda n: n == shutoff)
        self._change(
            f"stopped {len(stop)} and started {len(start)} servers"
            f" in {time.monotonic() - started:.1f}s",
            len(stop) + len(start),
        )
        return True

    def _backdate(self, servers: Dict[str, object]) -> None:
        """TEST-ONLY: rewrite created_at/launched_at in nova's cell DBs where they are off."""
        now = clock.now().replace(microsecond=0)
        updates = []
        for project, slot in all_servers():
            days = age_days(project, slot)
            if days is None:
                continue
            server = servers.get(server_name(project, slot))
            if server is None:
                continue
            target = now - datetime.timedelta(days=days, minutes=37 * slot + 11 * project)
            if abs(clock.parse(server.created_at) - target) <= AGE_TOLERANCE:
                continue
            created = target.strftime("%Y-%m-%d %H:%M:%S")
            launched = (target + datetime.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
            for db in ("nova", "nova_cell0"):
                updates.append(
                    f"UPDATE {db}.instances SET created_at = '{created}', launched_at ="
                    f" IF(launched_at IS NULL, NULL, '{launched}')"
                    f" WHERE uuid = '{server.id}' AND deleted = 0;"
                )
        if updates:
            _mysql("\n".join(updates))
            self._change(f"backdate {len(updates) // 2} servers (TEST-ONLY DB write)")

    def _verify(self, servers: Dict[str, object]) -> None:
        wrong = []
        for project, slot in all_servers():
            server = servers.get(server_name(project, slot))
            if server is None or server.status != wanted_status(slot):
                wrong.append(f"{server_name(project, slot)}={server and server.status}")
            elif server.user_id != self.user_ids[owner(project, slot)]:
                wrong.append(f"{server_name(project, slot)} has the wrong owner")
        if wrong:
            raise RuntimeError(f"{len(wrong)} bench servers are off: {', '.join(wrong[:10])}")

    # ------------------------------------------------------------------ cleaning
    def _wait_gone(self, ids: Set[str]) -> None:
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = [
                s.id
                for s in self.conn.compute.servers(
                    all_projects=True, name=SERVER_REGEX, details=False
                )
                if s.id in ids
            ]
            if not left:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(left)} servers still there after {TIMEOUT}s")
            _log(f"clean: waiting for {len(left)} servers to go")
            time.sleep(POLL)

    def clean(self) -> List[str]:
        """Delete the bench servers, projects, users, flavor and image; the names left over."""
        started = time.monotonic()
        compute, ident = self.conn.compute, self.conn.identity
        projects = self._find_projects()
        self.project_ids = {n: p.id for n, p in projects.items()}
        servers = [s for ss in self.bench_servers().values() for s in ss] if projects else []
        _parallel(compute.delete_server, servers)
        self._wait_gone({s.id for s in servers})
        _log(f"clean: deleted {len(servers)} servers")
        for project in projects.values():
            compute.revert_quota_set(project.id)
        _parallel(ident.delete_project, list(projects.values()))
        users = self._find_users()
        _parallel(ident.delete_user, list(users.values()))
        _log(f"clean: deleted {len(projects)} projects and {len(users)} users")
        flavor = compute.find_flavor(FLAVOR, ignore_missing=True)
        if flavor is not None:
            compute.delete_flavor(flavor)
        for image in self.conn.image.images(name=IMAGE):
            self.conn.image.delete_image(image)
        left = [project_name(n) for n in self._find_projects()]
        left += [user_name(n) for n in self._find_users()]
        left += [FLAVOR] if compute.find_flavor(FLAVOR, ignore_missing=True) else []
        left += [IMAGE for _ in self.conn.image.images(name=IMAGE)]
        _log(f"clean: done in {time.monotonic() - started:.1f}s; left over: {left or 'nothing'}")
        return left
