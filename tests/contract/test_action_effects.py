"""Every action is classified once (packtools/action_effects.py) and its YAML keeps to it:
dry_run where it changes or sends anything, true by default where it destroys, emails, silences
or pages; the shared change result in the output_schema of every changing action."""

import pytest

from apis.results import CHANGE_RESULT_SCHEMA
from packtools.action_effects import EFFECTS, LISTED_TWICE, Effect
from packtools.catalog import dry_run_default
from packtools.pack import load_pack
from packtools.result_schema import ROOT

PACK = load_pack(ROOT)

# Changing actions whose result is not (yet) the shared change result; the test below fails
# when one of them is converted, so the list only shrinks.
SHAPE_PENDING: frozenset = frozenset()


def test_every_action_is_classified_once():
    assert sorted(set(PACK.actions) - set(EFFECTS)) == [], "add them to action_effects.py"
    assert sorted(set(EFFECTS) - set(PACK.actions)) == [], "no such action"
    assert not LISTED_TWICE


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_dry_run_parameter_follows_the_effect(name):
    effect = EFFECTS[name]
    parameters = PACK.actions[name].data.get("parameters") or {}
    if not effect.needs_dry_run:
        return
    assert "dry_run" in parameters, f"{name} is {effect.value}: it must take dry_run"
    assert parameters["dry_run"]["type"] == "boolean"
    if effect.dry_by_default:
        assert dry_run_default(parameters) == "true", f"{name} is {effect.value}: default true"


@pytest.mark.parametrize("name", sorted(n for n, e in EFFECTS.items() if e is not Effect.READ_ONLY))
def test_changing_action_output_schema_is_the_change_result(name):
    data = PACK.actions[name].data
    if data["runner_type"] != "python-script":
        return
    properties = (data.get("output_schema") or {}).get("properties") or {}
    shared = {key: properties.get(key) for key in CHANGE_RESULT_SCHEMA}
    if name in SHAPE_PENDING:
        assert shared != CHANGE_RESULT_SCHEMA, f"{name} is converted: drop it from SHAPE_PENDING"
        return
    assert shared == CHANGE_RESULT_SCHEMA, (
        f"{name}'s output_schema lacks the change result: "
        f"python -m packtools.result_schema {name}"
    )
