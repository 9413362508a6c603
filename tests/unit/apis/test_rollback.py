"""apis.rollback: undos run newest first, every one tried, every outcome reported."""

import pytest

from apis.errors import CloudopsError
from apis.rollback import Rollback, Step, run_saga, summary


def test_undos_run_in_reverse_and_report_each_outcome():
    ran = []
    rollback = Rollback(failure=lambda err: {"error": f"described: {err}"})
    rollback.add("project", lambda: ran.append("project"))
    rollback.add("ports", lambda: ran.append("ports") or ["port p1", "port p2"], itemized=True)
    rollback.add("patch", None)
    rollback.add("silence", lambda: {"silence_id": "s1"})
    rollback.add("router", lambda: 1 / 0)
    outcomes = rollback.run()
    assert ran == ["ports", "project"]
    assert outcomes == [
        {"step": "router", "outcome": "rollback failed", "error": "described: division by zero"},
        {"step": "silence", "outcome": "undone", "silence_id": "s1"},
        {"step": "patch", "outcome": "cannot be undone"},
        {"step": "ports", "outcome": "undone", "removed": ["port p1", "port p2"]},
        {"step": "project", "outcome": "undone"},
    ]


def test_a_saga_undoes_the_done_steps_with_what_they_did():
    undone = []

    def fail():
        raise CloudopsError("no route")

    steps = [
        Step("silence", lambda: {"id": "s1"}, lambda did: undone.append(did) or {}),
        Step("patch", lambda: {}),
        Step("reboot", fail),
        Step("check", lambda: {}),
    ]
    ok, report = run_saga(steps)
    assert not ok and undone == [{"id": "s1"}] and report["failed_step"] == "reboot"
    assert [s["outcome"] for s in report["steps"]] == ["done", "done", "failed", "not run"]
    assert report["rollback"] == [
        {"step": "patch", "outcome": "cannot be undone"},
        {"step": "silence", "outcome": "undone"},
    ]


def test_a_bug_in_a_step_is_raised_after_the_rollback():
    undone = []
    steps = [Step("a", lambda: {}, lambda did: undone.append("a") or {}), Step("b", dict.pop)]
    with pytest.raises(TypeError):
        run_saga(steps)
    assert undone == ["a"]


def test_summary_names_what_was_and_was_not_rolled_back_and_run_forgets():
    rollback = Rollback()
    rollback.add("network a", lambda: None)
    rollback.add("sweep", lambda: ["port p", "router r"], itemized=True)
    rollback.add("project b", lambda: (_ for _ in ()).throw(RuntimeError("keystone down")))
    line = summary(rollback.run())
    assert line == (
        "rolled back: port p, router r, network a; "
        "NOT rolled back (clean up by hand): project b (keystone down)"
    )
    assert not rollback and summary(rollback.run()) == "rolled back: nothing"
