"""The Icinga client over the shared HTTP session, with requests.Session.request mocked."""

import pytest

from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.client import IcingaClient
from apis.icinga_api.exceptions import (
    IcingaAuthError,
    IcingaFilterError,
    IcingaObjectNotFoundError,
    IcingaRequestError,
)
from tests.unit.apis.http_answers import answer

ACCOUNT = IcingaAccount(
    name="icinga", url="https://icinga:5665", username="api", password="pw", ca_file="/ca.pem"
)


def test_objects_query_uses_filter_vars_and_method_override(request_mock):
    request_mock.return_value = answer(body={"results": [{"name": "hv01"}]})
    with IcingaClient(ACCOUNT) as client:
        found = client.objects("hosts", "host.name==h", {"h": "hv01"}, ["name"])
    assert found == [{"name": "hv01"}]
    _, method, url = request_mock.call_args.args
    assert (method, url) == ("POST", "https://icinga:5665/v1/objects/hosts")
    assert request_mock.call_args.kwargs == {
        "verify": "/ca.pem",
        "timeout": 30.0,
        "json": {
            "verbose": True,
            "filter": "host.name==h",
            "filter_vars": {"h": "hv01"},
            "attrs": ["name"],
        },
        "headers": {"X-HTTP-Method-Override": "GET"},
    }


def test_objects_without_filter_and_no_match(request_mock):
    request_mock.side_effect = [answer(body={"results": []}), answer(404, {"error": 404})]
    client = IcingaClient(ACCOUNT)
    assert client.objects("hosts") == []
    assert request_mock.call_args.kwargs["json"] == {"verbose": True}
    assert client.objects("downtimes", "x", {}) == []


def test_objects_joins_types_and_filters_icinga_cannot_evaluate(request_mock):
    diagnostic = "Error: syntax error, unexpected new-line\nLocation: in <API query>: 1:10-1:11"
    request_mock.side_effect = [
        answer(body={"results": [{"name": "hv01!nova", "joins": {"host": {"address": "a"}}}]}),
        answer(
            404, {"error": 404, "status": "No objects found.", "diagnostic_information": diagnostic}
        ),
        answer(body={"results": [{"name": "Host", "fields": {}}]}),
    ]
    client = IcingaClient(ACCOUNT)
    assert client.objects("services", joins=["host.address"])[0]["joins"]["host"] == {
        "address": "a"
    }
    assert request_mock.call_args.kwargs["json"] == {"verbose": True, "joins": ["host.address"]}
    with pytest.raises(IcingaFilterError) as failed:
        client.objects("hosts", "host.name ==", {})
    assert str(failed.value).startswith(
        "filter: Icinga cannot evaluate 'host.name ==': syntax error, unexpected new-line; "
        "Location: in <API query>: 1:10-1:11; values go in filter_vars"
    )
    assert client.types() == [{"name": "Host", "fields": {}}]
    assert request_mock.call_args.args[1:] == ("GET", "https://icinga:5665/v1/types")


def test_types_refused_to_an_api_user_without_the_permission(request_mock):
    request_mock.side_effect = [
        answer(404, {"error": 404, "status": "No objects found."}),
        answer(403, {"error": 403, "status": "No permission."}),
    ]
    for status in (404, 403):
        with pytest.raises(IcingaAuthError, match=rf'types \({status}\), .* add "types" to its'):
            IcingaClient(ACCOUNT).types()


def test_actions_map_empty_and_partial_failures(request_mock):
    request_mock.side_effect = [
        answer(body={"results": [{"code": 200, "name": "hv01!a"}]}),
        answer(500, {"results": []}),
        answer(500, text="<html>crash</html>"),
        answer(500, {"results": [{"code": 200}, {"code": 409, "status": "already exists"}]}),
    ]
    client = IcingaClient(ACCOUNT)
    assert client.action("schedule-downtime", {"type": "Host"}, "host 'hv01'") == [
        {"code": 200, "name": "hv01!a"}
    ]
    with pytest.raises(IcingaObjectNotFoundError, match="host 'hv99': not found in Icinga"):
        client.action("schedule-downtime", {}, "host 'hv99'")
    with pytest.raises(IcingaRequestError, match="for host 'hv99' answered 500: <html>crash"):
        client.action("schedule-downtime", {}, "host 'hv99'")
    with pytest.raises(IcingaRequestError, match="schedule-downtime for x failed: already exists"):
        client.action("schedule-downtime", {}, "x")


def test_remove_downtime(request_mock):
    request_mock.side_effect = [
        answer(body={"results": [{"code": 200}]}),
        answer(404, {"error": 404, "status": "No objects found."}),
    ]
    client = IcingaClient(ACCOUNT)
    assert client.remove_downtime("hv01!a") is True
    assert request_mock.call_args.kwargs["json"] == {"type": "Downtime", "downtime": "hv01!a"}
    assert client.remove_downtime("hv01!a") is False


def test_wrong_password_is_an_auth_error(request_mock):
    request_mock.return_value = answer(401, {"error": 401, "status": "Unauthorized."})
    with pytest.raises(IcingaAuthError, match="icinga account 'icinga': POST /v1/objects/hosts"):
        IcingaClient(ACCOUNT).objects("hosts")
