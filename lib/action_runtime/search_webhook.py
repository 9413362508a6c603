"""Every search can POST its result to a StackStorm webhook: the ``webhook`` parameter.

The action runtime, not each search, owns it: :func:`take_webhook` removes ``webhook`` (and,
for a lib function without its own ``dry_run``, ``dry_run``: the contract tests allow that
only beside ``webhook``) from the action's parameters before the lib call, and :func:`send`
posts the search result afterwards. Posting is the one thing a search sends, so every search
takes ``dry_run``, true by default like every sending action's: it holds back only the post,
the search itself always runs.

The body posted (:func:`webhook_body`) is the search result without its rendering (no
``output``, ``output_type``, ``hint``): ``rows`` (a list, or an object of group -> rows),
``count``, the search's own fields (``query_type``...), and ``cloud_account``, the cloud the
search ran in (null when it takes none). StackStorm hands it to rules as ``trigger.body``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from action_runtime.errors import ParameterError
from action_runtime.jsonable import to_jsonable
from action_runtime.lib_signature import action_parameters

WEBHOOK = "webhook"
DRY_RUN = "dry_run"
RENDERING = ("output", "output_type", "hint")
SEARCH_KEYS = ("rows", "count", "output_type")


@dataclasses.dataclass(frozen=True)
class WebhookRequest:
    """Post the search result to webhook ``name`` (only pretend when ``dry_run``)."""

    name: str
    dry_run: bool = True


def take_webhook(
    function: Callable[..., Any], parameters: Mapping[str, Any]
) -> Tuple[Dict[str, Any], Optional[WebhookRequest]]:
    """The parameters for the lib call, and the webhook request when one is named."""
    rest = dict(parameters)
    name = rest.pop(WEBHOOK, None)
    dry_run = True
    if DRY_RUN not in action_parameters(function):
        dry_run = rest.pop(DRY_RUN, True)
    if not name:
        return rest, None
    return rest, WebhookRequest(name=str(name), dry_run=dry_run is not False)


def webhook_body(result: Mapping[str, Any], parameters: Mapping[str, Any]) -> Dict[str, Any]:
    """What a search posts (see the module doc)."""
    body = {k: v for k, v in result.items() if k not in RENDERING}
    body["cloud_account"] = parameters.get("cloud_account")
    return to_jsonable(body)


def send(
    request: WebhookRequest,
    result: Any,
    parameters: Mapping[str, Any],
    config: Mapping[str, Any],
) -> Dict[str, Any]:
    """``result`` with ``webhook``: what was posted where (or would be, in a dry run). A failed
    post raises :class:`~apis.st2_api.exceptions.WebhookPostError` with the search result as its
    report."""
    from apis.st2_api.account import St2ApiAccount
    from apis.st2_api.exceptions import St2ApiError
    from apis.st2_api.webhooks import post_webhook

    result = to_jsonable(result)
    if not isinstance(result, dict) or not all(key in result for key in SEARCH_KEYS):
        raise ParameterError(
            f"parameter {WEBHOOK!r}: only a search's result can be posted to a webhook"
        )
    try:
        account = St2ApiAccount.from_pack_config(config)
        posted = post_webhook(
            account, request.name, webhook_body(result, parameters), request.dry_run
        )
    except St2ApiError as err:
        err.report = result
        raise
    return {**result, WEBHOOK: to_jsonable(posted)}
