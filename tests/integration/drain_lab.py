"""Servers of one test booted on compute2 of the devcloud, for drain and shutdown tests.

A :class:`Lab` boots servers on compute2 in a throwaway project (as admin scoped to it, so
``host=`` works); its pack config skips servers whose names do not start with the lab's prefix,
so a drain of compute2 never touches the seed's or other tests' servers.
"""

import contextlib
import time
import uuid
from typing import Iterator

import openstack
import yaml

from tests.integration.devcloud_fixtures import AUTH_URL, REGION

SOURCE, TARGET = "compute2", "compute1"


def compute2(admin_conn):
    """compute2's nova-compute service."""
    (service,) = [s for s in admin_conn.compute.services(binary="nova-compute") if s.host == SOURCE]
    return service


def status_of(admin_conn):
    """enabled or disabled."""
    return compute2(admin_conn).status


class Lab:
    """Servers of one test in a throwaway project, booted on compute2 as admin."""

    def __init__(self, project, admin_conn, tmp_path):
        self.prefix = f"drn{uuid.uuid4().hex[:6]}-"
        admin_role = admin_conn.identity.find_role("admin", ignore_missing=False)
        admin_user = admin_conn.identity.find_user("admin", ignore_missing=False)
        admin_conn.identity.assign_project_role_to_user(project.project_id, admin_user, admin_role)
        self.conn = openstack.connect(
            auth_url=AUTH_URL,
            username="admin",
            password="admin",
            user_domain_id="default",
            project_id=project.project_id,
            region_name=REGION,
            load_envvars=False,
            load_yaml_config=False,
        )
        self.admin = admin_conn
        self.flavor = admin_conn.compute.find_flavor("seed.small", ignore_missing=False)
        self.image = admin_conn.image.find_image("seed-cirros", ignore_missing=False)
        self.config = tmp_path / "cloudops.yaml"
        self.write_config()

    def write_config(self, **migration):
        """A pack config whose drains only see this test's servers (and skip amphorae)."""
        self.migration = {"skip_name_patterns": ["^amphora-", f"^(?!{self.prefix})"], **migration}
        self.config.write_text(yaml.safe_dump({"migration": self.migration}), encoding="utf-8")

    def boot(self, *names, flavor=None, **extra):
        """Servers on compute2 (ACTIVE), by name (the prefix is added unless it is there)."""
        servers = [
            self.conn.compute.create_server(
                name=name if name.startswith("amphora-") else self.prefix + name,
                flavor_id=(flavor or self.flavor).id,
                image_id=self.image.id,
                networks="none",
                **({"host": SOURCE} if "availability_zone" not in extra else {}),
                **extra,
            )
            for name in names
        ]
        return [self.conn.compute.wait_for_server(s, interval=0.5, wait=120) for s in servers]

    def settle(self, server, timeout=60):
        """The server once nova has no task on it."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.admin.compute.get_server(server.id)
            if current.task_state is None and current.status != "VERIFY_RESIZE":
                return current
            assert time.monotonic() < deadline, f"{current.name} stuck in {current.task_state}"
            time.sleep(0.5)

    def host_of(self, server):
        """Where a server is now."""
        return self.settle(server).compute_host


@contextlib.contextmanager
def drain_lab(project, admin_conn, tmp_path) -> Iterator[Lab]:
    """A lab in ``project``; afterwards compute2 is enabled again and the snapshots (owned by
    the admin project that asked for them) are deleted, whatever happened. The project's own
    teardown deletes the servers."""
    lab = Lab(project, admin_conn, tmp_path)
    try:
        yield lab
    finally:
        service = compute2(admin_conn)
        if service.status != "enabled":
            admin_conn.compute.enable_service(service)
        for image in admin_conn.image.images():
            if (image.name or "").startswith(lab.prefix):
                admin_conn.image.delete_image(image)
        lab.conn.close()
