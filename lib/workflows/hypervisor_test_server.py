"""Boot a test server on given hypervisors (forced, so disabled hosts work too), per flavor.

Nova (Train and later) keeps disabled hosts out of scheduling twice: the ComputeFilter, which
a forced host (``availability_zone="zone:host"``) skips, and the COMPUTE_STATUS_DISABLED trait
on the host's placement resource provider, which even a forced boot cannot pass. For a
disabled host the trait is lifted just for the boot and put back once the server is ACTIVE
(or failed); the ComputeFilter keeps every ordinary boot away from the host meanwhile, and
nova-compute restores the trait itself when it next refreshes its provider (if putting it
back ever failed).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import logging
import random
import secrets
import time
from typing import Any, Dict, Iterator, List, Optional

from apis.openstack_api.error_translation import describe as describe_failure
from apis.choices import choices
from apis.openstack_api.connection import WorkerConnections
from apis.openstack_api.exceptions import OpenStackApiError
from apis.openstack_api.hypervisor_service import find_compute_service
from apis.openstack_api.servers import wait_for
from apis.progress import Progress
from apis.results import ChangeResult, ObjectOutcome, Outcome

LOG = logging.getLogger(__name__)
DECOMMISSION_KEY = "cloudops:decommission_date"
DISABLED_TRAIT = "COMPUTE_STATUS_DISABLED"
DEFAULT_ZONE = "nova"
MAX_HOSTS_AT_ONCE = 4
TRAIT_RETRIES = 3


# seconds between the attempts to delete a test server
DELETE_RETRY_PAUSES = (0.5, 1.0)


class HypervisorTestServerError(OpenStackApiError):
    """A bad parameter (named with the valid choices), or a failed test boot (with report)."""


@dataclasses.dataclass(frozen=True)
class Target:
    """Where to force a test boot: the name asked for, its compute host, zone and provider."""

    name: str
    host: str
    zone: str
    disabled: bool
    provider_id: Optional[str]


def _targets(conn, hypervisors: List[str]) -> List[Target]:
    providers = {
        (hv.service_details or {}).get("host"): hv.id
        for hv in conn.compute.hypervisors(details=True)
    }
    targets = []
    for name in hypervisors:
        service = find_compute_service(conn, name)
        targets.append(
            Target(
                name=name,
                host=service.host,
                zone=service.availability_zone or DEFAULT_ZONE,
                disabled=service.status == "disabled",
                provider_id=providers.get(service.host),
            )
        )
    return targets


def allowed_flavors(conn) -> List[Any]:
    """Enabled flavors the caller's project can use, without a decommission date."""
    usable = []
    for flavor in conn.compute.flavors(is_public=None, get_extra_specs=True):
        if flavor.is_disabled or DECOMMISSION_KEY in (flavor.extra_specs or {}):
            continue
        if not flavor.is_public:
            access = conn.compute.get_flavor_access(flavor)
            if conn.current_project_id not in {entry["tenant_id"] for entry in access}:
                continue
        usable.append(flavor)
    return sorted(usable, key=lambda f: f.name)


def _flavors(conn, flavors: Optional[List[str]]) -> List[Any]:
    if not flavors:
        usable = allowed_flavors(conn)
        if not usable:
            raise HypervisorTestServerError("no flavor is allowed for the test: give flavors")
        return usable
    every = list(conn.compute.flavors(is_public=None))
    chosen = []
    for wanted in flavors:
        match = [f for f in every if wanted in (f.id, f.name)]
        if len(match) != 1:
            problem = "is ambiguous: give its id" if match else "is not a flavor"
            raise HypervisorTestServerError(
                f"flavors {wanted!r} {problem}; {choices([f.name for f in every], wanted)}"
            )
        chosen.append(match[0])
    return chosen


def _image(conn, image: str) -> Any:
    found = [i for i in conn.image.images(status="active") if image in (i.id, i.name)]
    if len(found) == 1:
        return found[0]
    if found:
        raise HypervisorTestServerError(f"image {image!r} is ambiguous: give its id")
    names = [i.name for i in conn.image.images(status="active") if i.name]
    raise HypervisorTestServerError(
        f"image {image!r} is not an active image; {choices(names, image)}"
    )


def _networks(conn, network: Optional[str]) -> Any:
    if not network:
        return "none"
    found = conn.network.find_network(network, ignore_missing=True)
    if found is None:
        names = [n.name for n in conn.network.networks() if n.name]
        raise HypervisorTestServerError(
            f"network {network!r} is not a network; {choices(names, network)}"
        )
    return [{"uuid": found.id}]


def _set_disabled_trait(conn, provider_id: str, present: bool) -> None:
    """Add or remove COMPUTE_STATUS_DISABLED on a resource provider (retrying generations)."""
    from openstack import exceptions

    for attempt in range(TRAIT_RETRIES):
        current = conn.placement.get_resource_provider_trait(provider_id)
        traits = set(current.traits or ())
        if (DISABLED_TRAIT in traits) == present:
            return
        traits = traits | {DISABLED_TRAIT} if present else traits - {DISABLED_TRAIT}
        try:
            conn.placement.set_resource_provider_trait(current, traits=sorted(traits))
            return
        except exceptions.ConflictException:
            if attempt == TRAIT_RETRIES - 1:
                raise


@contextlib.contextmanager
def _bootable(conn, target: Target) -> Iterator[None]:
    """Let a forced boot reach a disabled host; the trait is back afterwards if still disabled."""
    if not target.disabled or not target.provider_id:
        yield
        return
    _set_disabled_trait(conn, target.provider_id, present=False)
    try:
        yield
    finally:
        if find_compute_service(conn, target.host).status == "disabled":
            _set_disabled_trait(conn, target.provider_id, present=True)


def _boot_one(conn, target: Target, flavor, image, networks, timeout: float) -> Dict[str, Any]:
    """One forced boot until ACTIVE, always followed by a delete that is waited for."""
    from openstack import exceptions

    name = f"cloudops-test-{target.host}-{flavor.name}-{secrets.token_hex(3)}"
    result: Dict[str, Any] = {"flavor": flavor.name, "ok": False, "seconds": 0.0}
    result.update(server_id=None, error=None)
    server = None
    started = time.monotonic()
    try:
        with _bootable(conn, target):
            server = conn.compute.create_server(
                name=name,
                flavor_id=flavor.id,
                image_id=image.id,
                networks=networks,
                availability_zone=f"{target.zone}:{target.host}",
            )
            result["server_id"] = server.id
            active = wait_for(conn, server, "ACTIVE", timeout)
        result["seconds"] = round(time.monotonic() - started, 1)
        if active.compute_host != target.host:
            result["error"] = f"server {name} went ACTIVE on {active.compute_host}"
        else:
            result["ok"] = True
    except (OpenStackApiError, exceptions.SDKException) as err:
        result["seconds"] = round(time.monotonic() - started, 1)
        result["error"] = describe_failure(err)
    finally:
        if server is not None:
            _delete(conn, server, timeout, result)
    return result


def _delete(conn, server, timeout: float, result: Dict[str, Any]) -> None:
    """Delete the test server, trying again after a busy, failing or silent answer."""
    from keystoneauth1 import exceptions as ks_exceptions
    from openstack import exceptions

    for pause in (*DELETE_RETRY_PAUSES, None):
        try:
            conn.compute.delete_server(server, ignore_missing=True)
            conn.compute.wait_for_delete(server, wait=timeout)
            return
        except (exceptions.SDKException, ks_exceptions.ClientException) as err:
            if pause is not None:
                time.sleep(pause)
                continue
            result["ok"] = False
            cleanup = f"test server {server.id} not deleted: {describe_failure(err)}"
            result["error"] = "; ".join(filter(None, [result["error"], cleanup]))


def _test_host(
    connections: WorkerConnections, target, flavors, image, networks, timeout, progress: Progress
) -> Dict[str, Any]:
    conn = connections.get()
    results = []
    for flavor in flavors:
        results.append(_boot_one(conn, target, flavor, image, networks, timeout))
        _log_boot(progress, target, results[-1])
    return {"ok": all(r["ok"] for r in results), "flavors": results}


def _planned(flavors: List[Any]) -> Dict[str, Any]:
    entries = [
        {"flavor": f.name, "ok": True, "seconds": 0.0, "server_id": None, "error": None}
        for f in flavors
    ]
    return {"ok": True, "flavors": entries}


def _log_boot(progress: Progress, target: Target, result: Dict[str, Any]) -> None:
    """``hv-1 with m1.small: booted and deleted in 23.4 s`` or ``...: failed: <error>``."""
    done = "booted and deleted" if result["ok"] else f"failed: {result['error']}"
    progress.step(f"{target.name} with {result['flavor']}: {done} in {result['seconds']} s")


def test_servers(
    conn: Any,
    hypervisors: List[str],
    image: str,
    flavors: Optional[List[str]] = None,
    random_flavor: bool = False,
    network: Optional[str] = None,
    wait_seconds: float = 300,
    dry_run: bool = False,
) -> Dict[str, Any]:
    """Boot, wait ACTIVE and delete a test server on each hypervisor with every allowed flavor
    (or ``flavors``; with ``random_flavor`` one of them per host); a dry run only checks the
    parameters and reports the planned boots.

    Failed boots are reported (``ok`` false), never raised; bad parameters raise.
    """
    if not hypervisors:
        raise HypervisorTestServerError("hypervisors is empty: give at least one hypervisor")
    if wait_seconds <= 0:
        raise HypervisorTestServerError(
            f"wait_seconds {wait_seconds} is out of range: more than 0 seconds"
        )
    targets = _targets(conn, list(dict.fromkeys(hypervisors)))
    candidates = _flavors(conn, flavors)
    image_obj = _image(conn, image)
    networks = _networks(conn, network)
    plans = {t.name: [random.choice(candidates)] if random_flavor else candidates for t in targets}
    if dry_run:
        return {"ok": True, "hypervisors": {name: _planned(plan) for name, plan in plans.items()}}
    progress = Progress("test server", sum(len(plan) for plan in plans.values()), LOG)
    connections = WorkerConnections(conn)
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=min(MAX_HOSTS_AT_ONCE, len(targets))
    ) as pool:
        futures = {
            t.name: pool.submit(
                _test_host,
                connections,
                t,
                plans[t.name],
                image_obj,
                networks,
                wait_seconds,
                progress,
            )
            for t in targets
        }
        results = {name: future.result() for name, future in futures.items()}
    return {"ok": all(r["ok"] for r in results.values()), "hypervisors": results}


@dataclasses.dataclass
class TestServerReport(ChangeResult):
    """The change result (one test boot per hypervisor and flavor) and the per-host report."""

    __test__ = False

    ok: bool
    hypervisors: Dict[str, Any]


def test_server_action(
    conn: Any,
    hypervisors: List[str],
    image: str,
    flavors: Optional[List[str]] = None,
    random_flavor: bool = False,
    network: Optional[str] = None,
    wait_seconds: float = 300,
    dry_run: bool = False,
) -> TestServerReport:
    """:func:`test_servers` for the action: any failed boot fails the action (with the report)."""
    result = test_servers(
        conn, hypervisors, image, flavors, random_flavor, network, wait_seconds, dry_run
    )
    objects = [
        ObjectOutcome(
            "test server",
            f"{name}/{entry['flavor']}",
            Outcome.DONE if entry["ok"] else Outcome.FAILED,
            "boot and delete",
            entry["error"] or "",
            entry["server_id"],
        )
        for name, host in result["hypervisors"].items()
        for entry in host["flavors"]
    ]
    report = TestServerReport(dry_run=dry_run, objects=objects, **result)
    if not result["ok"]:
        failures = [
            f"{name} ({entry['flavor']}: {entry['error']})"
            for name, host in result["hypervisors"].items()
            for entry in host["flavors"]
            if not entry["ok"]
        ]
        raise HypervisorTestServerError(
            "test server failed on " + "; ".join(failures), report=report
        )
    return report
