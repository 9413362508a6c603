"""Every search (packtools/action_effects.SEARCHES) is read-only, takes the shared
``output_type`` parameter, and its output_schema carries the shared search result
(``apis.search_results``); its lib function takes ``output_type``."""

import pytest

from action_runtime.dispatch import resolve
from action_runtime.lib_signature import action_parameters
from apis.search_results import OUTPUT_TYPE_PARAMETER, SEARCH_RESULT_SCHEMA
from packtools.action_effects import EFFECTS, SEARCHES, Effect
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
