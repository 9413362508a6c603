"""A nova that migrates: stateful migrations on the fake cloud's compute proxy.

A migration plays the way the devcloud's nova does: the API sets a task state, a few polls later
the server is on its new host (a cold one waits in VERIFY_RESIZE until confirmed) and a
migration record says how it ended.
"""

# effects take the SDK method's parameters, whether they use them or not
# pylint: disable=unused-argument

import threading

from openstack import exceptions
from openstack.compute.v2.migration import Migration
from openstack.compute.v2.server import Server
from openstack.compute.v2.service import Service
from openstack.image.v2.image import Image

from tests.fakes.cloud import FakeCloud

HOSTS = ("hv-a", "hv-b")
GPU = {"resources:VGPU": "1"}


class Migrations:
    """Stateful migrations on a fake cloud's compute proxy; ``behaviour[server name]`` picks
    an ending: ``ok`` (default), ``async-error`` (migration error, server stays), ``error``
    (server ERROR), ``hang`` (never ends), ``refuse`` (nova answers 400), ``gone`` (deleted),
    ``record-lags`` (a live record still running after the server moved)."""

    def __init__(self, cloud: FakeCloud):
        self.cloud = cloud
        self.store = cloud.store
        self.behaviour = {}
        self.pending = {}
        self.lock = threading.Lock()
        self.next_id = 100
        self.resized_from = {}
        self.lagging = set()
        self._listing = cloud.effects["compute"]["migrations"]
        cloud.serve(
            "compute",
            live_migrate_server=self.live_migrate_server,
            migrate_server=self.migrate_server,
            confirm_server_resize=self.confirm_server_resize,
            create_server_image=self.create_server_image,
            find_server=self.find_server,
            migrations=self.migrations,
            get_server=self.get_server,
        )

    def _server(self, server):
        server_id = getattr(server, "id", server)
        for item in self.store["servers"]:
            if item.id == server_id:
                return item
        raise exceptions.NotFoundException(f"server {server_id} not found")

    def _start(self, server, kind, host, task, status):
        found = self._server(server)
        ending = self.behaviour.get(found.name, "ok")
        if ending == "refuse":
            raise exceptions.BadRequestException("No valid host was found.")
        dest = host or next(h for h in HOSTS if h != found.compute_host)
        with self.lock:
            self.next_id += 1
            record = Migration(
                id=self.next_id,
                uuid=f"mig-{self.next_id}",
                server_id=found.id,
                migration_type=kind,
                source_compute=found.compute_host,
                dest_compute=dest,
                status="queued",
            )
            self.store.setdefault("migrations", []).append(record)
        self.pending[found.id] = (record, found.status, ending, 2)
        found.status, found.task_state = status, task

    def live_migrate_server(
        self, server, host=None, force=False, block_migration=None, disk_over_commit=None
    ):
        """os-migrateLive."""
        self._start(server, "live-migration", host, "migrating", "MIGRATING")

    def migrate_server(self, server, *, host=None):
        """migrate (cold)."""
        self._start(server, "migration", host, "resize_prep", "RESIZE")

    def confirm_server_resize(self, server):
        """confirmResize: the server is back to its old status on the next poll."""
        found = self._server(server)
        assert found.status == "VERIFY_RESIZE", found.status
        record = next(m for m in self.store["migrations"] if m.server_id == found.id)
        record.status = "confirming"
        self.pending[found.id] = (record, "confirm", "ok", 1)

    def create_server_image(self, server, name, metadata=None, wait=False, timeout=120):
        """createImage: the server is busy for one poll."""
        found = self._server(server)
        found.task_state = "image_snapshot"
        self.pending[found.id] = (None, "snapshot", "ok", 1)
        image = Image(id=f"img-{found.id}", name=name, status="queued")
        self.store.setdefault("images", []).append(image)
        return image

    def find_server(self, name_or_id, ignore_missing=True, *, details=True, all_projects=False):
        """A server by name or id."""
        for item in self.store["servers"]:
            if name_or_id in (item.id, item.name):
                return item
        if ignore_missing:
            return None
        raise exceptions.NotFoundException(f"server {name_or_id} not found")

    def migrations(self, **query):
        """Migration records; a live one that lagged behind its server completes now.

        A host's listing (a MigrationWatch poll) moves every migration from it one step on,
        as a poll of each server would."""
        if query.get("source_compute"):
            for found in list(self.store["servers"]):
                record = self.pending.get(found.id, (None,))[0]
                if record is not None and record.source_compute == query["source_compute"]:
                    self._advance(found)
        listed = list(self._listing(**query))
        for record in listed:
            if record.id in self.lagging and record.status == "running":
                self.lagging.discard(record.id)
                record.status = "completed"
                listed[listed.index(record)] = Migration(
                    **{**record.to_dict(), "status": "running"}
                )
        return iter(listed)

    def get_server(self, server):
        """The server, one step further in whatever nova is doing to it."""
        found = self._server(server)
        self._advance(found)
        if self.behaviour.get(found.name) == "gone":
            self.store["servers"].remove(found)
            raise exceptions.NotFoundException(f"server {found.id} not found")
        return found

    def _advance(self, found):
        """One step of whatever nova is doing to the server."""
        with self.lock:
            self._step(found)

    def _step(self, found):
        if found.id in self.pending:
            record, previous, ending, polls = self.pending[found.id]
            if polls > 1:
                self.pending[found.id] = (record, previous, ending, polls - 1)
            elif ending != "hang":
                del self.pending[found.id]
                self._finish(found, record, previous, ending)

    def _finish(self, found, record, previous, ending):
        found.task_state = None
        if previous == "snapshot":
            return
        if previous == "confirm":
            record.status = "confirmed"
            found.status = self.resized_from.pop(found.id)
            return
        if ending == "async-error":
            record.status, found.status = "error", previous
        elif ending == "error":
            record.status, found.status = "error", "ERROR"
            found.fault = {"message": "libvirt exploded"}
        elif record.migration_type == "live-migration":
            # like the devcloud's nova: the server is on its new host before the record ends
            record.status, found.status = "running", previous
            found.compute_host = record.dest_compute
            if ending != "record-lags":
                self.lagging.add(record.id)
        else:
            record.status, found.status = "finished", "VERIFY_RESIZE"
            self.resized_from[found.id] = previous
            found.compute_host = record.dest_compute


def make_server(name, status="ACTIVE", host="hv-a", specs=None, vcpus=1, task=None, flavor="m1"):
    """A server as nova returns it at microversion >= 2.47 (flavor embedded)."""
    return Server(
        id=f"id-{name}",
        name=name,
        status=status,
        task_state=task,
        compute_host=host,
        project_id="p1",
        flavor={"original_name": flavor, "vcpus": vcpus, "extra_specs": dict(specs or {})},
    )


def make_cloud(*servers) -> FakeCloud:
    """A fake cloud with two compute hosts and the given servers; ``cloud.nova`` is its
    :class:`Migrations`."""
    cloud = FakeCloud(
        servers=list(servers),
        migrations=[],
        services=[
            Service(id=f"svc-{h}", host=h, binary="nova-compute", status="enabled") for h in HOSTS
        ],
    )
    cloud.nova = Migrations(cloud)
    return cloud
