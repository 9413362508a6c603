"""Move Jira issues through their workflow (``jira.transition``).

An issue moves along a transition chosen by name (or id), or along the transition that leads
to a target state. An optional expected from-state guards against acting on an issue someone
else has already moved. Asking for the state the issue is already in changes nothing. A dry
run (the action's default: Jira Service Management emails a request's customers when it
moves) checks all of that and says where the issue would go.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional

from apis.jira_api.account import JiraAccount
from apis.jira_api.connection import CloudopsJira, connect
from apis.jira_api.exceptions import JiraParameterError, JiraTransitionError
from apis.jira_api.issues import fetch_issue
from apis.results import ChangeResult, ObjectOutcome, Outcome


@dataclasses.dataclass
class TransitionResult(ChangeResult):
    """The change result (the issue: done, or unchanged when it was there already), where the
    issue was and where it is now (or would be, in a dry run)."""

    issue: str
    from_state: str
    to_state: str
    transition: Optional[str] = None


def _moved(dry_run: bool, key: str, current: str, to_state: str, transition=None):
    outcome = Outcome.DONE if transition else Outcome.UNCHANGED
    reason = "" if transition else f"already in {current!r}"
    moved = ObjectOutcome("issue", key, outcome, "transition", reason, key)
    return TransitionResult(dry_run, [moved], key, current, to_state, transition)


def _describe(transitions: List[Dict[str, Any]]) -> str:
    if not transitions:
        return "none"
    return ", ".join(f"{t['name']!r} (to {t['to']['name']!r})" for t in transitions)


def _pick(
    transitions: List[Dict[str, Any]], transition: Optional[str], to_state: Optional[str]
) -> Optional[Dict[str, Any]]:
    if transition:
        wanted = transition.lower()
        return next(
            (t for t in transitions if wanted in (str(t["name"]).lower(), str(t["id"]))), None
        )
    wanted = str(to_state).lower()
    return next((t for t in transitions if str(t["to"]["name"]).lower() == wanted), None)


def transition_issue(
    client: CloudopsJira,
    issue: str,
    transition: Optional[str] = None,
    to_state: Optional[str] = None,
    expected_state: Optional[str] = None,
    dry_run: bool = False,
) -> TransitionResult:
    """Move ``issue`` by ``transition`` name or id, or to ``to_state``; exactly one of them.

    Raises JiraTransitionError naming the current state and the available transitions when the
    issue is not in ``expected_state`` or no matching transition is available.
    """
    if bool(transition) == bool(to_state):
        raise JiraParameterError("give exactly one of transition (a name) and to_state")
    found = fetch_issue(client, issue, fields="status")
    key, current = found.key, found.fields.status.name
    if to_state and current.lower() == to_state.lower():
        return _moved(dry_run, key, current, current)
    available = client.transitions(key)
    if expected_state and current.lower() != expected_state.lower():
        raise JiraTransitionError(
            f"issue {key} is in state {current!r}, not the expected_state {expected_state!r}; "
            f"available transitions: {_describe(available)}"
        )
    chosen = _pick(available, transition, to_state)
    if chosen is None:
        asked = f"transition {transition!r}" if transition else f"to_state {to_state!r}"
        raise JiraTransitionError(
            f"issue {key} in state {current!r} has no {asked}; "
            f"available transitions: {_describe(available)}"
        )
    if not dry_run:
        client.transition_issue(key, str(chosen["id"]))
    return _moved(dry_run, key, current, str(chosen["to"]["name"]), str(chosen["name"]))


def move_issue(
    jira_account: JiraAccount,
    issue: str,
    transition: Optional[str] = None,
    to_state: Optional[str] = None,
    expected_state: Optional[str] = None,
    dry_run: bool = True,
) -> TransitionResult:
    """Move ``issue`` by ``transition`` name or to ``to_state``, optionally only from
    ``expected_state``; a dry run only says where it would go."""
    with connect(jira_account) as client:
        return transition_issue(client, issue, transition, to_state, expected_state, dry_run)
