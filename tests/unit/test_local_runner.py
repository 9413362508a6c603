"""The local runner: parameter and config validation, the production path, exit codes."""

import io
import json
import os
import re
import sys

import pytest

from packtools import entry_probe, local_runner

BAD_CONFIG = "smtp_accounts:\n  - name: relay\n"


def run(*argv, config=None):
    """Run the local runner in-process (the action itself still runs in a fresh interpreter)."""
    out, err = io.StringIO(), io.StringIO()
    args = list(argv)
    if config is not None:
        args = ["--config", str(config)] + args
    code = local_runner.run(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def result_of(out: str):
    """The JSON answer the runner printed last."""
    return json.loads(out[out.index("{") :])


def test_hello_runs_with_defaults(tmp_path):
    code, out, _ = run("cloudops.hello", config=tmp_path / "absent.yaml")
    assert code == 0
    assert result_of(out) == {"status": "succeeded", "result": {"greeting": "Hello, world!"}}


def test_hello_with_parameter(tmp_path):
    code, out, _ = run("hello", "name=ops team", config=tmp_path / "absent.yaml")
    assert code == 0
    assert result_of(out)["result"] == {"greeting": "Hello, ops team!"}


def test_runner_parameters_are_the_runners_not_the_actions(tmp_path):
    """As in StackStorm, timeout and log_level are the python runner's: accepted and validated,
    never passed to run() (hello's lib function takes neither, so it would fail otherwise)."""
    code, out, _ = run("hello", "timeout=5", "log_level=INFO", config=tmp_path / "absent.yaml")
    assert code == 0, out
    assert result_of(out)["result"] == {"greeting": "Hello, world!"}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["helo"], "no action 'helo' in pack cloudops; actions: accounts.list,"),
        (["helo"], "Did you mean 'hello'?"),
        (
            ["hello", "nmae=x"],
            "hello has no parameter 'nmae'; valid parameters: content_version, debug, env, "
            "lib_function, log_level, name, timeout",
        ),
        (["hello", "lib_function=os:system"], "parameter 'lib_function' of hello is immutable"),
        (["accounts.list", "kind=mail"], "kind: 'mail' is not one of"),
        (["openstack.cloud.info"], "'cloud_account' is a required property"),
        (["hello", "name"], "'name' is not key=value"),
        (["hello", "timeout=1.5"], "timeout: 1.5 is not of type 'integer'"),
    ],
)
def test_usage_errors_exit_2_naming_the_problem(tmp_path, argv, message):
    code, out, err = run(*argv, config=tmp_path / "absent.yaml")
    assert code == 2
    assert message in err
    assert out == ""


def test_invalid_config_is_refused(tmp_path):
    config = tmp_path / "cloudops.yaml"
    config.write_text(BAD_CONFIG, encoding="utf-8")
    code, _, err = run("hello", config=config)
    assert code == 2
    assert (
        "does not match config.schema.yaml: smtp_accounts.0: 'host' is a required property" in err
    )


def test_unreadable_config_is_refused(tmp_path):
    config = tmp_path / "cloudops.yaml"
    config.write_text("smtp_accounts: [\n", encoding="utf-8")
    code, _, err = run("hello", config=config)
    assert code == 2 and "cannot be read" in err


def test_config_from_environment(tmp_path, monkeypatch):
    config = tmp_path / "env.yaml"
    config.write_text(BAD_CONFIG, encoding="utf-8")
    monkeypatch.setenv("CLOUDOPS_CONFIG", str(config))
    code, _, err = run("hello")
    assert code == 2 and str(config) in err


def test_failed_action_exits_1(tmp_path, monkeypatch):
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text("clouds: {}\n", encoding="utf-8")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    code, out, _ = run(
        "openstack.cloud.info", "cloud_account=nowhere", config=tmp_path / "absent.yaml"
    )
    assert code == 1
    answer = result_of(out)
    assert answer["status"] == "failed"
    assert answer["result"]["error_type"] == "UnknownCloudError"


def test_parse_value_types():
    assert local_runner.parse_value("n", "3", {"type": "integer"}) == 3
    assert local_runner.parse_value("b", "true", {"type": "boolean"}) is True
    assert local_runner.parse_value("a", "x, y", {"type": "array"}) == ["x", "y"]
    assert local_runner.parse_value("a", '["x"]', {"type": "array"}) == ["x"]
    assert local_runner.parse_value("o", '{"k": 1}', {"type": "object"}) == {"k": 1}
    assert local_runner.parse_value("s", "007", {"type": ["string", "null"]}) == "007"
    with pytest.raises(local_runner.UsageError, match="cannot parse"):
        local_runner.parse_value("o", "{bad", {"type": "object"})


def test_type_errors_are_reported(tmp_path):
    pack = tmp_path / "pack"
    (pack / "actions").mkdir(parents=True)
    (pack / "pack.yaml").write_text("ref: p\nname: p\n", encoding="utf-8")
    (pack / "actions" / "a.yaml").write_text(
        "name: a\nrunner_type: python-script\nentry_point: a.py\n"
        "parameters:\n  count:\n    type: integer\n",
        encoding="utf-8",
    )
    code, _, err = run("--pack", str(pack), "a", "count=many", config=tmp_path / "absent.yaml")
    assert code == 2 and "count: 'many' is not of type 'integer'" in err


def test_workflow_actions_are_refused(tmp_path):
    pack = tmp_path / "pack"
    (pack / "actions").mkdir(parents=True)
    (pack / "pack.yaml").write_text("ref: p\nname: p\n", encoding="utf-8")
    (pack / "actions" / "w.yaml").write_text(
        "name: w\nrunner_type: orquesta\nentry_point: workflows/w.yaml\n", encoding="utf-8"
    )
    code, _, err = run("--pack", str(pack), "p.w", config=tmp_path / "absent.yaml")
    assert code == 2 and "w runs on the orquesta runner, which only StackStorm has" in err


@pytest.mark.parametrize("output_type", ["table", "CSV", "html", "markdown"])
def test_a_text_output_prints_as_text(output_type):
    result = {"rows": [{"a": 1, "b": 2}], "count": 1, "output_type": output_type}
    answer = {"status": "succeeded", "result": {**result, "output": "a  b\n1  2"}}
    assert local_runner.format_answer(answer, {"output_type": output_type}, raw=False) == (
        f"status: succeeded\ncount: 1\noutput_type: {output_type}\n\na  b\n1  2"
    )


@pytest.mark.parametrize(
    "answer, parameters, raw",
    [
        ({"status": "succeeded", "result": {"output": "a"}}, {"output_type": "table"}, True),
        (
            {"status": "succeeded", "result": {"rows": [{"a": 1}], "output": None}},
            {"output_type": "props"},
            False,
        ),
        ({"status": "succeeded", "result": {"output": "{}"}}, {"output_type": "json"}, False),
        ({"status": "failed", "result": "boom"}, {"output_type": "table"}, False),
        ({"status": "succeeded", "result": {"greeting": "hi"}}, {}, False),
    ],
)
def test_everything_else_prints_as_json(answer, parameters, raw):
    assert json.loads(local_runner.format_answer(answer, parameters, raw)) == answer


def test_progress_lines_are_shown_on_stderr(tmp_path):
    code, out, err = run("hello", "name=ops", config=tmp_path / "absent.yaml")
    assert code == 0, out
    assert re.search(
        r" INFO workflows\.hello: hello ops: greeted \(1 of 1, \d+\.\d s\)$", err, re.M
    )


def test_log_level_warning_silences_progress(tmp_path):
    code, out, err = run("--log-level", "WARNING", "hello", config=tmp_path / "absent.yaml")
    assert code == 0, out
    assert "greeted" not in err


def test_stderr_lines_are_handed_over_while_the_action_runs(tmp_path):
    """The child waits for a file that only the line callback creates: without streaming it
    would give up after 10 s and exit 3."""
    go_on = tmp_path / "seen"
    child = (
        "import os, sys, time\n"
        "sys.stderr.write('drain hv-1: migrated server web-1 (1 of 2, 0.5 s)\\n')\n"
        "sys.stderr.flush()\n"
        "deadline = time.monotonic() + 10\n"
        f"while not os.path.exists({str(go_on)!r}):\n"
        "    if time.monotonic() > deadline:\n"
        "        sys.exit(3)\n"
        "    time.sleep(0.01)\n"
        "print('done')\n"
    )
    seen = []

    def on_line(line):
        seen.append(line)
        go_on.touch()

    proc = entry_probe.run_streaming(
        [sys.executable, "-c", child], "", dict(os.environ), tmp_path, on_line
    )
    assert proc.returncode == 0 and proc.stdout == "done\n"
    assert seen == ["drain hv-1: migrated server web-1 (1 of 2, 0.5 s)\n"]
    assert proc.stderr == seen[0]
