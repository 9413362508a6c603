"""nova-compute entry point for the devcloud: nova's own main plus four fake-driver patches.

Test clouds only. Imported by bin/nova-compute with plugins/ on PYTHONPATH.
"""

import os
import time

# nova exists only in Debian's python3, not in the project's .venv
# pylint: disable=import-error
from nova.cmd.compute import main  # first: nova.cmd applies eventlet monkey patching
from nova.virt import fake


def _skip_allocation_gets():
    """Zed's ResourceTracker GETs /allocations/<uuid> for every instance of the host on every
    claim (only needed for PCI-in-placement / reshape, both unused with the fake driver), which
    makes boots O(n^2). DEVCLOUD_FAST_RT=0 keeps nova's behaviour."""
    from nova.scheduler.client import report

    report.SchedulerReportClient.get_allocations_for_provider_tree = (
        lambda self, context, nodename: {}
    )


def _adopt_servers_on_start():
    """The fake driver keeps its servers in memory only: after a restart nova would find them
    gone and power-sync ACTIVE ones to SHUTOFF. Re-adopt this host's servers from the DB, with
    their recorded power state, when the driver starts, so `down` + `up` keeps the cloud."""
    from nova import context, objects

    original = fake.FakeDriver.init_host

    def init_host(self, host):
        original(self, host)
        ctx = context.get_admin_context()
        for inst in objects.InstanceList.get_by_host(ctx, host, expected_attrs=["flavor"]):
            self.instances[inst.uuid] = fake.FakeInstance(inst.name, inst.power_state, inst.uuid)
            self.resources.claim(
                vcpus=inst.flavor.vcpus, mem=inst.flavor.memory_mb, disk=inst.flavor.root_gb
            )

    fake.FakeDriver.init_host = init_host


# read on every live migration, so a benchmark can set it without restarting the computes
TRANSFER_SECONDS_FILE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "run", "live_migration_seconds"
)


def _modeled_transfer_time():
    """The fake driver's live migration is instant (no guest memory crosses a wire), so fake
    migrations cost only nova's control plane. When run/live_migration_seconds holds a number,
    every live migration first waits that long, standing in for a real one's memory copy
    (benchmarks/drain_bench.py --transfer-seconds). Missing or empty file: instant, as nova."""
    original = fake.FakeDriver.live_migration

    def live_migration(self, context, instance, dest, post_method, *args, **kwargs):
        try:
            with open(TRANSFER_SECONDS_FILE, encoding="ascii") as handle:
                seconds = float(handle.read().strip() or 0)
        except (OSError, ValueError):
            seconds = 0
        if seconds > 0:
            time.sleep(seconds)  # eventlet-patched: other greenthreads run meanwhile
        return original(self, context, instance, dest, post_method, *args, **kwargs)

    fake.FakeDriver.live_migration = live_migration


UPTIME_DIR = os.path.join(os.path.dirname(TRANSFER_SECONDS_FILE), "uptime")


def uptime_text(boot_epoch: float, now: float) -> str:
    """What `uptime` prints for a host booted at ``boot_epoch``; nova passes it on verbatim."""
    seconds = max(0, int(now - boot_epoch))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    clock = time.strftime("%H:%M:%S", time.gmtime(now))
    since = f"{days} days, {hours:2d}:{minutes:02d}" if days else f"{hours:2d}:{minutes:02d}"
    return f" {clock} up {since},  0 users,  load average: 0.00, 0.00, 0.00"


def _settable_uptime():
    """The fake driver has no uptime (nova reports null). When run/uptime/<host> holds a boot
    time (epoch seconds), the host reports the uptime since then, read on every request, so a
    test sets a host's uptime (`devcloud.sh uptime compute1 200`) or a fake reboot resets it
    without restarting the computes. No file: null, as nova."""
    # pylint: disable=import-outside-toplevel
    from nova.conf import CONF

    def get_host_uptime(self):  # pylint: disable=unused-argument
        try:
            with open(os.path.join(UPTIME_DIR, CONF.host), encoding="ascii") as handle:
                boot_epoch = float(handle.read().strip())
        except (OSError, ValueError) as error:
            raise NotImplementedError() from error
        return uptime_text(boot_epoch, time.time())

    fake.FakeDriver.get_host_uptime = get_host_uptime


if os.environ.get("DEVCLOUD_FAST_RT", "1") == "1":
    _skip_allocation_gets()
_adopt_servers_on_start()
_modeled_transfer_time()
_settable_uptime()

__all__ = ["main"]
