"""icinga.search against answers recorded from a real Icinga2 (``recorded/icinga2_answers.json``,
made by ``recorded/record_icinga.py``), replayed through an autospecced
requests.Session.request: what is sent, the rows made, the output formats and the errors."""

import json
from pathlib import Path

import pytest

from apis import clock
from apis.errors import CloudopsError
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.exceptions import IcingaFilterError, IcingaParameterError
from apis.icinga_api.object_types import TypeCatalog
from apis.icinga_api.columns import join_columns
from apis.icinga_api.search import search
from tests.result_schemas import check_result
from tests.unit.apis.http_answers import answer

RECORDED = json.loads(
    (Path(__file__).parent / "recorded" / "icinga2_answers.json").read_text(encoding="utf-8")
)
ACCOUNT = IcingaAccount(name="icinga", url="https://icinga:5665", username="u", password="p")
RACK = RECORDED["services_columns"]["body"]["results"][0]["joins"]["host"]["vars"]["rack"]


def _iso(item, field):
    return clock.from_epoch(item["attrs"][field]).isoformat()


@pytest.fixture(name="icinga")
def fixture_icinga(request_mock):
    """Replay the recorded answer ``icinga.answers[object path]`` (``types`` for /v1/types);
    ``icinga.sent()`` is every request's (method, path, JSON body)."""

    class Replay:
        """Which recorded answer each path gets (a key of RECORDED, or the answer)."""

        answers = {"types": "types", "hosts": "hosts_default", "services": "services_columns"}

        @staticmethod
        def sent():
            """(method, path, JSON body) of every request so far."""
            return [
                (call.args[1], call.args[2].split("/v1/")[1], call.kwargs.get("json"))
                for call in request_mock.call_args_list
            ]

    def reply(_session, _method, url, **_kwargs):
        recorded = Replay.answers[url.rsplit("/", 1)[1]]
        recorded = RECORDED[recorded] if isinstance(recorded, str) else recorded
        return answer(recorded["status"], recorded["body"])

    request_mock.side_effect = reply
    return Replay


def test_default_columns_in_one_request(icinga):
    found = search(ACCOUNT)
    hv01, hv02 = RECORDED["hosts_default"]["body"]["results"]
    assert found["rows"] == [
        {
            "name": "hv01",
            "state": "up",
            "output": "Hypervisor is up",
            "in_downtime": False,
            "acknowledged": False,
            "last_check": _iso(hv01, "last_check"),
        },
        {
            "name": "hv02",
            "state": "down",
            "output": "DOWN: no route to host",
            "in_downtime": False,
            "acknowledged": False,
            "last_check": _iso(hv02, "last_check"),
        },
    ]
    [(method, path, body)] = icinga.sent()
    assert (method, path, body["verbose"], "filter" in body) == (
        "POST",
        "objects/hosts",
        True,
        False,
    )
    assert "host_name" not in body["attrs"] and "joins" not in body
    assert check_result("icinga.search", found)["object_type"] == "host"


def test_filter_with_quoted_value_and_shorthands_travel_as_filter_vars(icinga):
    search(
        ACCOUNT,
        name="hv*",
        state="DOWN",
        filter="host.vars.rack == rack || host.vars.role in roles",
        filter_vars={"rack": RACK, "roles": ["compute", "gpu"]},
    )
    [(_, _, body)] = icinga.sent()
    assert body["filter"] == (
        "match(cloudops_name, host.name) && host.state==cloudops_state && "
        "(host.vars.rack == rack || host.vars.role in roles)"
    )
    assert body["filter_vars"] == {
        "rack": RACK,
        "roles": ["compute", "gpu"],
        "cloudops_name": "hv*",
        "cloudops_state": 1,
    }
    assert '"' in RACK and "'" in RACK and RACK not in body["filter"]


def test_a_filter_alone_is_sent_as_written(icinga):
    search(ACCOUNT, object_type="service", filter='service.state == 2 && host.address != ""')
    [(_, path, body)] = icinga.sent()
    assert path == "objects/services"
    assert (body["filter"], body["filter_vars"]) == ('service.state == 2 && host.address != ""', {})


def test_services_with_attrs_and_joins(icinga):
    found = search(
        ACCOUNT,
        object_type="service",
        attrs=["host_name", "name", "state", "state_type", "last_check", "vars.dummy_text"],
        joins=["host.address", "host.state", "host.vars.rack", "check_command.name"],
        output_type="csv",
    )
    hv01, hv02 = sorted(RECORDED["services_columns"]["body"]["results"], key=lambda i: i["name"])
    assert found["rows"][0] == {
        "host_name": "hv01",
        "name": "nova-compute",
        "state": "critical",
        "state_type": "soft",
        "last_check": _iso(hv01, "last_check"),
        "vars.dummy_text": "nova-compute is running",
        "host.address": "127.0.0.1",
        "host.state": "up",
        "host.vars.rack": hv01["joins"]["host"]["vars"]["rack"],
        "check_command.name": "dummy",
    }
    assert [r["host_name"] for r in found["rows"]] == ["hv01", "hv02"]
    assert found["rows"][1]["host.state"] == "down" and hv02["attrs"]["state"] == 0
    types_call, (_, _, body) = icinga.sent()
    assert types_call[:2] == ("GET", "types")
    assert body["attrs"] == ["host_name", "name", "state", "state_type", "last_check", "vars"]
    assert body["joins"] == ["host.address", "host.state", "host.vars", "check_command.name"]
    header, first, _ = found["output"].splitlines()
    assert header.split(",")[:3] == ["host_name", "name", "state"]
    assert first.startswith("hv01,nova-compute,critical,soft,")
    assert '"row ""A"", hv01\'s rack"' in first
    check_result("icinga.search", found)


def test_joins_after_the_default_columns_and_tables(icinga):
    found = search(ACCOUNT, object_type="service", joins=["host.address"], output_type="table")
    assert list(found["rows"][0]) == [
        "name",
        "state",
        "output",
        "in_downtime",
        "acknowledged",
        "last_check",
        "host",
        "host.address",
    ]
    assert "| host.address" in found["output"].splitlines()[1]
    assert icinga.sent()[1][2]["attrs"][0] == "name"
    markdown = search(
        ACCOUNT, "service", output_type="markdown", attrs=["name"], joins=["check_command"]
    )
    assert markdown["rows"][0]["check_command"]["name"] == "dummy"
    assert markdown["output"].splitlines()[0].startswith("| name ")


def test_nothing_found_has_a_hint(icinga):
    icinga.answers = {**icinga.answers, "hosts": {"status": 200, "body": {"results": []}}}
    found = search(ACCOUNT, filter="host.vars.rack == rack", filter_vars={"rack": "nowhere"})
    assert found["count"] == 0 and "loosen name, state, host or filter" in found["hint"]


def test_a_filter_icinga_cannot_evaluate_is_one_line(icinga):
    icinga.answers = {**icinga.answers, "hosts": "bad_filter"}
    with pytest.raises(IcingaFilterError) as failed:
        search(ACCOUNT, filter="host.name == x")
    message = str(failed.value)
    assert "\n" not in message and message.startswith("filter: Icinga cannot evaluate")
    assert "Tried to access undefined script variable 'x'; Location: in <API query>" in message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"attrs": ["stat"]}, "attrs 'stat': 'stat' is not a Host attribute (did you mean"),
        ({"attrs": ["nope"]}, "; valid: __name, acknowledgement, acknowledgement_expiry, "),
        ({"attrs": ["state.x"]}, "attrs 'state.x': state is a Number, not a dictionary"),
        (
            {"object_type": "service", "attrs": ["host.address"]},
            "attrs 'host.address': host is joined, not an attribute of Service; put",
        ),
        ({"joins": ["host.name"]}, "joins 'host.name': 'host' is not a join of Host; valid: "),
        (
            {"object_type": "service", "joins": ["host.adress"]},
            "joins 'host.adress': 'adress' is not a Host attribute (did you mean 'address'?)",
        ),
        (
            {"object_type": "service", "joins": ["zone.name"]},
            "valid: check_command, check_period, command_endpoint, event_command, host",
        ),
    ],
)
def test_bad_columns_name_the_parameter_and_the_choices(icinga, kwargs, message):
    with pytest.raises(IcingaParameterError) as failed:
        search(ACCOUNT, **kwargs)
    assert message in str(failed.value) and "\n" not in str(failed.value)
    assert [path for _, path, _ in icinga.sent()] == ["types"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"object_type": "vm"}, "object_type 'vm' is not one of: host, service"),
        ({"state": "critical"}, "state 'critical' is not one of: up, down"),
        ({"object_type": "service", "state": "down"}, "not one of: ok, warning, critical"),
        ({"host": "hv01"}, "host only narrows object_type=service"),
        ({"filter_vars": {"r": 1}}, "filter_vars are the variables a filter refers to"),
        ({"filter": "host.name == host", "filter_vars": {"host": "x"}}, "filter_vars 'host'"),
        ({"filter": "1", "filter_vars": {"cloudops_name": "x"}}, "reserved"),
        ({"filter": "1", "filter_vars": {"1x": 1}}, "filter_vars '1x': not a variable name"),
        ({"filter": "1", "filter_vars": ["x"]}, "filter_vars must be an object"),
        ({"output_type": "xml"}, "output_type 'xml' is not one of"),
    ],
)
def test_bad_input_asks_nothing_of_icinga(icinga, kwargs, message):
    with pytest.raises(CloudopsError) as failed:
        search(ACCOUNT, **kwargs)
    assert message in str(failed.value)
    assert not icinga.sent()


def test_a_join_to_a_type_the_pack_does_not_know_is_passed_through():
    results = RECORDED["types"]["body"]["results"]
    catalog = TypeCatalog([t for t in results if t["name"] != "CheckCommand"])
    column = join_columns(catalog, catalog["Service"], ["check_command.whatever.x"])[0]
    assert (column.asked, column.path) == ("check_command.whatever", ("x",))
    with pytest.raises(KeyError):
        catalog["CheckCommand"]  # pylint: disable=pointless-statement
