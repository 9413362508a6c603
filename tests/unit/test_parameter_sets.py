"""Parameter sets: the action runtime builds one lib argument from the parameters it shares."""

import dataclasses
from typing import Optional

import pytest

from action_runtime.dispatch import build_arguments
from action_runtime.errors import ParameterError
from action_runtime.lib_signature import action_parameters, set_fields
from apis.email_api.account import SMTPAccount
from apis.parameter_set import ParameterSet
from workflows.email_common import Delivery
from workflows.email_users import email_users_with_shutoff_vms

CONFIG = {
    "smtp_accounts": [{"name": "relay", "host": "smtp.example.org"}],
    "email_footer": {"team_name": "Ops"},
}


@dataclasses.dataclass(frozen=True)
class Window(ParameterSet):
    """A parameter set with a required field."""

    start: str
    end: Optional[str] = None


def scheduled(name: str, window: Window, dry_run: bool = True):
    """A lib function taking a parameter set."""
    return name, window, dry_run


def clashing(start: str, window: Window):
    """A lib function whose own parameter is also a field of its set."""
    return start, window


def test_a_set_is_taken_as_its_fields_in_its_place():
    assert action_parameters(scheduled) == {
        "name": True,
        "start": True,
        "end": False,
        "dry_run": False,
    }
    assert set_fields(scheduled) == {f"{__name__}.Window": ["start", "end"]}


def test_a_field_named_twice_is_a_bug():
    with pytest.raises(TypeError, match=r"takes parameter 'start' twice"):
        action_parameters(clashing)


def test_the_set_is_built_from_the_parameters_and_the_config():
    arguments = build_arguments(
        email_users_with_shutoff_vms,
        {"cloud_account": "prod", "smtp_account": "relay", "cc": ["desk@x.org"], "dry_run": False},
        CONFIG,
    )
    # the runtime opens the connection (conn) for cloud_account itself
    assert arguments == {
        "delivery": Delivery(
            SMTPAccount(name="relay", host="smtp.example.org"),
            cc=["desk@x.org"],
            dry_run=False,
            email_footer={"team_name": "Ops"},
        ),
    }


def test_a_missing_required_field_is_named():
    with pytest.raises(ParameterError, match=r"scheduled\(\) needs parameter\(s\) start \(of its"):
        build_arguments(scheduled, {"name": "x"}, {})
    assert build_arguments(scheduled, {"name": "x", "start": "now"}, {}) == {
        "name": "x",
        "window": Window("now"),
    }


def test_the_set_itself_is_not_a_parameter():
    with pytest.raises(ParameterError, match="parameter 'delivery' is not accepted"):
        build_arguments(email_users_with_shutoff_vms, {"delivery": {}}, CONFIG)
