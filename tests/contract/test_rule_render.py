"""Rule parameters rendered and cast the way StackStorm does (packtools.rule_render).

The two finding rules pass the whole trigger (``finding: "{{ trigger }}"``) to an object
parameter: StackStorm renders the payload to its Python repr and casts that text back with
``json.loads`` or ``ast.literal_eval``. These tests put the sensors' real payloads, with the
values that could break the round trip (quotes, newlines, None, booleans, nested objects,
non-ASCII), through that path and into the action's own description of the finding.
"""

from pathlib import Path

import pytest

from apis.openstack_api.network_checks import RouterFinding
from packtools.pack import action_parameters, load_pack
from packtools.rule_render import cast, render, rendered_parameter_problems, sample
from workflows import cloud_cross_check, router_gateway_watch
from workflows.finding_tickets import describe

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(name="pack", scope="module")
def fixture_pack():
    """The cloudops pack as the contract loads it."""
    return load_pack(ROOT)


def cross_check_payload():
    """A cross-check finding as cloud_cross_check_sensor dispatches it."""
    config = cloud_cross_check.CrossCheckConfig(source_cloud="old", target_cloud="new")
    differences = {
        "disk": {"source": 10, "target": None},
        "extra_specs": {"source": {"hw:cpu_policy": "dedicated"}, "target": {}},
        "is_public": {"source": True, "target": False},
        "description": {"source": 'Ré\'s "big" one\nsecond line', "target": "it's"},
    }
    return cloud_cross_check.finding(
        config,
        cloud_cross_check.Resource.FLAVORS,
        "m1.big 'gpu'",
        cloud_cross_check.FindingKind.DIFFERS,
        differences,
    )


def router_payload():
    """A router-gateway finding as router_gateway_sensor dispatches it."""
    router = RouterFinding(
        router_id="r-1",
        router_name='edge "west"',
        project_id=None,
        project_name=None,
        external_network_id="n-1",
        external_network_name="públic",
        gateway_ips=["203.0.113.7", "2001:db8::7"],
        reason="203.0.113.7 is outside 198.51.100.0/24",
    )
    return router_gateway_watch.payload("prod", router)


@pytest.mark.parametrize("payload", [cross_check_payload(), router_payload()])
def test_whole_trigger_round_trips_to_the_object_parameter(payload):
    text = render("{{ trigger }}", payload)
    assert text.startswith("{'check': ")  # Python repr, not JSON: the literal_eval path
    finding = cast(text, "object")
    assert finding == payload
    summary, body = describe(finding)
    assert summary and body


@pytest.mark.parametrize("name", ["cross_check_ticket", "router_gateway_ticket"])
def test_finding_rules_render_cleanly_against_their_trigger(pack, name):
    (rule,) = [r.data for r in pack.rules if r.data["name"] == name]
    trigger = pack.trigger_refs()[rule["trigger"]["type"]]
    given = rule["action"]["parameters"]
    declared = action_parameters(pack, rule["action"]["ref"])
    assert not rendered_parameter_problems(declared, trigger, given)
    assert isinstance(
        cast(render(given["finding"], sample(trigger["payload_schema"])), "object"), dict
    )


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ('{"a": null}', "object", {"a": None}),
        ("{'a': None, 'b': True}", "object", {"a": None, "b": True}),
        ("['x', 1]", "array", ["x", 1]),
        ("true", "boolean", True),
        ("False", "boolean", False),
        ("7", "integer", 7),
        ("2.5", ["number", "null"], 2.5),
        ("as is", "string", "as is"),
    ],
)
def test_casts_follow_stackstorm(text, kind, expected):
    assert cast(text, kind) == expected


@pytest.mark.parametrize(
    "given, message",
    [
        ({"count": "{{ trigger.name }}"}, "cannot cast to integer"),
        ({"options": "{{ trigger.name }}"}, "cannot cast to object"),
        ({"count": "{{ trigger.nothing }}"}, "does not render"),
        ({"level": "{{ trigger.name }}"}, "its schema refuses"),
    ],
)
def test_problems_name_the_parameter(given, message):
    declared = {
        "count": {"type": "integer"},
        "options": {"type": "object"},
        "level": {"type": "string", "enum": ["low", "high"], "required": True},
    }
    trigger = {"payload_schema": {"type": "object", "properties": {"name": {"type": "string"}}}}
    problems = rendered_parameter_problems(declared, trigger, given)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"parameter {next(iter(given))!r}: ") and message in problems[0]


def test_untemplated_and_undeclared_values_are_left_to_the_other_checks():
    trigger = {"payload_schema": {"type": "object", "properties": {}}}
    declared = {"dry_run": {"type": "boolean"}}
    assert not rendered_parameter_problems(declared, trigger, {"dry_run": False, "x": "{{ y }}"})
