"""The maintenance chain rules: which state changes fire them, and that what they render,
with the example pack config, is a complete call of the runbook they run."""

import inspect
from pathlib import Path

import jinja2
import pytest
import yaml

from action_runtime.cloud_connections import cloud_parameters
from action_runtime.dispatch import build_arguments, resolve
from packtools.refs import RUNNER_PARAMETERS
from workflows.maintenance_settings import MaintenanceSettings

PYTHON_RUNNER_PARAMETERS = RUNNER_PARAMETERS["python-script"]

PACK = Path(__file__).resolve().parents[3]
RULES = {
    "hypervisor_drain_when_pending_maintenance": "PENDING_MAINTENANCE",
    "hypervisor_patch_reboot_when_drained": "DRAINED",
    "hypervisor_post_reboot_when_rebooted": "REBOOTED",
}


def load(name):
    """A rule's YAML."""
    return yaml.safe_load((PACK / "rules" / f"{name}.yaml").read_text(encoding="utf-8"))


def matches(rule, trigger):
    """Whether the rule's criteria (the equals/nequals it uses) hold for a trigger payload."""
    for field, criterion in (rule.get("criteria") or {}).items():
        value = trigger[field.split(".", 1)[1]]
        equal = value == criterion["pattern"]
        if equal != (criterion["type"] == "equals"):
            return False
    return True


def payload(current, previous="RUNNING"):
    """A state_change payload as the sensor dispatches it."""
    return {"name": "hv7", "previous": previous, "current": current, "cloud_account": "prod"}


@pytest.mark.parametrize("name, state", sorted(RULES.items()))
def test_each_rule_fires_on_its_state_only_and_ships_disabled(name, state):
    rule = load(name)
    assert rule["enabled"] is False
    assert rule["trigger"]["type"] == "cloudops.hypervisor.state_change"
    assert matches(rule, payload(state, previous="DISABLED"))
    others = set(RULES.values()) - {state}
    assert not any(matches(rule, payload(other)) for other in others)


def test_a_drain_that_left_servers_behind_does_not_loop():
    rule = load("hypervisor_drain_when_pending_maintenance")
    assert not matches(rule, payload("PENDING_MAINTENANCE", previous="DRAINING"))


@pytest.mark.parametrize("name", sorted(RULES))
def test_rendered_parameters_are_a_complete_call_with_the_example_config(name):
    rule = load(name)
    action = yaml.safe_load(
        (PACK / "actions" / f"{rule['action']['ref'].split('.', 1)[1]}.yaml").read_text("utf-8")
    )
    config = yaml.safe_load((PACK / "cloudops.yaml.example").read_text(encoding="utf-8"))
    rendered = {
        key: (
            jinja2.Template(value).render(trigger=payload("X")) if isinstance(value, str) else value
        )
        for key, value in rule["action"]["parameters"].items()
    }
    assert rendered["hypervisor"] == "hv7" and rendered["cloud_account"] == "prod"
    assert rendered["dry_run"] is False
    parameters = {
        key: spec["default"]
        for key, spec in action["parameters"].items()
        # StackStorm passes neither lib_function's nor the runner's parameters (timeout) on
        if "default" in spec and key != "lib_function" and key not in PYTHON_RUNNER_PARAMETERS
    }
    parameters.update(rendered)
    function = resolve(action["parameters"]["lib_function"]["default"])
    arguments = build_arguments(function, parameters, config)
    # the runtime opens each connection for its cloud parameter
    clouds = cloud_parameters(function)
    assert all(parameters.get(cloud) for cloud in clouds.values())
    inspect.signature(function).bind(**arguments, **dict.fromkeys(clouds, "an open connection"))
    site = MaintenanceSettings.from_config(config.get("hypervisor_maintenance"))
    for needed in ("patch_script", "reboot_script", "comment", "test_image"):
        if needed in inspect.signature(function).parameters:
            assert site.pick(needed, arguments.get(needed))
