"""The real-StackStorm stage: the pack checked by StackStorm 3.9.0's own code.

Run by `./run_tests.sh --st2` (and in the default and `--unit` runs) with `.st2venv/bin/python`,
the venv `setup_st2_venv` (scripts/setup_env.sh) builds from `../shared/stackstorm/`:

    .st2venv/bin/python st2stage/run.py [--pack-dir DIR] [--only CHECK ...]

Checks, in order (all share one in-memory database; see checks.py and harness.py):
  register   every action, workflow, sensor, trigger, rule, policy, alias and the config,
             fail_on_failure, every failure reported; policies, rules and aliases must
             name registered actions
  config     cloudops.yaml.example through ContentPackConfigLoader, st2kv items encrypted
  actions    cloudops.hello, cloudops.accounts.list, an email notification (its Delivery
             parameters) and a search (its webhook parameters) through the python runner, in a pack
             virtualenv built by st2's setup_pack_virtualenv (kept under build/st2/base)
  aliases    every alias's `extra.samples` through st2api's match_and_execute
  rules      every rule fired through st2reactor's RulesEngine (st2stage/rule_samples.yaml);
             a CronTimer rule's fire times as st2timersengine's scheduler computes them
  webhooks   st2api's WSGI app (auth on, an API key) on a local port: the pack's action runtime
             posts a search's rows to webhook server-migrate, st2api dispatches the
             core.st2.webhook trigger, which fires server_migrate_from_webhook (its sample's
             payload and parameters); an unknown webhook and a wrong key fail in one line
  sensors    every sensor in st2's sensor wrapper, sensor container path, no cloud, alive
             after 3 polls (1 s apart)
  workflows  every orquesta workflow inspected by st2's workflow service, then conducted by
             st2's workflow engine with the documented child results of
             st2stage/workflow_samples.yaml

Live mode, against a running cloud (the devcloud in `./run_tests.sh`'s integration phase):

    .st2venv/bin/python st2stage/run.py --live --clouds-yaml PATH --cloud NAME

registers the pack with a config pointing at cloud NAME of that clouds.yaml (st2stage/live.py
`write_live_config`) and runs, instead of the checks above:
  live-sensors  every sensor as in `sensors`, the cloud reachable: alive after 3 polls, and the
                hypervisor and router gateway sensors must have dispatched triggers
  live-drain    servers booted on compute2 and drained by cloudops.hypervisor.drain.workflow
                run by st2's scheduler (policies), action runner (python runner for every
                child) and workflow engine: 2 servers must move to compute1; then with one
                server pinned to compute2's zone the workflow must fail and report one moved,
                one failed; servers are deleted and compute2 enabled again after each
  live-chain    the maintenance chain on compute2 through st2's rules engine and action runner,
                with real Alertmanager, Icinga2, sshd and SMTP (live_chain.py)
  live-chain-faults  the same with a failure injected at each step, each fixed and resumed

Exit status 1 when any check fails. `--pack-dir` checks another copy of the pack (e.g. a
patched one in a temp folder); the default is this checkout.
"""

# pylint: disable=wrong-import-position
import argparse
import logging
import os
import sys
import time
import traceback

import harness  # first: monkey-patches like st2's entry points

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKS = ["register", "config", "actions", "aliases", "rules", "webhooks", "sensors", "workflows"]
LIVE_CHECKS = ["register", "live-sensors", "live-drain", "live-chain", "live-chain-faults"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pack-dir", default=ROOT)
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build", "st2"))
    parser.add_argument("--only", nargs="+", choices=CHECKS + LIVE_CHECKS)
    parser.add_argument("--verbose", action="store_true", help="show st2's own log output")
    parser.add_argument("--live", action="store_true", help="the live checks, on --cloud")
    parser.add_argument("--clouds-yaml", help="live: the clouds.yaml naming the cloud")
    parser.add_argument("--cloud", help="live: the cloud (admin credentials)")
    args = parser.parse_args(argv)
    if args.live and not (args.clouds_yaml and args.cloud):
        parser.error("--live needs --clouds-yaml and --cloud")
    order = LIVE_CHECKS if args.live else CHECKS
    args.only = args.only or order
    if set(args.only) - set(order):
        parser.error(
            f"{sorted(set(args.only) - set(order))} not in {'live' if args.live else 'no-cloud'} mode"
        )

    harness.install()
    pack_path = harness.configure(args.pack_dir, args.build_dir)
    if not args.verbose:
        logging.disable(1000)  # st2's AUDIT level is above CRITICAL
    import checks  # after configure: st2 modules read the config at import
    import live
    import webhooks
    import live_chain

    harness.db_setup()
    example = os.path.join(pack_path, "cloudops.yaml.example")
    config, clouds, prefix = example, None, None
    devcloud = os.path.dirname(os.path.abspath(args.clouds_yaml or ROOT))
    if args.live:
        prefix = live.new_prefix()
        config, clouds = live.write_live_config(example, args.clouds_yaml, args.cloud, prefix)
        # What the python runner hands to the actions it runs (it copies this environment).
        os.environ["OS_CLIENT_CONFIG_FILE"] = clouds
        os.environ.pop("OS_CLOUD", None)
        no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1,localhost"]))
        os.environ["NO_PROXY"] = os.environ["no_proxy"] = no_proxy
    harness.install_config(config)
    secrets = checks.store_example_secrets(example)

    runs = {
        "register": lambda: checks.check_registration(pack_path),
        "config": lambda: checks.check_config(example, secrets),
        "actions": lambda: checks.check_actions(pack_path),
        "aliases": lambda: checks.check_aliases(pack_path),
        "rules": lambda: checks.check_rules(pack_path),
        "webhooks": lambda: webhooks.check_webhooks(pack_path),
        "sensors": lambda: checks.check_sensors(pack_path, example),
        "workflows": lambda: checks.check_workflows(pack_path),
        "live-sensors": lambda: live.check_live_sensors(pack_path, example, clouds),
        "live-drain": lambda: live.check_live_drain(pack_path, clouds, args.cloud, prefix),
        "live-chain": lambda: live_chain.check_live_chain(
            pack_path, config, clouds, args.cloud, devcloud, prefix, faults=False
        ),
        "live-chain-faults": lambda: live_chain.check_live_chain(
            pack_path, config, clouds, args.cloud, devcloud, prefix, faults=True
        ),
    }
    failed = 0
    # Registration always runs: every other check uses what it registered.
    for name in [c for c in order if c == "register" or c in args.only]:
        start = time.monotonic()
        try:
            findings = runs[name]()
        except Exception:  # pylint: disable=broad-except
            findings = [checks.Finding(False, f"{name} check crashed", traceback.format_exc())]
        bad = [f for f in findings if not f.ok]
        failed += len(bad) if name in args.only else 0
        if name not in args.only:
            continue
        print(f"--- {name}: {len(findings) - len(bad)} ok, {len(bad)} failed "
              f"({time.monotonic() - start:.1f}s)")  # fmt: skip
        for finding in findings:
            mark = "ok  " if finding.ok else "FAIL"
            print(f"  {mark} {finding.what}" + (f": {finding.detail}" if finding.detail else ""))
        sys.stdout.flush()
    print(f"real StackStorm 3.9.0{' on ' + args.cloud if args.live else ''}: {failed} failure(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
