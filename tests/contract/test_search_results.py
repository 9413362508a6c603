"""Every search (packtools/action_effects.SEARCHES) is read-only, takes the shared
``output_type`` parameter, and its output_schema carries the shared search result
(``apis.search_results``); its lib function takes ``output_type``. Every search takes
``webhook`` and its ``dry_run`` (true by default: posting sends), which the action runtime
owns: the lib function takes neither."""

import pytest

from action_runtime.dispatch import resolve
from action_runtime.lib_signature import action_parameters
from apis.search_results import OUTPUT_TYPE_PARAMETER, SEARCH_RESULT_SCHEMA, WEBHOOK_PARAMETERS
from packtools.action_effects import EFFECTS, SEARCHES, Effect
from packtools.catalog import dry_run_default
from packtools.pack import load_pack
from packtools.result_schema import ROOT

PACK = load_pack(ROOT)


def test_searches_are_read_only_actions():
    assert sorted(SEARCHES - set(PACK.actions)) == [], "no such action"
    assert {EFFECTS[name] for name in SEARCHES} == {Effect.READ_ONLY}


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_search_takes_output_type(name):
    parameters = PACK.actions[name].data["parameters"]
    given = {k: v for k, v in parameters["output_type"].items() if k != "description"}
    assert given == OUTPUT_TYPE_PARAMETER
    assert "output_type" in action_parameters(resolve(parameters["lib_function"]["default"]))


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_search_output_schema_is_the_search_result(name):
    properties = PACK.actions[name].data["output_schema"]["properties"]
    assert {key: properties.get(key) for key in SEARCH_RESULT_SCHEMA} == SEARCH_RESULT_SCHEMA


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_search_takes_webhook_and_its_dry_run(name):
    parameters = PACK.actions[name].data["parameters"]
    assert {key: parameters.get(key) for key in WEBHOOK_PARAMETERS} == WEBHOOK_PARAMETERS
    assert dry_run_default(parameters) == "true", "posting to a webhook sends: dry by default"
    taken = action_parameters(resolve(parameters["lib_function"]["default"]))
    assert not set(WEBHOOK_PARAMETERS) & set(taken), "the action runtime owns them"


def test_only_searches_take_webhook():
    assert sorted(n for n, a in PACK.actions.items() if "webhook" in a.data["parameters"]) == (
        sorted(SEARCHES)
    )
