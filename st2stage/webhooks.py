"""The webhooks check: a search's rows posted by the pack's own code to st2api, over HTTP.

st2api's WSGI app (st2api.app.setup_app: its router, auth middleware and WebhooksController)
serves on a local port in this process, with auth on and an API key for stanley in the
database (what `st2 apikey create` stores). The pack's action runtime (`search_webhook.send`,
what every search with `webhook` runs) posts the server_migrate_from_webhook sample's rows to
it with the registered example config's st2_api pointed there; st2api must answer 202 and
dispatch a `core.st2.webhook` trigger whose payload is the rule sample's (same body, same
headers of the sample), which st2rulesengine's worker then fires into the rule with the
sample's parameters. An unknown webhook and a wrong key must fail in one line naming them.
Only MongoDB and the bus are the harness's (see harness.py); nginx is not in front, so the
url is st2api's own (`/v1`, what nginx serves as `/api/v1`).
"""

import os
import sys
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from checks import Finding, _short, fire_rule, rule_samples
from harness import BUS, PACK

HOOK = "server-migrate"
RULE = "server_migrate_from_webhook"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """No access log on the stage's output."""


def _api_key():
    """A new API key of user stanley, stored as `st2 apikey create` stores it."""
    from st2common.models.db.auth import ApiKeyDB, UserDB
    from st2common.persistence.auth import ApiKey, User
    from st2common.util.auth import generate_api_key_and_hash

    if not User.query(name="stanley"):
        User.add_or_update(UserDB(name="stanley"))
    key, key_hash = generate_api_key_and_hash()
    ApiKey.add_or_update(ApiKeyDB(user="stanley", key_hash=key_hash, enabled=True))
    return key


def _wait_for_hook(controller):
    """The controller's TriggerWatcher loads the webhook triggers in a green thread."""
    from st2common.util import concurrency

    for _ in range(100):
        if HOOK in controller._hooks:  # pylint: disable=protected-access
            return True
        concurrency.sleep(0.05)
    return False


def check_webhooks(pack_path):
    """See the module doc."""
    from oslo_config import cfg
    from st2api import app as st2api_app
    from st2api.controllers.v1 import webhooks
    from st2common.util.config_loader import ContentPackConfigLoader

    cfg.CONF.set_override("enable", True, group="auth")
    cfg.CONF.set_override("enable", False, group="rbac")
    if not _wait_for_hook(webhooks.webhooks_controller):
        return [Finding(False, "st2api webhooks", f"no rule listens on webhook {HOOK}")]
    key = _api_key()
    server = make_server("127.0.0.1", 0, st2api_app.setup_app(), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sys.path.insert(0, os.path.join(pack_path, "lib"))
    try:
        config = ContentPackConfigLoader(pack_name=PACK, user="stanley").get_config()
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        config["st2_api"] = {**config["st2_api"], "url": url, "api_key": key}
        return _post_and_fire(config) + _refusals(config)
    finally:
        server.shutdown()
        server.server_close()
        sys.path.remove(os.path.join(pack_path, "lib"))
        cfg.CONF.set_override("enable", False, group="auth")


def _send(config, hook, rows):
    """What a search with webhook=hook dry_run=false runs after finding ``rows``."""
    from action_runtime.search_webhook import WebhookRequest, send
    from apis.search_results import search_result

    sample = rule_samples()[RULE]["payload"]["body"]
    found = search_result(rows, query_type=sample["query_type"])
    parameters = {"cloud_account": sample["cloud_account"]}
    return send(WebhookRequest(hook, dry_run=False), found, parameters, config)


def _post_and_fire(config):
    from st2common.persistence.rule import Rule

    rule = Rule.query(ref=f"{PACK}.{RULE}").first()
    rule.enabled = True  # shipped disabled, as in check_rules
    Rule.add_or_update(rule)
    sample = rule_samples()[RULE]
    what = f"st2api webhook {HOOK} -> rule {RULE}"
    before = len(BUS.messages)
    try:
        result = _send(config, HOOK, sample["payload"]["body"]["rows"])
    except Exception as exc:  # pylint: disable=broad-except
        return [Finding(False, what, _short(exc))]
    posted = result["webhook"]
    sent = [p for _, key, p in BUS.messages[before:] if key == "trigger_instance"]
    if posted["status"] != 202 or len(sent) != 1:
        return [Finding(False, what, f"answered {posted}, {len(sent)} trigger(s) dispatched")]
    message = sent[0]
    payload = message["payload"]
    want = sample["payload"]
    problems = []
    if payload["body"] != want["body"]:
        problems.append(f"body {payload['body']} (documented {want['body']})")
    for group in ("headers", "headers_lower"):
        for name, value in want[group].items():
            if payload[group].get(name) != value:
                problems.append(f"{group}[{name}] {payload[group].get(name)!r} (documented)")
    leaked = [h for h in payload["headers"] if h.lower() in ("st2-api-key", "x-auth-token")]
    if leaked:
        problems.append(f"auth header(s) {leaked} reached the trigger payload")
    if message["trigger"]["type"] != "core.st2.webhook":
        problems.append(f"trigger type {message['trigger']['type']}")
    if problems:
        return [Finding(False, what, "; ".join(problems))]
    fired = {"trigger": message["trigger"], "payload": payload}
    ok, detail = fire_rule(f"{PACK}.{RULE}", fired, sample.get("parameters"))
    return [Finding(ok, what, f"POST {posted['url']} answered 202; " + detail)]


def _refusals(config):
    findings = []
    cases = [
        ("no-such-hook", config, "Webhook no-such-hook not registered with st2"),
        (
            HOOK,
            {**config, "st2_api": {**config["st2_api"], "api_key": "not-a-key"}},
            "StackStorm refused st2_api.api_key",
        ),
    ]
    for hook, given, expected in cases:
        what = f"st2api webhook {hook} refused"
        try:
            result = _send(given, hook, [{"server_id": "x"}])
            findings.append(Finding(False, what, f"posted: {result['webhook']}"))
        except Exception as exc:  # pylint: disable=broad-except
            text = str(exc)
            ok = expected in text and "\n" not in text and f"webhook {hook!r}" in text
            ok = ok and getattr(exc, "report", None) is not None
            findings.append(Finding(ok, what, f"{type(exc).__name__}: {text}"))
    return findings
