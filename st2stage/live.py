"""The live checks of the real-StackStorm stage: the pack run by StackStorm 3.9.0 on a cloud.

`run.py --live --clouds-yaml PATH --cloud NAME` (the devcloud in `./run_tests.sh`'s
integration phase) registers the pack like the no-cloud stage, then:

  live-sensors  every sensor in st2's sensor wrapper (sensor container path, 1 s polls) with
                the pack config pointing at the cloud (`write_live_config`); alive after 3
                polls, and the sensors in MUST_DISPATCH must have dispatched a trigger
  live-drain    for each scenario of SCENARIOS: boots servers on compute2 (live_cloud.py),
                runs cloudops.hypervisor.drain.workflow (dry_run false) through StackStorm's
                scheduler (pre-run policies: concurrency), action runner (orquesta runner, then
                the python runner in the pack virtualenv for every child action) and workflow
                engine (post-run policies) on the in-process bus; checks the workflow's status,
                that its output lists what moved (compute2 -> compute1) and what failed or was
                refused, and that nova has the servers there; then deletes them and enables
                compute2 again, whatever happened

Children run one at a time: the stage's action runner runs a scheduled execution to its end
before it takes the next message (a real st2actionrunner runs them in parallel). The pack's
`server.migrate.retry` policy is attached but never retries here: StackStorm's retry policy
skips executions under a workflow (it logs "Retry cannot be applied to this liveaction
because it is executed under a workflow"), so a failed migration in a drain is not retried.
"""

import contextlib
import json
import os
import re
import subprocess
import time
import uuid

import yaml
from oslo_config import cfg

from checks import Finding, _short, check_sensors, setup_pack_venv
from harness import BUS, PACK

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE, TARGET = "compute2", "compute1"
DRAIN_TIMEOUT = 600
# With the devcloud's seed, these see something to report on their first poll: every
# hypervisor is new to the hypervisor sensor; the seed's routers have their gateways on
# 198.51.100.0/24, outside the live config's expected_external_cidrs.
MUST_DISPATCH = ("HypervisorStateSensor", "RouterGatewaySensor")
UNEXPECTED_CIDRS = ["203.0.113.0/24"]


def write_live_config(example_path, clouds_yaml, cloud, prefix):
    """The pack config for the live checks, and the clouds.yaml the pack reads.

    `cloudops.yaml.example` with its cloud accounts set to `cloud`; the cross-check compares
    `cloud` with `<cloud>-twin`, the same cloud under a second name (added to a copy of
    `clouds_yaml`); drains skip every server whose name does not start with `prefix` (as the
    integration tests do), so the seed's servers on compute2 are not touched.
    Returns (config path, clouds.yaml path).
    """
    base = cfg.CONF.system.base_path
    with open(clouds_yaml, encoding="utf-8") as fh:
        clouds = yaml.safe_load(fh)
    clouds["clouds"][f"{cloud}-twin"] = clouds["clouds"][cloud]
    clouds_path = os.path.join(base, "clouds-live.yaml")
    with open(clouds_path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(clouds, fh)
    with open(example_path, encoding="utf-8") as fh:
        config = yaml.safe_load(fh)
    config["hypervisor_sensor"]["cloud_account"] = cloud
    config["router_gateway_sensor"]["cloud_account"] = cloud
    config["expected_external_cidrs"] = UNEXPECTED_CIDRS
    config["cross_check"].update(source_cloud=cloud, target_cloud=f"{cloud}-twin")
    config["migration"]["skip_name_patterns"] = ["^amphora-", f"^(?!{prefix})"]
    config_path = os.path.join(base, "cloudops-live.yaml")
    with open(config_path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(config, fh)
    return config_path, clouds_path


def check_live_sensors(pack_path, example_path, clouds_path):
    """check_sensors with the cloud reachable: alive, and dispatching where the seed says."""
    try:
        _, how = setup_pack_venv(pack_path)  # the sensors run in it
    except Exception as exc:  # pylint: disable=broad-except
        return [Finding(False, "pack virtualenv (setup_pack_virtualenv)", _short(exc))]
    findings = [Finding(True, "pack virtualenv (setup_pack_virtualenv)", how)]
    return findings + check_sensors(
        pack_path, example_path, clouds_path, must_dispatch=MUST_DISPATCH
    )


def _cloud(clouds_path, cloud, *args):
    """live_cloud.py in the pack virtualenv; its JSON answer."""
    python = os.path.join(cfg.CONF.system.base_path, "virtualenvs", PACK, "bin", "python")
    command = [python, os.path.join(HERE, "live_cloud.py"), "--clouds-yaml", clouds_path]
    proc = subprocess.run(
        command + ["--cloud", cloud, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"live_cloud.py {args[0]} exited {proc.returncode}: {last}")
    return json.loads(proc.stdout)


# (scenario, servers to boot {where: names}, the workflow's status, names that must move);
# every booted server that must not move must be reported failed or refused and stay put.
SCENARIOS = [
    ("two servers move", {f"host:{SOURCE}": ["1", "2"]}, "succeeded", ["1", "2"]),
    (
        "defect 8: one server pinned to compute2's zone, one movable",
        {f"host:{SOURCE}": ["3"], "zone:seed-az2": ["pinned"]},
        "failed",
        ["3"],
    ),
]


def check_live_drain(pack_path, clouds_path, cloud, prefix):
    """Drain compute2 with the workflow, children and policies run by StackStorm."""
    try:
        setup_pack_venv(pack_path)  # live_cloud.py and the actions run in it
    except Exception as exc:  # pylint: disable=broad-except
        return [Finding(False, "pack virtualenv (setup_pack_virtualenv)", _short(exc))]
    findings = []
    for scenario, boots, status, moving in SCENARIOS:
        findings += _scenario(clouds_path, cloud, prefix, scenario, boots, status, moving)
    return findings


def _scenario(clouds_path, cloud, prefix, scenario, boots, status, moving):
    """Boot, drain, check; then delete the servers and enable compute2 whatever happened."""
    findings = []
    try:
        servers = []
        for where, names in boots.items():
            servers += _cloud(clouds_path, cloud, "boot", where, *[prefix + n for n in names])
        booted = ", ".join(f"{s['name']} on {s['host']}" for s in servers)
        findings.append(Finding(True, f"{scenario}: boot", booted))
        findings += _drain(
            clouds_path, cloud, scenario, servers, status, [prefix + n for n in moving]
        )
    except Exception as exc:  # pylint: disable=broad-except
        findings.append(Finding(False, f"{scenario}: live drain", _short(exc)))
    finally:
        try:
            done = _cloud(clouds_path, cloud, "cleanup", prefix, SOURCE)
            detail = f"deleted {sorted(done['deleted'])}, enabled again {done['enabled']}"
            findings.append(Finding(True, f"{scenario}: clean up", detail))
        except Exception as exc:  # pylint: disable=broad-except
            findings.append(Finding(False, f"{scenario}: clean up", _short(exc)))
    return findings


def _drain(clouds_path, cloud, scenario, servers, status, moving):
    what = f"{scenario}: cloudops.hypervisor.drain.workflow {SOURCE} -> {TARGET}"
    start = time.monotonic()
    live, trail, scheduled, children = run_through_st2(
        "cloudops.hypervisor.drain.workflow",
        {
            "cloud_account": cloud,
            "hypervisor": SOURCE,
            "reason": "st2stage live drain",
            "operator": "st2stage",
            "dry_run": False,
        },
    )
    took = time.monotonic() - start
    result = live.result or {}
    output = result.get("output") or {}
    detail = f"{live.status} in {took:.0f}s after {' '.join(trail)}; " + _policies(scheduled)
    if live.status != status:
        errors = result.get("errors") or result.get("error") or result
        return [Finding(False, what, f"{detail} (want {status}); errors {str(errors)[-1500:]}")]
    findings = [Finding(True, what, detail)]
    ids = {s["name"]: s["id"] for s in servers}
    want = sorted(ids[name] for name in moving)
    stay = sorted(i for name, i in ids.items() if name not in moving)
    migrated = output.get("migrated") or []
    moved = sorted(m.get("id") for m in migrated)
    hops = {(m.get("source_host"), m.get("dest_host")) for m in migrated}
    ok = moved == want and hops <= {(SOURCE, TARGET)}
    findings.append(
        Finding(ok, f"{scenario}: output migrated", f"{moved} {sorted(hops)} (want {want})")
    )
    if stay:
        not_moved = output.get("failed", []) + output.get("refused", [])
        reported = sorted(e.get("id") for e in not_moved)
        reasons = "; ".join(
            f"{e.get('error_type', 'refused')}: {e.get('reason')}" for e in not_moved
        )
        findings.append(
            Finding(
                reported == stay,
                f"{scenario}: output failed + refused",
                f"{reported} (want {stay}) {reasons[:400]}",
            )
        )
    findings.append(_progress_lines(scenario, children, moving))
    hosts = _cloud(clouds_path, cloud, "hosts", *ids.values())
    where = {server: h["host"] for server, h in hosts.items()}
    ok = all(where[i] == TARGET for i in want) and all(where[i] == SOURCE for i in stay)
    findings.append(Finding(ok, f"{scenario}: where nova has them (openstacksdk)", str(where)))
    return findings


def _progress_lines(scenario, children, moving):
    """Each server that moved has its progress line in its server.migrate execution's stderr
    (what `st2 execution get` shows): ``migrate <name>: live-migrated to compute1 (1 of 1, s)``."""
    stderr = "\n".join(
        str((child.result or {}).get("stderr") or "")
        for child in children
        if child.action.get("ref") == "cloudops.server.migrate"
    )
    found, missing = [], []
    for name in moving:
        line = re.search(
            rf"INFO apis\.openstack_api\.migrations: migrate {re.escape(name)}: "
            rf"live-migrated to {TARGET} \(1 of 1, \d+\.\d s\)$",
            stderr,
            re.M,
        )
        (found if line else missing).append(line.group(0) if line else name)
    detail = "; ".join(found) + (f"; none for {missing} in {stderr[-600:]!r}" if missing else "")
    return Finding(not missing, f"{scenario}: progress lines in server.migrate stderr", detail)


def _policies(scheduled):
    """What st2's scheduler handled, by action, and the pack's policies on those actions."""
    from collections import Counter

    from st2common.persistence.policy import Policy

    counts = Counter(scheduled)
    names = sorted({p.ref for ref in counts for p in Policy.query(resource_ref=ref, enabled=True)})
    handled = ", ".join(f"{ref.split('.', 1)[1]} x{n}" for ref, n in counts.items())
    return f"scheduled by st2's scheduler: {handled}; policies on them {names}"


@contextlib.contextmanager
def st2_services():
    """StackStorm's scheduler entrypoint, action runner and workflow engine on the bus; yields
    the scheduler's queue handler (its loop is run by :func:`pump`)."""
    from st2actions import worker
    from st2actions.scheduler import entrypoint as scheduler_entrypoint
    from st2actions.scheduler import handler as scheduler_handler
    from st2actions.workflows import workflows
    from st2common.transport import queues

    BUS.detach_all()
    BUS.attach(workflows.WORKFLOW_EXECUTION_QUEUES, workflows.get_engine())
    BUS.attach(
        [queues.ACTIONSCHEDULER_REQUEST_QUEUE], scheduler_entrypoint.get_scheduler_entrypoint()
    )
    BUS.attach(worker.ACTIONRUNNER_QUEUES, worker.get_worker())
    try:
        yield scheduler_handler.get_handler()
    finally:
        BUS.detach_all()


def pump(scheduler, live, parent, timeout=DRAIN_TIMEOUT):
    """Deliver the bus and run the scheduler's queue handler between deliveries, as their loops
    would (pre-run policies, then scheduled or delayed), until ``live`` (requested already,
    its execution ``parent``) completes. Returns the final LiveActionDB, the trail of child
    tasks as they completed, the action of every execution the scheduler handled (in order)
    and the child executions."""
    from st2common.constants import action as ac_const
    from st2common.persistence.execution import ActionExecution
    from st2common.persistence.liveaction import LiveAction

    trail, seen, scheduled, children = [], set(), [], []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivered = BUS.deliver()
        item = scheduler._get_next_execution()  # pylint: disable=protected-access
        if item is not None:
            scheduled.append(LiveAction.get_by_id(item.liveaction_id).action)
            scheduler._handle_execution(item)  # pylint: disable=protected-access
        for child in ActionExecution.query(parent=str(parent.id)):
            if child.status in ac_const.LIVEACTION_COMPLETED_STATES and child.id not in seen:
                seen.add(child.id)
                children.append(child)
                trail.append(f"{child.context['orquesta']['task_name']}:{child.status}")
        live = LiveAction.get_by_id(str(live.id))
        if live.status in ac_const.LIVEACTION_COMPLETED_STATES and not BUS.pending():
            break
        if not delivered and item is None:
            time.sleep(0.5)  # a policy-delayed item waits for its scheduled time
    return live, trail, scheduled, children


def run_through_st2(ref, parameters, timeout=DRAIN_TIMEOUT):
    """Request `ref` and let StackStorm's services run it and everything it requests.

    Attached to the bus (:func:`st2_services`): the scheduler's entrypoint (a request becomes
    a scheduling-queue item), the action runner's dispatcher (a scheduled execution is run by
    the runner container) and the workflow engine; see :func:`pump` for what it returns.
    """
    from st2common.models.db.liveaction import LiveActionDB
    from st2common.services import action as action_service

    with st2_services() as scheduler:
        live = LiveActionDB(action=ref, parameters=parameters, context={"user": "stanley"})
        live, parent = action_service.request(live)
        return pump(scheduler, live, parent, timeout)


def new_prefix():
    """A name prefix for this run's servers."""
    return f"st2live{uuid.uuid4().hex[:6]}-"
