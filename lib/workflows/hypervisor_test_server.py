"""Boot a test server on given hypervisors (forced, so disabled hosts work too), per flavor.

Nova (Train and later) keeps disabled hosts out of scheduling twice: the ComputeFilter, which
a forced host (``availability_zone="zone:host"``) skips, and the COMPUTE_STATUS_DISABLED trait
on the host's placement resource provider, which even a forced boot cannot pass. For a
disabled host the trait is lifted just for the boot and put back once the server is ACTIVE
(or failed); the ComputeFilter keeps every ordinary boot away from the host meanwhile, and
nova-compute restores the trait itself when it next refreshes its provider (if putting it
back ever failed).

A forced boot also skips the AggregateInstanceExtraSpecsFilter, so without explicit flavors
each host is tested with the usable flavors its aggregates allow
(:mod:`apis.openstack_api.aggregate_flavors`): all of them, or one chosen by a seeded random
generator (the seed is in the result, so a dry run and the real run can choose alike).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import enum
import logging
import random
import secrets
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

from apis.openstack_api.error_translation import describe as describe_failure
from apis.choices import choices
from apis.openstack_api.aggregate_flavors import HostAggregates, aggregates_of_hosts
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


class FlavorChoice(enum.Enum):
    """How many of a host's candidate flavors are tested."""

    ALL = "all"
    ONE = "one"

    @classmethod
    def parse(cls, value: Any, parameter: str = "flavor_choice") -> "FlavorChoice":
        """The choice spelled ``value``; a clear error names the valid ones."""
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            valid = [c.value for c in cls]
            raise HypervisorTestServerError(
                f"{parameter} {value!r} is not a choice; {choices(valid, str(value))}"
            ) from None


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


def _named_flavors(conn, flavors: List[str], parameter: str) -> List[Any]:
    every = list(conn.compute.flavors(is_public=None))
    chosen = []
    for wanted in flavors:
        match = [f for f in every if wanted in (f.id, f.name)]
        if len(match) != 1:
            problem = "is ambiguous: give its id" if match else "is not a flavor"
            raise HypervisorTestServerError(
                f"{parameter} {wanted!r} {problem}; {choices([f.name for f in every], wanted)}"
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


def _candidates(
    conn, targets: List[Target], flavors: Optional[List[str]], flavors_parameter: str
) -> Tuple[Dict[str, List[Any]], Dict[str, HostAggregates]]:
    """Each host's candidate flavors: ``flavors`` as given, else the usable ones its
    aggregates allow; and each host's aggregates."""
    aggregates = aggregates_of_hosts(conn, [t.host for t in targets])
    if flavors:
        named = _named_flavors(conn, flavors, flavors_parameter)
        return {t.name: named for t in targets}, aggregates
    usable = allowed_flavors(conn)
    if not usable:
        raise HypervisorTestServerError(
            f"no flavor is allowed for the test: give {flavors_parameter}"
        )
    per_host = {t.name: aggregates[t.host].allows(usable) for t in targets}
    for target in targets:
        if not per_host[target.name]:
            raise HypervisorTestServerError(
                f"no usable flavor fits hypervisor {target.name!r}: its aggregates "
                f"({aggregates[target.host].describe()}) match the extra specs of none of the "
                f"{len(usable)} usable flavors ({_some([f.name for f in usable])}); give "
                f"{flavors_parameter}, or give a flavor extra specs that metadata matches"
            )
    return per_host, aggregates


def _some(names: List[str], shown: int = 10) -> str:
    """``a, b, c`` or ``a, ..., j and 5 more``."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _plans(
    targets: List[Target], candidates: Dict[str, List[Any]], choice: FlavorChoice, seed: int
) -> Dict[str, List[Any]]:
    """The flavors each host boots: all candidates, or one drawn with ``seed``."""
    if choice is FlavorChoice.ALL:
        return dict(candidates)
    draw = random.Random(seed)
    return {t.name: [draw.choice(candidates[t.name])] for t in targets}


def _entry(flavor) -> Dict[str, Any]:
    """A boot's report before it runs (as a dry run shows it)."""
    return {
        "flavor": flavor.name,
        "ok": True,
        "seconds": 0.0,
        "server_id": None,
        "server_name": None,
        "error": None,
        "kept": None,
    }


def _boot_one(  # pylint: disable=too-many-arguments
    conn, target: Target, flavor, image, networks, timeout: float, keep_failed: bool
) -> Dict[str, Any]:
    """One forced boot until ACTIVE, followed by a delete that is waited for (unless it
    failed and ``keep_failed``: then ``kept`` says where the server stays)."""
    from openstack import exceptions

    name = f"cloudops-test-{target.host}-{flavor.name}-{secrets.token_hex(3)}"
    result = dict(_entry(flavor), ok=False, server_name=name)
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
            if keep_failed and not result["ok"]:
                result["kept"] = _whereabouts(conn, server)
            else:
                _delete(conn, server, timeout, result)
    return result


def _whereabouts(conn, server) -> Dict[str, Any]:
    """Where a kept test server is: its compute host (None: never placed) and status."""
    from openstack import exceptions

    try:
        current = conn.compute.get_server(server.id)
    except exceptions.SDKException as err:
        return {"host": None, "status": f"unknown ({describe_failure(err)})"}
    return {"host": current.compute_host, "status": current.status}


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


@dataclasses.dataclass(frozen=True)
class BootSettings:
    """What every boot of one run shares."""

    image: Any
    networks: Any
    timeout: float
    keep_failed: bool


def _test_host(
    connections: WorkerConnections, target, flavors, boot: BootSettings, progress: Progress
) -> List[Dict[str, Any]]:
    conn = connections.get()
    results = []
    for flavor in flavors:
        results.append(
            _boot_one(
                conn, target, flavor, boot.image, boot.networks, boot.timeout, boot.keep_failed
            )
        )
        _log_boot(progress, target, results[-1])
    return results


def kept_note(entry: Dict[str, Any]) -> str:
    """``kept for debugging: server NAME (ID) on HOST, STATUS`` (empty when not kept)."""
    kept = entry.get("kept")
    if not kept:
        return ""
    where = f"on {kept['host']}" if kept["host"] else "on no host"
    return (
        f"kept for debugging: server {entry['server_name']} ({entry['server_id']}) {where}, "
        f"{kept['status']}"
    )


def boot_outcome(hypervisor: str, entry: Dict[str, Any]) -> ObjectOutcome:
    """The change result of one (planned) boot: ``hypervisor/flavor``, why it failed, where
    it was kept."""
    return ObjectOutcome(
        "test server",
        f"{hypervisor}/{entry['flavor']}",
        Outcome.DONE if entry["ok"] else Outcome.FAILED,
        "boot and delete",
        "; ".join(filter(None, [entry["error"], kept_note(entry)])),
        entry["server_id"],
    )


def _log_boot(progress: Progress, target: Target, result: Dict[str, Any]) -> None:
    """``hv-1 with m1.small: booted and deleted in 23.4 s`` or ``...: failed: <error>``
    (and where the server was kept)."""
    done = "booted and deleted" if result["ok"] else f"failed: {result['error']}"
    kept = kept_note(result)
    progress.step(
        f"{target.name} with {result['flavor']}: {done} in {result['seconds']} s"
        + (f"; {kept}" if kept else "")
    )


def test_servers(  # pylint: disable=too-many-arguments,too-many-locals
    conn: Any,
    hypervisors: List[str],
    image: str,
    flavors: Optional[List[str]] = None,
    flavor_choice: str = "all",
    flavor_seed: Optional[int] = None,
    network: Optional[str] = None,
    wait_seconds: float = 300,
    keep_failed: bool = False,
    dry_run: bool = False,
    flavors_parameter: str = "flavors",
) -> Dict[str, Any]:
    """Boot, wait ACTIVE and delete a test server on each hypervisor with ``flavors``, else
    every usable flavor its aggregates allow; with ``flavor_choice`` ``one``, one of them per
    host drawn with ``flavor_seed`` (default a new seed, reported). A dry run only checks the
    parameters and reports the planned boots. ``keep_failed`` leaves a failed server in place
    and reports where. ``flavors_parameter`` is the caller's name of ``flavors`` in errors.

    Failed boots are reported (``ok`` false), never raised; bad parameters raise.
    """
    if not hypervisors:
        raise HypervisorTestServerError("hypervisors is empty: give at least one hypervisor")
    if wait_seconds <= 0:
        raise HypervisorTestServerError(
            f"wait_seconds {wait_seconds} is out of range: more than 0 seconds"
        )
    choice = FlavorChoice.parse(flavor_choice)
    if choice is FlavorChoice.ONE and flavor_seed is None:
        flavor_seed = secrets.randbelow(2**31)
    targets = _targets(conn, list(dict.fromkeys(hypervisors)))
    candidates, aggregates = _candidates(conn, targets, flavors, flavors_parameter)
    boot = BootSettings(_image(conn, image), _networks(conn, network), wait_seconds, keep_failed)
    plans = _plans(targets, candidates, choice, flavor_seed)
    report = {
        "ok": True,
        "flavor_choice": choice.value,
        "flavor_seed": flavor_seed if choice is FlavorChoice.ONE else None,
        "kept_servers": [],
    }
    if dry_run:
        results = {t.name: [_entry(f) for f in plans[t.name]] for t in targets}
    else:
        results = _run(conn, targets, plans, boot)
    report["hypervisors"] = {
        t.name: {
            "ok": all(e["ok"] for e in results[t.name]),
            "aggregates": aggregates[t.host].aggregates,
            "flavors": results[t.name],
        }
        for t in targets
    }
    report["ok"] = all(host["ok"] for host in report["hypervisors"].values())
    report["kept_servers"] = [
        {
            "hypervisor": name,
            "flavor": e["flavor"],
            "server_id": e["server_id"],
            "server_name": e["server_name"],
            **e["kept"],
            "error": e["error"],
        }
        for name, entries in results.items()
        for e in entries
        if e["kept"]
    ]
    return report


def _run(conn, targets: List[Target], plans, boot: BootSettings) -> Dict[str, List[Dict]]:
    """Every planned boot, up to MAX_HOSTS_AT_ONCE hosts at a time."""
    progress = Progress("test server", sum(len(plan) for plan in plans.values()), LOG)
    connections = WorkerConnections(conn)
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=min(MAX_HOSTS_AT_ONCE, len(targets))
    ) as pool:
        futures = {
            t.name: pool.submit(_test_host, connections, t, plans[t.name], boot, progress)
            for t in targets
        }
        return {name: future.result() for name, future in futures.items()}


@dataclasses.dataclass
class TestServerReport(ChangeResult):
    """The change result (one test boot per hypervisor and flavor) and the per-host report."""

    __test__ = False

    ok: bool
    flavor_choice: str
    flavor_seed: Optional[int]
    kept_servers: List[Dict[str, Any]]
    hypervisors: Dict[str, Any]


def test_server_action(  # pylint: disable=too-many-arguments
    conn: Any,
    hypervisors: List[str],
    image: str,
    flavors: Optional[List[str]] = None,
    flavor_choice: str = "all",
    flavor_seed: Optional[int] = None,
    network: Optional[str] = None,
    wait_seconds: float = 300,
    keep_failed: bool = False,
    dry_run: bool = False,
) -> TestServerReport:
    """:func:`test_servers` for the action: any failed boot fails the action (with the report)."""
    result = test_servers(
        conn,
        hypervisors,
        image,
        flavors=flavors,
        flavor_choice=flavor_choice,
        flavor_seed=flavor_seed,
        network=network,
        wait_seconds=wait_seconds,
        keep_failed=keep_failed,
        dry_run=dry_run,
    )
    objects = [
        boot_outcome(name, entry)
        for name, host in result["hypervisors"].items()
        for entry in host["flavors"]
    ]
    report = TestServerReport(dry_run=dry_run, objects=objects, **result)
    if not result["ok"]:
        failures = [
            f"{o.name.split('/', 1)[0]} ({o.name.split('/', 1)[1]}: {o.reason})"
            for o in objects
            if o.outcome is Outcome.FAILED
        ]
        raise HypervisorTestServerError(
            "test server failed on " + "; ".join(failures), report=report
        )
    return report
