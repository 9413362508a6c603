"""A search's ``webhook``: the action runtime posts its rows to a StackStorm webhook, here a
real local HTTP server answering as st2api does (tests/st2_webhook_server.py)."""

import logging

import pytest

from action_runtime.dispatch import dispatch
from action_runtime.search_webhook import take_webhook, webhook_body
from apis.search_results import search_result
from tests.st2_webhook_server import St2WebhookServer

API_KEY = "st2-Api-K3y-5e9a"
ROWS = [{"id": "s1", "name": "web-1"}, {"id": "s2", "name": "amphora-1"}]


def fake_search(cloud_account, output_type="props"):
    """A search: its rows and own field, rendered as asked."""
    del cloud_account
    return search_result(ROWS, output_type, query_type="servers")


def not_a_search(cloud_account):
    """A lib function whose result is not a search result."""
    return {"cloud": cloud_account}


def fake_changer(dry_run=True):
    """A lib function with its own dry_run."""
    return {"dry_run": dry_run}


@pytest.fixture(name="st2")
def fixture_st2():
    """st2api's webhooks on a local port, with the webhook server-migrate."""
    with St2WebhookServer(API_KEY, {"server-migrate"}) as server:
        yield server


def config_for(server, api_key=API_KEY):
    """A pack config pointing st2_api at ``server``."""
    return {"st2_api": {"url": server.url, "api_key": api_key}}


def search(st2, webhook, api_key=API_KEY, **parameters):
    """dispatch() of the fake search with ``webhook``, as StackStorm's runner passes it."""
    given = {"cloud_account": "prod", "output_type": "table", "webhook": webhook, **parameters}
    return dispatch(f"{__name__}:fake_search", given, config_for(st2, api_key))


def test_search_posts_its_rows_to_the_webhook(st2, caplog):
    caplog.set_level(logging.DEBUG)
    ok, result = search(st2, "server-migrate", dry_run=False)
    assert ok, result
    [request] = st2.received
    assert request.path == "/api/v1/webhooks/server-migrate"
    assert request.headers["St2-Api-Key"] == API_KEY
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {
        "rows": ROWS,
        "count": 2,
        "query_type": "servers",
        "cloud_account": "prod",
    }
    assert result["webhook"] == {
        "name": "server-migrate",
        "url": f"{st2.url}/webhooks/server-migrate",
        "dry_run": False,
        "posted": True,
        "status": 202,
    }
    assert result["rows"] == ROWS and result["output_type"] == "table" and result["output"]
    assert API_KEY not in str(result) and API_KEY not in caplog.text


def test_dry_run_by_default_posts_nothing(st2):
    ok, result = search(st2, "server-migrate")
    assert ok and not st2.received
    assert result["webhook"]["dry_run"] and not result["webhook"]["posted"]
    assert result["webhook"]["status"] is None


def test_no_webhook_no_post_and_no_webhook_field(st2):
    ok, result = search(st2, "", dry_run=False)
    assert ok and not st2.received and "webhook" not in result


@pytest.mark.parametrize(
    "webhook, api_key, message",
    [
        (
            "nope",
            API_KEY,
            "webhook 'nope' not posted: st2_api account 'st2_api': POST /webhooks/nope "
            'answered 404: {"faultstring": "Webhook nope not registered with st2"}',
        ),
        (
            "server-migrate",
            "wrong-key",
            "webhook 'server-migrate': StackStorm refused st2_api.api_key (401/403)",
        ),
    ],
)
def test_failed_post_is_one_line_and_keeps_the_search_result(st2, webhook, api_key, message):
    ok, result = search(st2, webhook, api_key, dry_run=False)
    assert not ok
    assert result["error"].startswith(message) and "\n" not in result["error"]
    assert result["error_type"] == "WebhookPostError"
    assert result["report"]["rows"] == ROWS and result["report"]["count"] == 2
    assert api_key not in str(result)


def test_unreachable_st2_names_the_webhook():
    config = {"st2_api": {"url": "http://127.0.0.1:9/api/v1", "api_key": API_KEY}}
    given = {"cloud_account": "prod", "webhook": "server-migrate", "dry_run": False}
    ok, result = dispatch(f"{__name__}:fake_search", given, config)
    assert not ok and result["error"].startswith("webhook 'server-migrate' not posted: ")
    assert "Connection" in result["error"] and result["report"]["count"] == 2


@pytest.mark.parametrize(
    "config, message",
    [
        ({}, "the pack config's st2_api is not set: give st2_api.url"),
        ({"st2_api": {"url": "http://x/api/v1"}}, "the pack config's st2_api is not set"),
        (
            {"st2_api": {"url": "http://x/api/v1", "api_key": "k", "proxy": "p"}},
            "unknown setting(s) proxy",
        ),
    ],
)
def test_missing_st2_api_config_says_what_to_set(config, message):
    given = {"cloud_account": "prod", "webhook": "server-migrate"}
    ok, result = dispatch(f"{__name__}:fake_search", given, config)
    assert not ok and message in result["error"] and result["report"]["count"] == 2


def test_a_bad_webhook_name_is_refused_before_any_post(st2):
    ok, result = search(st2, "a b/../c", dry_run=False)
    assert not ok and "webhook 'a b/../c' is not a webhook name" in result["error"]
    assert not st2.received


def test_only_a_search_result_is_posted(st2):
    given = {"cloud_account": "prod", "webhook": "server-migrate", "dry_run": False}
    ok, result = dispatch(f"{__name__}:not_a_search", given, config_for(st2))
    assert not ok and "only a search's result can be posted" in result["error"]
    assert not st2.received


def test_the_runtime_takes_webhook_and_dry_run_only_when_the_lib_has_no_dry_run():
    rest, request = take_webhook(fake_search, {"webhook": "h", "dry_run": False, "x": 1})
    assert rest == {"x": 1} and (request.name, request.dry_run) == ("h", False)
    rest, request = take_webhook(fake_changer, {"webhook": "h", "dry_run": False})
    assert rest == {"dry_run": False} and request.dry_run
    assert take_webhook(fake_search, {"dry_run": False}) == ({}, None)
    assert take_webhook(fake_search, {"webhook": "", "dry_run": True}) == ({}, None)


def test_the_body_is_the_result_without_its_rendering():
    result = search_result({"hv-a": ROWS}, "csv", hint="widen", query_type="servers")
    assert webhook_body(result, {}) == {
        "rows": {"hv-a": ROWS},
        "count": 2,
        "query_type": "servers",
        "cloud_account": None,
    }
