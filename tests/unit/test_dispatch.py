"""The action runtime: lib function resolution, arguments from parameters and config."""

import dataclasses
import datetime
import enum

import pytest

from action_runtime.dispatch import build_arguments, dispatch, resolve
from action_runtime.errors import EntryPointError, ParameterError
from action_runtime.jsonable import to_jsonable
from apis.account import AccountNotFoundError
from apis.account_kinds import AccountKind
from apis.email_api.account import SMTPAccount
from apis.errors import CloudopsError
from tests.result_schemas import check_result

CONFIG = {
    "smtp_accounts": [{"name": "relay", "host": "smtp.example.org", "password": "hunter2"}],
    "protected_projects": ["admin"],
}


def needs_smtp(smtp_account, subject="hi"):
    """A lib function taking an account."""
    return {"host": smtp_account.host, "subject": subject}


def needs_config(project, protected_projects):
    """A lib function fed from the pack config."""
    return project in protected_projects


def fails(reason):
    """A lib function failing the expected way."""
    raise CloudopsError(f"cannot: {reason}")


def fails_with_report(server):
    """A runbook failing after part of its work, with a report of what it did."""
    raise CloudopsError("1 of 2 servers failed", report={"moved": [server], "when": FIXED_TIME})


FIXED_TIME = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.timezone.utc)


def crashes():
    """A lib function with a bug."""
    raise ZeroDivisionError("bug")


@pytest.mark.parametrize(
    "name, message",
    [
        ("no_colon", "must look like 'package.module:function'"),
        ("missing_module_xyz:f", "cannot import"),
        ("workflows.hello:nope", "has no nope()"),
    ],
)
def test_resolve_errors_name_the_entry_point(name, message):
    with pytest.raises(EntryPointError, match=message):
        resolve(name)


def test_resolve_finds_function():
    assert resolve("workflows.hello:hello")(name="x") == {"greeting": "Hello, x!"}


def test_account_parameter_becomes_dataclass():
    arguments = build_arguments(needs_smtp, {"smtp_account": "relay", "subject": None}, CONFIG)
    assert isinstance(arguments["smtp_account"], SMTPAccount)
    assert "subject" not in arguments


def test_unknown_account_lists_valid_names_and_suggests():
    with pytest.raises(
        AccountNotFoundError, match=r"'rellay'.*valid choices: relay. Did you mean 'relay'"
    ):
        build_arguments(needs_smtp, {"smtp_account": "rellay"}, CONFIG)


def test_no_accounts_configured():
    with pytest.raises(AccountNotFoundError, match="none configured"):
        AccountKind.JIRA.lookup("jsm", {})


def test_config_key_fills_missing_argument():
    assert build_arguments(needs_config, {"project": "admin"}, CONFIG) == {
        "project": "admin",
        "protected_projects": ["admin"],
    }


def test_unaccepted_parameter_is_refused():
    with pytest.raises(ParameterError, match=r"'colour' is not accepted by needs_config\(\)"):
        build_arguments(needs_config, {"project": "p", "colour": "red"}, CONFIG)


def test_dispatch_success_and_expected_failure():
    assert dispatch("workflows.hello:hello", {"name": "ops"}, {}) == (
        True,
        {"greeting": "Hello, ops!"},
    )
    check_result("hello", {"greeting": "Hello, ops!"})
    ok, result = dispatch(f"{__name__}:fails", {"reason": "quota"}, {})
    assert not ok
    assert result == {"error": "cannot: quota", "error_type": "CloudopsError"}


def test_dispatch_failure_carries_the_report():
    ok, result = dispatch(f"{__name__}:fails_with_report", {"server": "vm1"}, {})
    assert not ok
    assert result == {
        "error": "1 of 2 servers failed",
        "error_type": "CloudopsError",
        "report": {"moved": ["vm1"], "when": to_jsonable(FIXED_TIME)},
    }


def test_dispatch_entry_point_error_is_a_failure():
    ok, result = dispatch("workflows.hello:nope", {}, {})
    assert not ok and result["error_type"] == "EntryPointError"


def test_dispatch_lets_bugs_raise():
    with pytest.raises(ZeroDivisionError):
        dispatch(f"{__name__}:crashes", {}, {})


def test_for_parameter():
    assert AccountKind.for_parameter("ssh_account") is AccountKind.SSH
    assert AccountKind.for_parameter("cloud_account") is None


class Colour(enum.Enum):
    """An enum for serialisation."""

    RED = "red"


def test_to_jsonable():
    account = SMTPAccount.from_config(CONFIG["smtp_accounts"][0])
    naive = datetime.datetime(2026, 1, 2, 3, 4, 5)
    value = {
        "when": naive,
        "day": datetime.date(2026, 1, 2),
        "colour": Colour.RED,
        "tags": {"b", "a"},
        "pair": (1, 2),
        "account": account,
        3: None,
    }
    assert to_jsonable(value) == {
        "when": "2026-01-02T03:04:05+00:00",
        "day": "2026-01-02",
        "colour": "red",
        "tags": ["a", "b"],
        "pair": [1, 2],
        "account": account.public_view(),
        "3": None,
    }
    assert "hunter2" not in str(to_jsonable(value))


def test_to_jsonable_dataclass():
    @dataclasses.dataclass
    class Row:
        """A plain dataclass."""

        name: str
        at: datetime.datetime

    aware = datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)
    assert to_jsonable([Row("a", aware)]) == [{"name": "a", "at": "2026-01-02T00:00:00+00:00"}]
