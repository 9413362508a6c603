"""The live maintenance-chain checks: compute2 carried through the chain by StackStorm.

  live-chain         compute2 (holding two of this run's servers) reports an uptime of 200
                     days; then, with the four chain rules enabled, each poll of the
                     hypervisor state sensor (its lib, `live_cloud.py poll`) hands compute2's
                     state change to st2's rules engine worker (TriggerInstanceDispatcher, as
                     in the `rules` check), and the execution the rule enforced is run by st2's
                     scheduler and action runner (`live.pump`): PENDING_MAINTENANCE -> drain,
                     DRAINED -> patch.reboot (silence in Alertmanager, downtime in Icinga2, the
                     patch and reboot scripts over SSH on the real sshd; the reboot script
                     writes the boot time "now" into the devcloud's uptime file of compute2),
                     REBOOTED -> post.reboot (test server, enable, silence and downtime
                     lifted). Checked: each step's execution succeeded, the scripts ran, the
                     silence and downtime existed after patch.reboot and are lifted at the end,
                     compute2 is enabled, ops got exactly one email ("finished"). It starts
                     from uptime: compute2 reports 200 days -> DUE_FOR_MAINTENANCE ->
                     maintenance.start (rule) emails the users of its servers and disables it.
  live-chain-faults  the same chain with a failure injected at each step - compute1 disabled
                     (nova finds no host for the migrations), a patch script that exits 100, a
                     test image that does not exist - each leaving compute2 disabled for
                     maintenance, silenced and in downtime, the execution failed naming the
                     step and one ops email "stopped at <step>"; after each fix
                     cloudops.hypervisor.maintenance.resume (run through StackStorm) continues
                     from there and the rules carry on, until compute2 is enabled and ops got
                     the "finished" email.

The peers are started by `live_peers.py` in the test virtualenv (.venv: aiosmtpd and the
integration suite's peers). Afterwards, whatever happened: this run's servers are deleted,
compute2 is enabled, the seed's servers on compute2 (shelved and offloaded for the check:
their zone has no other host, so nova cannot migrate them) are unshelved onto it again and
compute2's uptime file is removed (no uptime, the devcloud's default).
"""

import json
import os
import subprocess
import tempfile
import time

import yaml
from oslo_config import cfg

from checks import Finding, _short, setup_pack_venv
from harness import PACK
from live import _cloud, pump, st2_services

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HOST, OTHER = "compute2", "compute1"
RULES = (
    "hypervisor_drain_when_pending_maintenance",
    "hypervisor_maintenance_start_when_due",
    "hypervisor_patch_reboot_when_drained",
    "hypervisor_post_reboot_when_rebooted",
)
OPS = "cloud-ops@example.org"
STEP_TIMEOUT = 900
OLD_UPTIME_DAYS = 200
GOOD_IMAGE, BAD_IMAGE = "seed-cirros", "st2stage-no-such-image"


class Peers:
    """live_peers.py running: the config sections for the peers, and its commands."""

    def __init__(self, state_dir, uptime_file):
        python = os.path.join(ROOT, ".venv", "bin", "python")
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [python, os.path.join(HERE, "live_peers.py"), state_dir, HOST, uptime_file],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=30)
            raise RuntimeError(f"live_peers.py exited {self.proc.returncode} before its config")
        self.config = json.loads(line)

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _write_config(config_path, peers, test_image):
    """The live config with the peers' accounts, the chain's settings, all servers drained."""
    with open(config_path, encoding="utf-8") as fh:
        config = yaml.safe_load(fh)
    extra = dict(peers.config)
    ssh_host = extra.pop("ssh_host")
    extra.pop("fail_patch_marker")
    config.update(extra)
    config["ops_mailing_list"] = OPS
    config["migration"]["skip_name_patterns"] = ["^amphora-"]
    config["hypervisor_maintenance"] = {
        "patch_script": "chain-patch",
        "reboot_script": "chain-reboot",
        "comment": "st2stage live chain",
        "test_image": test_image,
        "test_flavors": ["seed.small"],
        "icinga_account": "default",
        "ssh_host": ssh_host,
    }
    path = os.path.join(cfg.CONF.system.base_path, "cloudops-chain.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(config, fh)
    return path


def _install(pack_path, path):
    """Make `path` the pack's registered config (the runner reads it for each execution)."""
    from st2common.bootstrap import configsregistrar

    import harness

    harness.install_config(path)
    configsregistrar.register_configs(
        pack_dir=pack_path, fail_on_failure=True, validate_configs=True
    )


def _enable_rules():
    from st2common.persistence.rule import Rule

    for name in RULES:
        rule = Rule.query(ref=f"{PACK}.{name}").first()
        rule.enabled = True
        Rule.add_or_update(rule)


def _set_uptime(uptime_file, days):
    """compute2 booted `days` ago (None: no uptime, the devcloud's default), with
    `devcloud.sh uptime` (it writes `uptime_file`)."""
    script = os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(uptime_file))), "devcloud.sh"
    )
    subprocess.run(
        [script, "uptime", HOST, "clear" if days is None else str(days)],
        check=True,
        capture_output=True,
        timeout=60,
    )


class Chain:
    """One run of the chain on compute2: polls, rule-fired steps, what the peers saw."""

    def __init__(self, pack_path, clouds_path, cloud, peers):
        self.pack_path, self.clouds_path, self.cloud, self.peers = (
            pack_path,
            clouds_path,
            cloud,
            peers,
        )
        self.states = _cloud(clouds_path, cloud, "poll", "{}")["states"]

    def poll(self):
        """compute2's state change since the last poll (None: none)."""
        found = _cloud(self.clouds_path, self.cloud, "poll", json.dumps(self.states))
        self.states = found["states"]
        mine = [p for p in found["payloads"] if p["name"] == HOST]
        return {**mine[0], "cloud_account": self.cloud} if mine else None

    def fire(self, payload):
        """Hand the state change to st2's rules engine and run what it enforced."""
        from st2common.persistence.execution import ActionExecution
        from st2common.persistence.liveaction import LiveAction
        from st2common.persistence.rule import Rule
        from st2common.persistence.rule_enforcement import RuleEnforcement
        from st2reactor.rules.worker import TriggerInstanceDispatcher

        trigger = Rule.query(ref=f"{PACK}.{RULES[0]}").first().trigger
        worker = TriggerInstanceDispatcher(connection=None, queues=[])
        with st2_services() as scheduler:
            message = {"trigger": trigger, "payload": payload}
            instance = worker.pre_ack_process(message)["trigger_instance"]
            worker.process({"trigger_instance": instance, "message": message})
            enforced = [
                e
                for e in RuleEnforcement.query(trigger_instance_id=str(instance.id))
                if e.execution_id
            ]
            if len(enforced) != 1:
                return None, [e.rule.ref for e in enforced]
            execution = ActionExecution.get_by_id(enforced[0].execution_id)
            live = LiveAction.get_by_id(execution.liveaction["id"])
            live = pump(scheduler, live, execution, STEP_TIMEOUT)[0]
            return live, enforced[0].rule.ref

    def resume(self):
        """cloudops.hypervisor.maintenance.resume, as an operator runs it, through st2."""
        from live import run_through_st2

        parameters = {"cloud_account": self.cloud, "hypervisor": HOST, "dry_run": False}
        return run_through_st2("cloudops.hypervisor.maintenance.resume", parameters, STEP_TIMEOUT)[
            0
        ]

    def held(self):
        """(ok, detail): compute2 disabled for maintenance, a live silence, a downtime."""
        state = self.states.get(HOST)
        silences = [s for s in self.peers.ask(f"silences {HOST}") if s["state"] == "active"]
        downtimes = self.peers.ask(f"downtimes {HOST}")
        ok = state in ("PENDING_MAINTENANCE", "DRAINED", "REBOOTED") and silences and downtimes
        return bool(ok), f"state {state}, {len(silences)} silence(s), {len(downtimes)} downtime(s)"


def _step(chain, want_state, want_status, step):
    """Poll, check compute2 reached `want_state`, fire it, check the execution's status."""
    payload = chain.poll()
    what = f"{want_state} -> {step} (rule via st2's rules engine)"
    if payload is None or payload["current"] != want_state:
        return None, Finding(False, what, f"the poll found {payload} (states {chain.states})")
    start = time.monotonic()
    live, rule = chain.fire(payload)
    if live is None:
        return None, Finding(False, what, f"enforcements with an execution: {rule}")
    result = live.result or {}
    output = result.get("result") or {}
    detail = f"{rule}: {live.status} in {time.monotonic() - start:.0f}s"
    if live.status != want_status:
        servers = ((output.get("report") or {}).get("step_report") or {}).get("servers") or []
        why = [f"{e.get('name')}: {e.get('reason')}" for e in servers if e.get("reason")]
        detail += f" (want {want_status}): {str(output.get('error') or result)[-600:]} {why}"
    elif want_status == "failed":
        detail += f": {str(output.get('error'))[:300]}"
    return live, Finding(live.status == want_status, what, detail)


def _mails(peers, since):
    return [m for m in peers.ask("mails")[since:] if OPS in m["to"]]


def _finished(chain, findings):
    """compute2 enabled, silences expired, no downtime."""
    chain.poll()
    silences = chain.peers.ask(f"silences {HOST}")
    downtimes = chain.peers.ask(f"downtimes {HOST}")
    on = _cloud(chain.clouds_path, chain.cloud, "on", HOST)
    ok = chain.states.get(HOST) in ("EMPTY", "RUNNING") and not downtimes
    ok = ok and silences and all(s["state"] == "expired" for s in silences)
    detail = (
        f"state {chain.states.get(HOST)}, {len(on)} server(s) on it, silences "
        f"{[s['state'] for s in silences]}, downtimes {downtimes}"
    )
    findings.append(Finding(bool(ok), "enabled again; silence and downtime lifted", detail))


def _start(chain, findings, uptime_file, mails_before):
    """compute2 up 200 days: DUE_FOR_MAINTENANCE -> maintenance.start emails its users and
    disables it for maintenance."""
    _set_uptime(uptime_file, OLD_UPTIME_DAYS)
    live, finding = _step(chain, "DUE_FOR_MAINTENANCE", "succeeded", "maintenance.start")
    findings.append(finding)
    if not finding.ok:
        return False
    output = (live.result or {}).get("result") or {}
    users = [m for m in chain.peers.ask("mails")[mails_before:] if OPS not in m["to"]]
    findings.append(
        Finding(
            bool(users) and not _mails(chain.peers, mails_before),
            "users emailed before the drain (maintenance.start), ops not yet",
            f"{[(m['to'], m['subject']) for m in users]}; "
            f"{output.get('affected_servers')} server(s) affected, "
            f"without email {output.get('users_without_email')}",
        )
    )
    return True


def _run_clean(chain, findings, marker_dir):
    for state, step in (
        ("PENDING_MAINTENANCE", "drain"),
        ("DRAINED", "patch.reboot"),
        ("REBOOTED", "post.reboot"),
    ):
        live, finding = _step(chain, state, "succeeded", step)
        findings.append(finding)
        if not finding.ok:
            return
        if step == "patch.reboot":
            ok, detail = chain.held()
            output = (live.result or {}).get("result") or {}
            ran = (output.get("step_result") or {}).get("patch", {}).get("stdout_tail")
            findings.append(
                Finding(ok, "after patch.reboot: silence and downtime in place", detail)
            )
            findings.append(
                Finding(ran == "3 packages upgraded\n", "patch script ran over SSH", repr(ran))
            )
    del marker_dir
    _finished(chain, findings)


def _check_stop(chain, findings, live, step, mails_before):
    output = (live.result or {}).get("result") or {}
    error = str(output.get("error"))
    ok, detail = chain.held()
    mails = _mails(chain.peers, mails_before)
    findings.append(
        Finding(
            f"stopped at step {step}" in error and (output.get("report") or {}).get("step") == step,
            f"{step} failure: the result names the step",
            error[:200],
        )
    )
    findings.append(Finding(ok, f"{step} failure: host held", detail))
    subjects = [m["subject"] for m in mails]
    findings.append(
        Finding(
            len(mails) == 1 and f"stopped at {step}" in subjects[0],
            f"{step} failure: one ops email",
            str(subjects),
        )
    )


def _resume(chain, findings, step):
    start = time.monotonic()
    live = chain.resume()
    output = (live.result or {}).get("result") or {}
    findings.append(
        Finding(
            live.status == "succeeded" and output.get("step") == step,
            f"cloudops.hypervisor.maintenance.resume after the {step} fix",
            f"{live.status} in {time.monotonic() - start:.0f}s: step {output.get('step')} from "
            f"{output.get('resumed_from') or output.get('state')} "
            f"{str(output.get('error') or '')[-600:]}",
        )
    )
    return live.status == "succeeded"


def _run_faults(chain, findings, pack_path, peers, config_path, prefix):
    """Each step fails once (injected before it), is fixed and resumed; then it finishes."""
    marker = peers.config["fail_patch_marker"]

    def fix_drain_break_patch():
        _cloud(chain.clouds_path, chain.cloud, "cleanup", prefix + "none", OTHER)
        with open(marker, "w", encoding="ascii") as fh:
            fh.write("injected by st2stage\n")

    def fix_patch_break_post():
        os.remove(marker)
        _install(pack_path, _write_config(config_path, peers, BAD_IMAGE))

    def fix_post():
        _install(pack_path, _write_config(config_path, peers, GOOD_IMAGE))

    # drain: compute1, the only other host, is disabled: nova finds no host for the servers
    _cloud(chain.clouds_path, chain.cloud, "disable", OTHER, "st2stage: injected drain failure")
    for state, step, fix in (
        ("PENDING_MAINTENANCE", "drain", fix_drain_break_patch),
        ("DRAINED", "patch.reboot", fix_patch_break_post),
        ("REBOOTED", "post.reboot", fix_post),
    ):
        mails = len(peers.ask("mails"))
        live, finding = _step(chain, state, "failed", step)
        findings.append(finding)
        if not finding.ok:
            return
        _check_stop(chain, findings, live, step, mails)
        fix()
        mails = len(peers.ask("mails"))
        if not _resume(chain, findings, step):
            return
    _finished(chain, findings)
    subjects = [m["subject"] for m in _mails(peers, mails)]
    findings.append(
        Finding(
            len(subjects) == 1 and "finished" in subjects[0], "one ops email: finished", subjects
        )
    )


def check_live_chain(pack_path, config_path, clouds_path, cloud, devcloud_dir, prefix, faults):
    """Run the chain on compute2 (see module doc); `faults`: with a failure at each step."""
    try:
        setup_pack_venv(pack_path)
    except Exception as exc:  # pylint: disable=broad-except
        return [Finding(False, "pack virtualenv (setup_pack_virtualenv)", _short(exc))]
    uptime_file = os.path.join(devcloud_dir, "run", "uptime", HOST)
    findings, seed, peers = [], [], None
    state_dir = tempfile.mkdtemp(prefix="st2chain-")
    try:
        peers = Peers(state_dir, uptime_file)
        _install(pack_path, _write_config(config_path, peers, GOOD_IMAGE))
        _enable_rules()
        _set_uptime(uptime_file, None)
        seed = [s["id"] for s in _cloud(clouds_path, cloud, "on", HOST)]
        boots = {f"host:{HOST}": [prefix + "a", prefix + "b"]}
        booted = []
        for where, names in boots.items():
            booted += _cloud(clouds_path, cloud, "boot", where, *names)
        findings.append(
            Finding(True, "boot", f"{[s['name'] for s in booted]}; {len(seed)} seed server(s)")
        )
        chain = Chain(pack_path, clouds_path, cloud, peers)
        mails = len(peers.ask("mails"))
        if not _start(chain, findings, uptime_file, mails):
            return findings  # pylint: disable=lost-exception
        # after their users were told: the seed's servers cannot leave compute2's zone
        _cloud(clouds_path, cloud, "shelve", *seed)
        mails = len(peers.ask("mails"))
        if faults:
            _run_faults(chain, findings, pack_path, peers, config_path, prefix)
        else:
            _run_clean(chain, findings, state_dir)
            subjects = [m["subject"] for m in _mails(peers, mails)]
            findings.append(
                Finding(
                    len(subjects) == 1 and "finished" in subjects[0],
                    "one ops email: finished",
                    str(subjects),
                )
            )
    except Exception as exc:  # pylint: disable=broad-except
        findings.append(Finding(False, "live chain", _short(exc)))
    finally:
        findings += _clean_up(clouds_path, cloud, prefix, seed, uptime_file, peers)
    return findings


def _clean_up(clouds_path, cloud, prefix, seed, uptime_file, peers):
    findings = []
    try:
        done = _cloud(clouds_path, cloud, "cleanup", prefix, HOST)
        back = _cloud(clouds_path, cloud, "unshelve", *seed) if seed else {"unshelved": []}
        hosts = sorted({s["host"] for s in back["unshelved"]})
        detail = (
            f"deleted {sorted(done['deleted'])}, enabled again {done['enabled']}, "
            f"{len(back['unshelved'])} seed server(s) unshelved (on {hosts})"
        )
        findings.append(Finding(True, "clean up", detail))
    except Exception as exc:  # pylint: disable=broad-except
        findings.append(Finding(False, "clean up", _short(exc)))
    try:
        _cloud(clouds_path, cloud, "cleanup", prefix, OTHER)  # the drain fault disables it
    except Exception as exc:  # pylint: disable=broad-except
        findings.append(Finding(False, f"clean up: enable {OTHER}", _short(exc)))
    _set_uptime(uptime_file, None)
    if peers is not None:
        peers.stop()
    return findings
