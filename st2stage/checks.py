"""The checks of the real-StackStorm stage; each returns a list of Finding.

Each check drives StackStorm 3.9.0's own code (registrars, config loader, runner container and
python runner, alias execution controller, rules engine, sensor wrapper, Orquesta workflow
service and engine) against the pack; `harness` replaces only MongoDB, the message bus and
the sensors' HTTP datastore client (see its docstring). The checks
run in order and share one in-memory database: registration first, the others use what it
registered.
"""

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass

import yaml
from oslo_config import cfg

from harness import PACK

HERE = os.path.dirname(os.path.abspath(__file__))
RULE_SAMPLES = os.path.join(HERE, "rule_samples.yaml")
WORKFLOW_SAMPLES = os.path.join(HERE, "workflow_samples.yaml")
# Sensors run (with a 1 s poll interval instead of their own) until each has polled this often
# or died, at most SENSOR_TIMEOUT seconds; to pass, one must be alive after SENSOR_POLLS polls.
SENSOR_POLLS = 3
SENSOR_TIMEOUT = 90


@dataclass
class Finding:
    """One verdict: `ok` False makes the stage fail."""

    ok: bool
    what: str
    detail: str = ""


def _short(exc):
    # jsonschema errors carry the schema and instance after a blank line: keep the message.
    text = f"{type(exc).__name__}: " + str(exc).split("\n\n", 1)[0]
    return text if len(text) < 600 else text[:600] + "..."


# 1. Registration ------------------------------------------------------------------------------

# (kind, registrar module, class, content folder, list method, per-file method, public function)
REGISTRARS = [
    ("triggers", "triggersregistrar", "TriggersRegistrar", "triggers", "_get_triggers_from_pack",
     "_register_triggers_from_pack", "register_triggers"),
    ("sensors", "sensorsregistrar", "SensorsRegistrar", "sensors", "_get_sensors_from_pack",
     "_register_sensors_from_pack", "register_sensors"),
    ("actions", "actionsregistrar", "ActionsRegistrar", "actions", "_get_actions_from_pack",
     "_register_actions_from_pack", "register_actions"),
    ("rules", "rulesregistrar", "RulesRegistrar", "rules", "_get_rules_from_pack",
     "_register_rules_from_pack", "register_rules"),
    ("policies", "policiesregistrar", "PolicyRegistrar", "policies", "_get_policies_from_pack",
     "_register_policies_from_pack", "register_policies"),
    ("aliases", "aliasesregistrar", "AliasesRegistrar", "aliases", "_get_aliases_from_pack",
     "_register_aliases_from_pack", "register_aliases"),
]  # fmt: skip


def _register_system_content():
    """What `st2ctl reload` registers before any pack: runners, rule types, policy types."""
    import st2common
    from st2common.bootstrap import policiesregistrar, runnersregistrar, ruletypesregistrar

    runnersregistrar.register_runners(fail_on_failure=True, experimental=False)
    ruletypesregistrar.register_rule_types()
    policiesregistrar.register_policy_types(st2common)


def check_registration(pack_path):
    """Register every resource with st2's registrars, fail_on_failure=True.

    `st2ctl reload` stops at the first failure of a kind; to report all of them each file is
    also registered on its own through the same registrar (its per-pack method with one file).
    """
    import importlib

    from st2common.bootstrap import configsregistrar

    _register_system_content()
    findings = []
    for kind, module, cls, folder, list_m, reg_m, public in REGISTRARS:
        mod = importlib.import_module("st2common.bootstrap." + module)
        kwargs = {"use_pack_cache": False, "fail_on_failure": True}
        if kind == "actions":
            kwargs["use_runners_cache"] = True
        registrar = getattr(mod, cls)(**kwargs)
        registrar.register_pack(pack_name=PACK, pack_dir=pack_path)
        content_dir = os.path.join(pack_path, folder)
        files = getattr(registrar, list_m)(content_dir) if os.path.isdir(content_dir) else []
        failed = 0
        for path in files:
            try:
                getattr(registrar, reg_m)(PACK, [path])
            except Exception as exc:  # pylint: disable=broad-except
                failed += 1
                rel = os.path.relpath(path, pack_path)
                findings.append(Finding(False, f"register {kind}: {rel}", _short(exc)))
        # The public entry point with fail_on_failure, as st2-register-content calls it.
        try:
            getattr(mod, public)(pack_dir=pack_path, fail_on_failure=True)
            verdict = None
        except Exception as exc:  # pylint: disable=broad-except
            verdict = exc
        if verdict is not None and not failed:
            findings.append(Finding(False, f"register {kind}", _short(verdict)))
        elif verdict is None and not failed:
            findings.append(Finding(True, f"register {kind}", f"{len(files)} registered"))
        elif verdict is None:
            findings.append(
                Finding(False, f"register {kind}", "per-file failures but the registrar passed")
            )
    findings += _check_references()
    try:
        count = configsregistrar.register_configs(
            pack_dir=pack_path, fail_on_failure=True, validate_configs=True
        )
        findings.append(Finding(count == 1, "register configs", f"{count} config registered"))
    except Exception as exc:  # pylint: disable=broad-except
        findings.append(Finding(False, "register configs", _short(exc)))
    return findings


def _check_references():
    """Registered policies, rules and aliases must name registered actions.

    StackStorm registers them without looking (a policy or rule on a missing action silently
    never applies), so an action that failed registration leaves them dangling.
    """
    from st2common.persistence.actionalias import ActionAlias
    from st2common.persistence.policy import Policy
    from st2common.persistence.rule import Rule
    from st2common.util import action_db as action_utils

    refs = [(f"policy {p.ref}", p.resource_ref) for p in Policy.query(pack=PACK)]
    refs += [(f"rule {r.ref}", r.action.ref) for r in Rule.query(pack=PACK)]
    refs += [(f"alias {a.ref}", a.action_ref) for a in ActionAlias.query(pack=PACK)]
    missing = [(what, ref) for what, ref in refs if not action_utils.get_action_by_ref(ref)]
    findings = [
        Finding(False, f"references: {what}", f"names unregistered action {ref}")
        for what, ref in missing
    ]
    if not missing:
        findings.append(
            Finding(True, "references", f"{len(refs)} policy/rule/alias action refs resolve")
        )
    return findings


# 2. Config loader -----------------------------------------------------------------------------


def secret_names(example_path):
    """The datastore keys `{{ st2kv.system.X }}` that the example config names."""
    with open(example_path, encoding="utf-8") as fh:
        return sorted(set(re.findall(r"st2kv\.system\.([A-Za-z0-9_.-]+)", fh.read())))


def _config_paths(values, prefix=""):
    if isinstance(values, dict):
        for key, value in values.items():
            yield from _config_paths(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(values, list):
        for index, value in enumerate(values):
            yield from _config_paths(value, f"{prefix}[{index}]")
    else:
        yield prefix, values


def store_example_secrets(example_path):
    """Store every st2kv item the example names as `st2 key set -e` would; returns the values."""
    from harness import store_secret

    plain = {name: f"sample-{name}-value" for name in secret_names(example_path)}
    for name, value in plain.items():
        store_secret(name, value)
    return plain


def check_config(example_path, plain):
    """Load the registered example config through ContentPackConfigLoader.

    Every st2kv item it names was stored the way `st2 key set -e` stores it (encrypted with the
    generated key, `store_example_secrets`); the loaded config must carry the plain values.
    """
    from st2common.util.config_loader import ContentPackConfigLoader

    with open(example_path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    try:
        config = ContentPackConfigLoader(pack_name=PACK, user="stanley").get_config()
    except Exception as exc:  # pylint: disable=broad-except
        detail = _short(exc)
        if any("decrypt_kv" in str(v) for _, v in _config_paths(raw)):
            detail += (
                " -- the example uses `{{ st2kv.system.X | decrypt_kv }}`: StackStorm's config"
                " loader already decrypts items whose schema property is `secret: true`, so"
                " decrypt_kv decrypts a second time; use `{{ st2kv.system.X }}` there"
            )
        return [Finding(False, "config loader: cloudops.yaml.example", detail)]
    findings = []
    loaded = dict(_config_paths(config))
    for path, value in _config_paths(raw):
        match = re.search(r"st2kv\.system\.([A-Za-z0-9_.-]+)", str(value))
        if match and loaded.get(path) != plain[match.group(1)]:
            findings.append(Finding(False, f"config loader: {path}", f"got {loaded.get(path)!r}"))
    names = ", ".join(plain) or "none"
    findings.append(
        Finding(not findings, "config loader: cloudops.yaml.example", f"st2kv items: {names}")
    )
    return findings


# 3. Python runner -----------------------------------------------------------------------------


def succeeded_with(*keys):
    """A judge of an execution: it succeeded with a result holding ``keys``."""

    def judge(live):
        result = (live.result or {}).get("result")
        if live.status == "succeeded" and isinstance(result, dict):
            if all(key in result for key in keys):
                return True, f"succeeded: {sorted(result)}"
        res = live.result or {}
        said = res.get("error") or res.get("stderr") or res.get("result") or res
        return False, f"status {live.status}: " + str(said)[-800:]

    return judge


def failed_saying(text):
    """A judge of an execution: it failed with a one-line error holding ``text``."""

    def judge(live):
        result = (live.result or {}).get("result")
        said = result.get("error", "") if isinstance(result, dict) else ""
        if live.status == "failed" and text in said and "Traceback" not in str(live.result):
            return True, f"failed as expected: {said}"
        return False, f"status {live.status}: {str(live.result)[-800:]}"

    return judge


def with_stderr_line(pattern, judge):
    """``judge``, and a line matching ``pattern`` in the execution's stderr (what StackStorm
    shows while an action runs and in `st2 execution get`)."""
    line = re.compile(pattern, re.M)

    def both(live):
        ok, detail = judge(live)
        stderr = str((live.result or {}).get("stderr") or "")
        found = line.search(stderr)
        if not found:
            return False, f"{detail}; no line matching {pattern!r} in stderr {stderr[-800:]!r}"
        return ok, f"{detail}; stderr has {found.group(0)!r}"

    return both


# (action, parameters, judge): hello touches nothing outside and logs one progress line (a
# runbook's progress must reach the stderr StackStorm shows); accounts.list reads the pack
# config (with the decrypted secrets) and touches nothing outside; an email notification with
# every Delivery parameter (the lib takes them as one dataclass the action runtime builds) gets
# as far as the cloud, which StackStorm's sandbox does not know.
SAMPLE_ACTIONS = [
    (
        "cloudops.hello",
        {"name": "StackStorm"},
        with_stderr_line(
            r"INFO workflows\.hello: hello StackStorm: greeted \(1 of 1, \d+\.\d s\)$",
            succeeded_with("greeting"),
        ),
    ),
    (
        "cloudops.accounts.list",
        {"kind": "all"},
        succeeded_with("smtp_accounts", "jira_accounts"),
    ),
    (
        "cloudops.email.ops.down.disabled.hypervisors",
        {
            "cloud_account": "st2stage-no-such-cloud",
            "smtp_account": "default",
            "cc": ["lead@example.org"],
            "dry_run": True,
            "override_email_address": "me@example.org",
            "preview_html": True,
        },
        failed_saying("cloud_account 'st2stage-no-such-cloud' is not a known cloud"),
    ),
    # a search: StackStorm passes its webhook parameters' defaults, the runtime takes them
    (
        "cloudops.server.search",
        {"cloud_account": "st2stage-no-such-cloud", "where": ["status == ACTIVE"]},
        failed_saying("cloud_account 'st2stage-no-such-cloud' is not a known cloud"),
    ),
    # a dry run renders without connecting; StackStorm validates it against the change result
    (
        "cloudops.email.test",
        {"to": ["ops@example.org"]},
        succeeded_with("changed", "dry_run", "objects"),
    ),
]


def setup_pack_venv(pack_path):
    """Build the pack virtualenv with st2's setup_pack_virtualenv, once per requirements.txt."""
    import hashlib

    from st2common.util.virtualenvs import setup_pack_virtualenv

    venv = os.path.join(cfg.CONF.system.base_path, "virtualenvs", PACK)
    stamp = os.path.join(venv, ".cloudops-requirements.sha")
    with open(os.path.join(pack_path, "requirements.txt"), "rb") as fh:
        want = hashlib.sha256(fh.read() + sys.executable.encode()).hexdigest()
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as fh:
            if fh.read() == want:
                return venv, "reused"
    start = time.monotonic()
    setup_pack_virtualenv(pack_name=PACK, update=False, no_download=True)
    with open(stamp, "w", encoding="utf-8") as fh:
        fh.write(want)
    return venv, f"created in {time.monotonic() - start:.0f}s"


def run_action(ref, parameters):
    """Request an execution and run it through st2's runner container (as st2actionrunner)."""
    from st2actions.container.base import get_runner_container
    from st2common.models.db.liveaction import LiveActionDB
    from st2common.persistence.liveaction import LiveAction
    from st2common.services import action as action_service

    liveaction = LiveActionDB(action=ref, parameters=parameters, context={"user": "stanley"})
    liveaction, _ = action_service.request(liveaction)
    get_runner_container().dispatch(liveaction)
    return LiveAction.get_by_id(str(liveaction.id))


def check_actions(pack_path):
    """Run sample actions through the python runner in the pack virtualenv."""
    try:
        _, how = setup_pack_venv(pack_path)
    except Exception as exc:  # pylint: disable=broad-except
        return [Finding(False, "pack virtualenv (setup_pack_virtualenv)", _short(exc))]
    findings = [Finding(True, "pack virtualenv (setup_pack_virtualenv)", how)]
    for ref, params, judge in SAMPLE_ACTIONS:
        try:
            live = run_action(ref, params)
        except Exception as exc:  # pylint: disable=broad-except
            findings.append(Finding(False, f"run {ref}", _short(exc)))
            continue
        ok, detail = judge(live)
        findings.append(Finding(ok, f"run {ref}", detail))
    return findings


# 4. Aliases -----------------------------------------------------------------------------------


def alias_samples(pack_path):
    """(alias name, sample) for every `extra.samples` entry of aliases/*.yaml (None: none)."""
    folder = os.path.join(pack_path, "aliases")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            alias = yaml.safe_load(fh)
        samples = ((alias.get("extra") or {}).get("samples")) or []
        if not samples:
            yield alias["name"], None
        for sample in samples:
            yield alias["name"], sample


def check_aliases(pack_path):
    """Each sample goes through st2api's match_and_execute: one alias, the documented params."""
    from st2api.controllers.v1.aliasexecution import ActionAliasExecutionController
    from st2common.models.api.action import AliasMatchAndExecuteInputAPI
    from st2common.models.db.auth import UserDB
    from st2common.persistence.actionalias import ActionAlias
    from st2common.util.actionalias_matching import match_command_to_alias

    controller = ActionAliasExecutionController()
    user = UserDB(name="stanley")
    findings = []
    for name, sample in alias_samples(pack_path):
        if sample is None:
            findings.append(Finding(False, f"alias {name}", "no extra.samples documented"))
            continue
        command = sample["command"]
        # As st2api's router hands it over: validated, with the schema's defaults.
        body = AliasMatchAndExecuteInputAPI(
            command=command, user="stanley", source_channel="chat"
        ).validate()
        try:
            response = controller.match_and_execute(body, requester_user=user)
            execution = response.json["results"][0]["execution"]
        except Exception as exc:  # pylint: disable=broad-except
            detail = _short(exc)
            if "more than 1 pattern" in detail:
                matches = match_command_to_alias(command, ActionAlias.query(enabled=True))
                detail += ": " + "; ".join(
                    f"{m['alias'].name} {m['representation']!r}" for m in matches
                )
            findings.append(Finding(False, f"alias {name}: {command!r}", detail))
            continue
        alias_ref = execution["context"].get("action_alias_ref", {}).get("name")
        params = execution["liveaction"]["parameters"]
        want = sample.get("parameters", {})
        ok = alias_ref == name and params == want
        detail = f"matched {alias_ref}, parameters {params}"
        if params != want:
            detail += f" (documented {want})"
        findings.append(Finding(ok, f"alias {name}: {command!r}", detail))
    return findings


# 5. Rules -------------------------------------------------------------------------------------


def check_rules(pack_path):
    """Fire each rule's sample trigger (rule_samples.yaml) through st2rulesengine's worker.

    The worker (TriggerInstanceDispatcher) creates the trigger instance and its trace and hands
    it to the RulesEngine (RulesMatcher, RuleEnforcer), as for a message from the bus.
    Rules shipped `enabled: false` are enabled in the stage's database so the engine considers
    them. The sample payload must satisfy the trigger type's payload_schema; the enforcement
    must succeed, i.e. st2 rendered the action parameters and accepted them against the
    action's schema (action_service.request validates them). st2api's webhooks controller is
    loaded first: at its start it registers the `core.st2.webhook` trigger type, as in
    production; the timer trigger types (`core.st2.CronTimer`...) are registered as
    st2timersengine registers them when it starts (St2Timer._register_timer_trigger_types).
    """
    import st2api.controllers.v1.webhooks  # noqa: F401  pylint: disable=unused-import
    from st2common.constants.triggers import TIMER_TRIGGER_TYPES
    from st2common.persistence.rule import Rule
    from st2common.services.triggers import add_trigger_models
    from st2common.validators.api.reactor import validate_trigger_payload

    add_trigger_models(list(TIMER_TRIGGER_TYPES.values()))

    samples = rule_samples()
    findings = []
    for name in sorted(os.listdir(os.path.join(pack_path, "rules"))):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(pack_path, "rules", name), encoding="utf-8") as fh:
            rule_name = yaml.safe_load(fh)["name"]
        what = f"rule {rule_name}"
        ref = f"{PACK}.{rule_name}"
        sample = samples.get(rule_name)
        if sample is None:
            findings.append(Finding(False, what, f"no sample payload in {RULE_SAMPLES}"))
            continue
        rule = Rule.query(ref=ref).first()
        if rule is None:
            findings.append(Finding(False, what, "not registered"))
            continue
        if not rule.enabled:
            rule.enabled = True
            Rule.add_or_update(rule)
        trigger = rule.trigger
        try:
            validate_trigger_payload(trigger, sample["payload"], throw_on_inexistent_trigger=True)
            # What st2rulesengine does with a trigger message from the bus.
            message = {"trigger": trigger, "payload": sample["payload"]}
            ok, detail = fire_rule(ref, message, sample.get("parameters"))
            if ok and "fires" in sample:
                ok, detail = cron_fires(rule.trigger, sample, detail)
            findings.append(Finding(ok, what, detail))
        except Exception as exc:  # pylint: disable=broad-except
            findings.append(Finding(False, what, _short(exc)))
    return findings


def cron_fires(trigger_ref, sample, detail):
    """Whether the rule's CronTimer, scheduled as st2timersengine schedules it (St2Timer
    `_add_job_to_scheduler`: apscheduler's CronTrigger, the parameters and their timezone),
    fires at the sample's `fires` times, the first after `fires_after`. Returns (ok, detail)."""
    import datetime

    import apscheduler.util as aps_utils
    from apscheduler.triggers.cron import CronTrigger
    from st2common.services.triggers import get_trigger_db_by_ref
    from st2common.util import date as date_utils

    cron = dict(get_trigger_db_by_ref(trigger_ref).parameters)
    cron["timezone"] = aps_utils.astimezone(cron.get("timezone"))
    schedule = CronTrigger(**cron)
    previous, now = None, date_utils.parse(sample["fires_after"])
    fires = []
    for _ in sample["fires"]:
        previous = schedule.get_next_fire_time(previous, now)
        fires.append(previous.isoformat())
        now = previous + datetime.timedelta(seconds=1)
    detail += f"; fires {', '.join(fires)}"
    if fires != sample["fires"]:
        return False, detail + f" (documented {sample['fires']})"
    return True, detail


def rule_samples():
    """The rule samples of rule_samples.yaml by rule name."""
    with open(RULE_SAMPLES, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def fire_rule(ref, message, want):
    """Hand a trigger ``message`` to st2rulesengine's worker; rule ``ref`` must match it and
    its enforcement succeed with the parameters ``want`` (None: any). Returns (ok, detail)."""
    from st2common.persistence.execution import ActionExecution
    from st2common.persistence.rule_enforcement import RuleEnforcement
    from st2reactor.rules.worker import TriggerInstanceDispatcher

    worker = TriggerInstanceDispatcher(connection=None, queues=[])
    instance = worker.pre_ack_process(message)["trigger_instance"]
    worker.process({"trigger_instance": instance, "message": message})
    mine = [
        e for e in RuleEnforcement.query(trigger_instance_id=str(instance.id))
        if e.rule.ref == ref
    ]  # fmt: skip
    if not mine:
        return False, "the engine did not match the sample"
    enforcement = mine[0]
    if enforcement.status != "succeeded":
        return False, f"enforcement failed: {enforcement.failure_reason}"
    execution = ActionExecution.get_by_id(enforcement.execution_id)
    params = execution.liveaction["parameters"]
    detail = f"{execution.action['ref']} {params}"
    if want is not None and params != want:
        return False, detail + f" (documented {want})"
    return True, detail


# 6. Sensors -----------------------------------------------------------------------------------


def sensor_commands(pack_path):
    """The command and environment st2's ProcessSensorContainer spawns each sensor with.

    Taken from the container itself (its Popen is intercepted), with the poll interval set to
    1 s and the wrapper script started through sensor_child.py, which installs the harness in
    the child before it runs st2's sensor_wrapper.py as __main__.
    """
    from unittest import mock

    from st2reactor.container import process_container
    from st2reactor.container.manager import SensorContainerManager
    from st2reactor.container.partitioner_lookup import get_sensors_partitioner

    # What st2sensorcontainer runs: its partitioner's sensors, as the manager hands them over.
    manager = SensorContainerManager(sensors_partitioner=get_sensors_partitioner())
    sensors = []
    for sensor_db in manager._sensors_partitioner.get_sensors():
        sensor = manager._to_sensor_object(sensor_db)
        sensor["poll_interval"] = 1
        sensors.append(sensor)
    spawned = []

    def fake_popen(args, env, **_kwargs):
        spawned.append((args, env))
        return mock.Mock(pid=0)

    container = process_container.ProcessSensorContainer(sensors=sensors)
    with mock.patch.object(process_container.subprocess, "Popen", fake_popen):
        with mock.patch.object(container, "_dispatch_trigger_for_sensor_spawn"):
            for sensor in sensors:
                container._spawn_sensor_process(sensor)  # pylint: disable=protected-access
    return list(zip(sensors, spawned))


def _child_env(env, clouds_yaml=None):
    """The container's environment with `clouds_yaml` (default: an empty one, no cloud)."""
    env = dict(env)
    empty = os.path.join(cfg.CONF.system.base_path, "clouds-empty.yaml")
    env["OS_CLIENT_CONFIG_FILE"] = clouds_yaml or empty
    env.pop("OS_CLOUD", None)  # it would replace the cloud the config names
    env["PYTHONUNBUFFERED"] = "1"  # the log must survive the terminate at the end
    return env


def _dispatches(text):
    """The pack's triggers the sensor child reported dispatching (sensor_child.py), in order
    (not st2's own, e.g. the datastore writes of the child's setup)."""
    # Anywhere on the line: once running, the wrapper logs the child's stderr as ERROR records.
    return re.findall(rf"ST2STAGE dispatch ({PACK}\.\S+) (.*)$", text, re.M)


def _last_error(text):
    """The sensor's last error line. The wrapper logs stderr one write per record, so a
    traceback arrives in fragments ("binascii", ".", "Error", ": ", "...", "")."""
    raised = [ln for ln in text.splitlines() if "run method raised an exception" in ln]
    if raised:
        return raised[0].split("[-] ", 1)[-1]
    lines, current = [], []
    for line in text.splitlines():
        match = re.match(r"^\S+ \S+ ERROR \[-\] ?(.*)$", line)
        if not match:
            continue
        if match.group(1).strip():
            current.append(match.group(1))
        elif current:
            lines.append("".join(current))
            current = []
    lines += ["".join(current)] if current else []
    return lines[-1] if lines else " | ".join(text.strip().splitlines()[-3:])


def _polls(log):
    with open(log, encoding="utf-8", errors="replace") as fh:
        return fh.read().count("ST2STAGE poll")


def check_sensors(pack_path, example_path, clouds_yaml=None, must_dispatch=()):
    """Each sensor runs in st2's sensor wrapper for a few polls and must stay alive.

    `clouds_yaml`: the clouds the sensors reach (default none); the sensors whose class names
    are in `must_dispatch` must also have dispatched a trigger (to the bus) by then.
    """
    with open(os.path.join(cfg.CONF.system.base_path, "clouds-empty.yaml"), "w") as fh:
        fh.write("clouds: {}\n")
    try:
        commands = sensor_commands(pack_path)
    except Exception as exc:  # pylint: disable=broad-except
        return [Finding(False, "sensor container", _short(exc))]
    logs = os.path.join(
        cfg.CONF.system.base_path, "sensor-logs-live" if clouds_yaml else "sensor-logs"
    )
    os.makedirs(logs, exist_ok=True)
    running = []
    for sensor, (args, env) in commands:
        env = _child_env(env, clouds_yaml)
        env["ST2STAGE_WRAPPER"] = args[1]
        env["ST2STAGE_EXAMPLE"] = example_path
        log = os.path.join(logs, sensor["class_name"] + ".log")
        with open(log, "wb") as out:
            child = [args[0], os.path.join(HERE, "sensor_child.py")] + args[2:]
            proc = subprocess.Popen(  # pylint: disable=consider-using-with
                child, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        running.append((sensor, proc, log))
    deadline = time.monotonic() + SENSOR_TIMEOUT
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if all(proc.poll() is not None or _polls(log) > SENSOR_POLLS for _, proc, log in running):
            break
    findings = []
    for sensor, proc, log in running:
        code = proc.poll()
        if code is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        with open(log, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        polls = text.count("ST2STAGE poll")
        raised = "run method raised an exception" in text
        sent = _dispatches(text)
        wanted = sensor["class_name"] in must_dispatch
        # Alive after SENSOR_POLLS polls: the next one has started and nothing was raised.
        if code is None and polls > SENSOR_POLLS and not raised and (sent or not wanted):
            detail = f"alive after {polls - 1} polls"
            if clouds_yaml:
                triggers = sorted({ref for ref, _ in sent})
                detail += f", {len(sent)} trigger(s) dispatched {', '.join(triggers)}".rstrip()
            findings.append(Finding(True, f"sensor {sensor['class_name']}", detail))
        elif code is None and polls > SENSOR_POLLS and not raised:
            refused = re.findall(r"\[-\] (Trigger payload validation failed.*)$", text, re.M)
            findings.append(
                Finding(
                    False,
                    f"sensor {sensor['class_name']}",
                    f"alive after {polls - 1} polls but dispatched no trigger"
                    + (f"; st2: {refused[0][:400]}" if refused else "")
                    + f" (log {os.path.relpath(log)})",
                )
            )
        else:
            tail = _last_error(text)
            state = "alive" if code is None else f"died (exit {code})"
            state = "run() raised, wrapper exiting" if raised and code is None else state
            findings.append(
                Finding(
                    False,
                    f"sensor {sensor['class_name']}",
                    f"{state} after {polls} polls: {tail} (log {os.path.relpath(log)})",
                )
            )
    return findings


# 7. Orquesta workflows ---------------------------------------------------------------------


def check_workflows(pack_path):
    """Inspect every orquesta workflow as st2's workflow service does, then conduct it.

    Conducting: each scenario of WORKFLOW_SAMPLES runs the workflow action through the runner
    container (orquesta runner -> workflow_service.request) with st2's workflow engine
    attached to the bus (harness.BUS). Child action executions are not run: each one the
    engine requests is completed with the scenario's documented result for its task (per item
    for with-items tasks) and its update goes back to the engine, which applies post-run
    policies and requests the next tasks, until the workflow completes. The final status and
    output must be the scenario's.
    """
    from orquesta.specs import loader as specs_loader
    from st2common.persistence.action import Action
    from st2common.services import workflows as workflow_service

    with open(WORKFLOW_SAMPLES, encoding="utf-8") as fh:
        samples = yaml.safe_load(fh) or {}
    findings = []
    for action in Action.query(pack=PACK, runner_type__name="orquesta"):
        path = os.path.join(pack_path, "actions", action.entry_point)
        with open(path, encoding="utf-8") as fh:
            wf_def = fh.read()
        try:
            spec = specs_loader.get_spec_module("native").instantiate(wf_def)
            errors = workflow_service.inspect(spec, {}, raise_exception=False)
        except Exception as exc:  # pylint: disable=broad-except
            findings.append(Finding(False, f"workflow {action.ref}", _short(exc)))
            continue
        detail = "; ".join(f"{e.get('spec_path')}: {e['message']}" for e in errors)
        findings.append(Finding(not errors, f"workflow {action.ref}", detail or "inspected"))
        scenarios = samples.get(action.ref) or []
        if not scenarios:
            findings.append(
                Finding(False, f"workflow {action.ref}", f"no scenario in {WORKFLOW_SAMPLES}")
            )
        for scenario in scenarios:
            what = f"workflow {action.ref} conducted: {scenario['name']}"
            try:
                findings.append(Finding(*_conduct(action.ref, scenario, what)))
            except Exception as exc:  # pylint: disable=broad-except
                findings.append(Finding(False, what, _short(exc)))
    # A workflow file whose action failed registration: say so, and still inspect its spec.
    registered = {a.entry_point for a in Action.query(pack=PACK, runner_type__name="orquesta")}
    folder = os.path.join(pack_path, "actions", "workflows")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not name.endswith(".yaml") or f"workflows/{name}" in registered:
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            spec = specs_loader.get_spec_module("native").instantiate(fh.read())
        errors = workflow_service.format_inspection_result(spec.inspect(raise_exception=False))
        detail = "; ".join(e["message"] for e in errors) or "orquesta inspection passes"
        findings.append(
            Finding(False, f"workflow actions/workflows/{name}", f"no registered action; {detail}")
        )
    return findings


def _conduct(ref, scenario, what):
    """Run one scenario; returns (ok, what, detail)."""
    from harness import BUS
    from st2actions.container.base import get_runner_container
    from st2actions.workflows import workflows
    from st2common.constants import action as ac_const
    from st2common.models.db.liveaction import LiveActionDB
    from st2common.persistence.execution import ActionExecution
    from st2common.persistence.liveaction import LiveAction
    from st2common.persistence.workflow import WorkflowExecution
    from st2common.services import action as action_service
    from st2common.services import executions as execution_service
    from st2common.util import action_db as action_utils

    BUS.detach_all()
    BUS.attach(workflows.WORKFLOW_EXECUTION_QUEUES, workflows.get_engine())
    try:
        live = LiveActionDB(action=ref, parameters=scenario["input"], context={"user": "stanley"})
        live, parent = action_service.request(live)
        get_runner_container().dispatch(live)
        calls = {}
        trail = []
        for _ in range(500):
            BUS.deliver()
            wf_ex = WorkflowExecution.query(action_execution=str(parent.id)).first()
            if wf_ex is None or wf_ex.status in ac_const.LIVEACTION_COMPLETED_STATES:
                break
            waiting = [
                c
                for c in ActionExecution.query(workflow_execution=str(wf_ex.id))
                if c.status not in ac_const.LIVEACTION_COMPLETED_STATES
            ]
            if not waiting:
                break
            for child in sorted(waiting, key=_task_order):
                task = child.context["orquesta"]["task_name"]
                outcome = _outcome(scenario, task, child, calls)
                if outcome is None:
                    return False, what, f"no documented result for task {task!r}"
                status = outcome.get("status", "succeeded")
                trail.append(f"{task}:{status}")
                result = {
                    "result": outcome.get("result"),
                    "exit_code": 0 if status == "succeeded" else 1,
                    "stdout": "",
                    "stderr": "",
                }
                done = action_utils.update_liveaction_status(
                    status=status,
                    result=result,
                    liveaction_id=child.liveaction["id"],
                    publish=False,
                )
                execution_service.update_execution(done, publish=True)
        live = LiveAction.get_by_id(str(live.id))
    finally:
        BUS.detach_all()
    result = live.result or {}
    output = result.get("output")
    ok = live.status == scenario.get("status", "succeeded")
    ok = ok and ("output" not in scenario or output == scenario["output"])
    detail = f"{live.status} after {' '.join(trail) or 'no tasks'}; output {output}"
    if not ok:
        errors = result.get("errors") or result.get("error")
        detail += f"; errors {errors}" if errors else ""
        detail += f" (documented {scenario.get('status', 'succeeded')}, {scenario.get('output')})"
    return ok, what, detail


def _task_order(child):
    ctx = child.context["orquesta"]
    return ctx["task_name"], ctx.get("item_id") or 0


def _outcome(scenario, task, child, calls):
    """The documented result of this task (item), or None."""
    outcomes = (scenario.get("tasks") or {}).get(task)
    if outcomes is None:
        return None
    if isinstance(outcomes, dict):
        return outcomes
    item = child.context["orquesta"].get("item_id")
    index = item if item is not None else calls.get(task, 0)
    calls[task] = calls.get(task, 0) + 1
    return outcomes[min(index, len(outcomes) - 1)]
