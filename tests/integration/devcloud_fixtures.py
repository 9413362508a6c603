"""Pytest plugin: the devcloud, a real OpenStack Zed on 127.0.0.1 (see devcloud/README.md).

Loaded by the root conftest.py on every run, so importing it does nothing; the fixtures bring
the cloud up only when a test asks for them. ``run_tests.sh`` normally starts and seeds the
devcloud first; the fixtures reuse it. If CI is set, a missing devcloud fails the session
instead of skipping it.
"""

import contextlib
import json
import os
import re
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVCLOUD_DIR = ROOT / "devcloud"
# read by plugins/devcloud_compute.py (nova's python, which cannot import this) on every
# live migration
TRANSFER_SECONDS_FILE = DEVCLOUD_DIR / "run" / "live_migration_seconds"
HOST = "127.0.0.1"
AUTH_URL = f"http://{HOST}:5000/v3"
ENDPOINTS = {
    "identity": AUTH_URL,
    "compute": f"http://{HOST}:8774/v2.1",
    "network": f"http://{HOST}:9696",
    "image": f"http://{HOST}:9292",
    "placement": f"http://{HOST}:8778",
}


@contextlib.contextmanager
def modeled_transfer(seconds: float) -> Iterator[None]:
    """Inside, every devcloud live migration first waits ``seconds`` (0: none), standing in
    for a real migration's memory copy."""
    if seconds:
        TRANSFER_SECONDS_FILE.write_text(f"{seconds}\n", encoding="ascii")
    try:
        yield
    finally:
        TRANSFER_SECONDS_FILE.unlink(missing_ok=True)


ADMIN_CLOUD = "devcloud"
SYSTEM_CLOUD = "devcloud-system"
ADMIN_PASSWORD = "admin"
REGION = "RegionOne"
TIMEOUT = 180


def find(finder: Callable[..., Any], name_or_id: str, **query: Any) -> Any:
    """Call an openstacksdk find_* method; None if nothing matches (without the deprecated
    ignore_missing=True)."""
    from openstack.exceptions import NotFoundException

    try:
        return finder(name_or_id, ignore_missing=False, **query)
    except NotFoundException:
        return None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"devcloud unavailable in CI: {reason}", pytrace=False)
    pytest.skip(f"devcloud unavailable: {reason}")


def _keystone_answers() -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(AUTH_URL, timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass(frozen=True)
class Devcloud:
    """Where the devcloud lives and answers."""

    directory: Path
    auth_url: str = AUTH_URL
    region: str = REGION
    endpoints: Dict[str, str] = field(default_factory=lambda: dict(ENDPOINTS))
    started_here: bool = False

    @property
    def script(self) -> Path:
        """devcloud.sh."""
        return self.directory / "devcloud.sh"

    @property
    def summary_path(self) -> Path:
        """The seed summary written by ``devcloud.sh seed``."""
        return self.directory / "run" / "seed.json"

    def run(self, *args: str, timeout: float = 600) -> str:
        """Run ``devcloud.sh ARGS``; its stdout, or fail the test with the output's tail."""
        if not self.script.exists():
            pytest.fail(f"{self.script} is missing", pytrace=False)
        env = {k: v for k, v in os.environ.items() if k != "OS_CLOUD"}
        proc = subprocess.run(
            [str(self.script), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        if proc.returncode:
            tail = (proc.stdout + proc.stderr)[-3000:]
            pytest.fail(f"devcloud.sh {' '.join(args)} exited {proc.returncode}:\n{tail}")
        return proc.stdout

    @contextlib.contextmanager
    def uptime(self, host: str, days: float) -> Iterator[None]:
        """Inside, ``host`` reports that it booted ``days`` ago (``devcloud.sh uptime``);
        afterwards no uptime, the fake driver's default."""
        self.run("uptime", host, str(days))
        try:
            yield
        finally:
            self.run("uptime", host, "clear")


def _installed(directory: Path) -> bool:
    return Path("/usr/sbin/mariadbd").exists() and (directory / "venv" / "bin" / "python").exists()


@pytest.fixture(name="devcloud", scope="session")
def fixture_devcloud() -> Iterator[Devcloud]:
    """The running devcloud; starts it (and stops it afterwards) if nothing answers.

    Set DEVCLOUD_KEEP=1 to leave a devcloud started here running after the session.
    """
    cloud = Devcloud(directory=DEVCLOUD_DIR)
    if _keystone_answers():
        status = subprocess.run(
            [str(cloud.script), "status"], capture_output=True, text=True, check=False, timeout=60
        )
        if status.returncode == 0:
            yield cloud
            return
    if not _installed(cloud.directory):
        if not _in_ci():
            _unavailable(f"not installed; run {cloud.script} install (root, apt)")
        cloud.run("install", timeout=1800)
    cloud.run("up", timeout=900)
    if not _keystone_answers():
        _unavailable(f"keystone does not answer at {AUTH_URL} after 'up'")
    started = Devcloud(directory=cloud.directory, started_here=True)
    yield started
    if os.environ.get("DEVCLOUD_KEEP") != "1":
        started.run("down")


@dataclass(frozen=True)
class CloudsYaml:
    """A clouds.yaml for the session: the admin cloud and its system-scoped twin."""

    path: Path
    cloud: str = ADMIN_CLOUD
    system_cloud: str = SYSTEM_CLOUD


def _admin_clouds(auth_url: str = AUTH_URL) -> Dict[str, Any]:
    common = {"region_name": REGION, "identity_api_version": 3, "interface": "public"}
    auth = {"auth_url": auth_url, "username": "admin", "password": ADMIN_PASSWORD}
    return {
        ADMIN_CLOUD: {
            "auth": {
                **auth,
                "project_name": "admin",
                "user_domain_name": "Default",
                "project_domain_name": "Default",
            },
            **common,
        },
        SYSTEM_CLOUD: {
            "auth": {**auth, "system_scope": "all", "user_domain_name": "Default"},
            **common,
        },
    }


def _write_clouds_yaml(path: Path, clouds: Dict[str, Any]) -> Path:
    path.write_text(json.dumps({"clouds": clouds}, indent=1) + "\n", encoding="utf-8")
    return path


@pytest.fixture(name="clouds_yaml", scope="session")
def fixture_clouds_yaml(devcloud, tmp_path_factory) -> Iterator[CloudsYaml]:
    """A clouds.yaml in a temporary folder, exported as OS_CLIENT_CONFIG_FILE for the session.

    OS_CLOUD is removed: it would replace the user of any explicit connection.
    """
    folder = tmp_path_factory.mktemp("devcloud")
    path = _write_clouds_yaml(folder / "clouds.yaml", _admin_clouds(devcloud.auth_url))
    patch = pytest.MonkeyPatch()
    patch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    patch.delenv("OS_CLOUD", raising=False)
    for var in ("NO_PROXY", "no_proxy"):
        patch.setenv(var, ",".join(filter(None, [os.environ.get(var), HOST])))
    yield CloudsYaml(path=path)
    patch.undo()


def _connect(path: Path, cloud: str):
    import openstack.config
    from openstack.connection import Connection

    config = openstack.config.OpenStackConfig(config_files=[str(path)], load_envvars=False)
    return Connection(config=config.get_one(cloud))


@pytest.fixture(name="devcloud_connect", scope="session")
def fixture_devcloud_connect(clouds_yaml) -> Callable[..., Any]:
    """Factory: ``devcloud_connect(cloud="devcloud")`` -> a new openstack Connection."""

    def connect(cloud: str = clouds_yaml.cloud):
        return _connect(clouds_yaml.path, cloud)

    return connect


@pytest.fixture(name="admin_conn", scope="session")
def fixture_admin_conn(devcloud_connect):
    """One admin (project-scoped) Connection shared by the session."""
    conn = devcloud_connect()
    yield conn
    conn.close()


@pytest.fixture(name="lib_conn", scope="session")
def fixture_lib_conn(clouds_yaml):
    """The connection the action runtime opens for ``cloud_account: devcloud``, for tests that
    call the apis and workflows directly."""
    from apis.openstack_api.connection import connect

    with connect(clouds_yaml.cloud) as conn:
        yield conn


@pytest.fixture(name="seeded_cloud", scope="session")
def fixture_seeded_cloud(devcloud, admin_conn) -> Dict[str, Any]:
    """The seed summary (devcloud/run/seed.json); runs ``devcloud.sh seed`` if it is missing
    or does not describe this cloud."""
    path = devcloud.summary_path
    if path.exists():
        summary = json.loads(path.read_text(encoding="utf-8"))
        domain = find(admin_conn.identity.find_domain, "seed-domain")
        if domain is not None and domain.id == summary["domains"]["seed-domain"]["id"]:
            return summary
    devcloud.run("seed", timeout=600)
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ThrowawayProject:
    """A fresh project with one member user, removed with everything in it afterwards."""

    project_id: str
    project_name: str
    user_id: str
    user_name: str
    password: str
    email: str
    cloud: str
    clouds_yaml: Path
    auth: Dict[str, Any]

    def connect(self):
        """A Connection as the member user, scoped to the project."""
        return _connect(self.clouds_yaml, self.cloud)


def _wait(predicate: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done after {timeout}s")
        time.sleep(0.5)


def _cleanup_steps(admin, project_id: str, user_id: Optional[str]) -> List[Callable[[], None]]:
    compute, net, image = admin.compute, admin.network, admin.image

    def servers():
        found = list(compute.servers(all_projects=True, project_id=project_id))
        for server in found:
            compute.delete_server(server)
        _wait(
            lambda: not list(compute.servers(all_projects=True, project_id=project_id)),
            "server deletion",
        )

    def floating_ips():
        for fip in _owned(net.ips(), project_id):
            net.delete_ip(fip, ignore_missing=True)

    def routers():
        for router in _owned(net.routers(), project_id):
            for port in net.ports(device_id=router.id, device_owner="network:router_interface"):
                net.remove_interface_from_router(router, port=port.id)
            net.delete_router(router, ignore_missing=True)

    def ports_and_networks():
        for port in _owned(net.ports(), project_id):
            net.delete_port(port, ignore_missing=True)
        for network in _owned(net.networks(), project_id):
            net.delete_network(network, ignore_missing=True)

    def security_groups():
        for group in _owned(net.security_groups(), project_id):
            net.delete_security_group(group, ignore_missing=True)

    def images():
        for img in image.images(owner=project_id):
            if img.is_protected:
                image.update_image(img, is_protected=False)
            image.delete_image(img, ignore_missing=True)

    def keypairs():
        if not user_id:
            return
        for keypair in compute.keypairs(user_id=user_id):
            compute.delete_keypair(keypair, user_id=user_id, ignore_missing=True)

    def quotas():
        compute.revert_quota_set(project_id)
        net.delete_quota(project_id, ignore_missing=True)

    def identity():
        if user_id:
            admin.identity.delete_user(user_id, ignore_missing=True)
        admin.identity.delete_project(project_id, ignore_missing=True)

    steps = [servers, floating_ips, routers, ports_and_networks, security_groups, images]
    return steps + [keypairs, quotas, identity]


def _owned(resources, project_id: str) -> list:
    """Client-side project filter: neutron creates a default security group for a project
    whenever one is listed with a project filter, even by an admin."""
    return [r for r in resources if project_id in (r.project_id, getattr(r, "tenant_id", None))]


def leftovers(admin, project_id: str, user_id: Optional[str]) -> Dict[str, list]:
    """Everything of the project or user that still exists, by kind (empty lists if clean)."""
    net = admin.network
    found = {
        "servers": [s.id for s in admin.compute.servers(all_projects=True, project_id=project_id)],
        "floating_ips": [f.id for f in _owned(net.ips(), project_id)],
        "routers": [r.id for r in _owned(net.routers(), project_id)],
        "ports": [p.id for p in _owned(net.ports(), project_id)],
        "networks": [n.id for n in _owned(net.networks(), project_id)],
        "security_groups": [g.id for g in _owned(net.security_groups(), project_id)],
        "images": [i.id for i in admin.image.images(owner=project_id)],
        "keypairs": [k.name for k in admin.compute.keypairs(user_id=user_id)] if user_id else [],
        "user": [user_id] if user_id and find(admin.identity.find_user, user_id) else [],
        "project": [project_id] if find(admin.identity.find_project, project_id) else [],
    }
    return {kind: ids for kind, ids in found.items() if ids}


def delete_project(admin, project_id: str, user_id: Optional[str]) -> None:
    """Delete the project's servers, floating IPs, routers, ports, networks, security groups,
    images, the user's keypairs, the quotas, the user and the project; fail on any leftover."""
    errors = []
    for step in _cleanup_steps(admin, project_id, user_id):
        try:
            step()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            errors.append(f"{step.__name__}: {type(exc).__name__}: {exc}")
    left = leftovers(admin, project_id, user_id)
    assert not errors and not left, f"cleanup of project {project_id}: {errors} {left}"


@contextlib.contextmanager
def throwaway(admin, folder: Path, label: str = "tp") -> Iterator[ThrowawayProject]:
    """Context manager behind the ``throwaway_project`` fixture."""
    suffix = uuid.uuid4().hex[:8]
    name = f"{re.sub(r'[^a-z0-9]+', '-', label.lower())[:40].strip('-')}-{suffix}"
    password = uuid.uuid4().hex
    email = f"{name}@example.com"
    project = admin.identity.create_project(
        name=name, domain_id="default", description=f"throwaway test project {label}"[:255]
    )
    user = None
    try:
        user = admin.identity.create_user(
            name=name,
            domain_id="default",
            password=password,
            email=email,
            default_project_id=project.id,
        )
        member = admin.identity.find_role("member", ignore_missing=False)
        admin.identity.assign_project_role_to_user(project, user, member)
        auth = {
            "auth_url": AUTH_URL,
            "username": name,
            "password": password,
            "user_domain_id": "default",
            "project_id": project.id,
        }
        clouds = _admin_clouds()
        clouds[name] = {"auth": auth, "region_name": REGION, "identity_api_version": 3}
        yield ThrowawayProject(
            project_id=project.id,
            project_name=name,
            user_id=user.id,
            user_name=name,
            password=password,
            email=email,
            cloud=name,
            clouds_yaml=_write_clouds_yaml(folder / f"clouds-{name}.yaml", clouds),
            auth=auth,
        )
    finally:
        delete_project(admin, project.id, user.id if user else None)


@pytest.fixture(name="throwaway_project")
def fixture_throwaway_project(
    admin_conn, clouds_yaml, tmp_path, request
) -> Iterator[ThrowawayProject]:
    """A unique project + member user (with email) and a clouds.yaml entry for it; on teardown
    everything in it is deleted and the teardown fails if anything is left."""
    assert clouds_yaml.path.exists()
    with throwaway(admin_conn, tmp_path, label=request.node.name) as project:
        yield project
