"""The action runtime opens one connection per cloud of an execution and always closes it."""

from typing import List

import pytest

from action_runtime.cloud_connections import cloud_parameters
from action_runtime.dispatch import build_arguments, dispatch
from apis.errors import CloudopsError
from apis.openstack_api import connection
from apis.openstack_api.exceptions import UnknownCloudError

HERE = __name__


class Conn:
    """An opened connection: which cloud, and whether it was closed."""

    def __init__(self, cloud: str):
        self.cloud = cloud
        self.closed = False


def uses_cloud(conn, server, dry_run=True):
    """A lib function on one cloud."""
    return {"cloud": conn.cloud, "server": server, "dry_run": dry_run, "open": not conn.closed}


def compares(source_conn, target_conn):
    """A lib function on two clouds."""
    return [source_conn.cloud, target_conn.cloud]


def fails_on_cloud(conn):
    """A lib function failing the expected way."""
    raise CloudopsError(f"server not found in {conn.cloud}")


def crashes_on_cloud(conn):
    """A lib function with a bug."""
    raise ZeroDivisionError(conn.cloud)


@pytest.fixture(name="opened")
def fixture_opened(monkeypatch) -> List[Conn]:
    """Every connection the runtime opens, through the real ``connect`` context manager
    around a stand-in ``open_connection`` (no cloud is reached)."""
    opened: List[Conn] = []

    def open_connection(cloud_account):
        if cloud_account == "nowhere":
            raise UnknownCloudError("cloud_account 'nowhere' is not a known cloud")
        opened.append(Conn(cloud_account))
        opened[-1].close = lambda conn=opened[-1]: setattr(conn, "closed", True)
        return opened[-1]

    monkeypatch.setattr(connection, "open_connection", open_connection)
    return opened


def test_cloud_parameters_pair_each_connection_with_its_cloud():
    assert cloud_parameters(uses_cloud) == {"conn": "cloud_account"}
    assert cloud_parameters(compares) == {
        "source_conn": "source_cloud_account",
        "target_conn": "target_cloud_account",
    }
    assert not cloud_parameters(lambda server, reconnect=False: None)


def test_cloud_account_goes_to_the_runtime_not_the_function():
    arguments = build_arguments(uses_cloud, {"cloud_account": "prod", "server": "vm1"}, {})
    assert arguments == {"server": "vm1"}


def test_one_connection_per_execution_closed_afterwards(opened):
    ok, result = dispatch(f"{HERE}:uses_cloud", {"cloud_account": "prod", "server": "vm1"}, {})
    assert ok and result == {"cloud": "prod", "server": "vm1", "dry_run": True, "open": True}
    assert [(c.cloud, c.closed) for c in opened] == [("prod", True)]


def test_one_connection_per_cloud(opened):
    parameters = {"source_cloud_account": "prod", "target_cloud_account": "staging"}
    assert dispatch(f"{HERE}:compares", parameters, {}) == (True, ["prod", "staging"])
    assert [(c.cloud, c.closed) for c in opened] == [("prod", True), ("staging", True)]


def test_closed_after_an_expected_failure(opened):
    ok, result = dispatch(f"{HERE}:fails_on_cloud", {"cloud_account": "prod"}, {})
    assert not ok and result == {
        "error": "server not found in prod",
        "error_type": "CloudopsError",
    }
    assert [c.closed for c in opened] == [True]


def test_closed_after_a_bug(opened):
    with pytest.raises(ZeroDivisionError):
        dispatch(f"{HERE}:crashes_on_cloud", {"cloud_account": "prod"}, {})
    assert [c.closed for c in opened] == [True]


def test_a_failed_second_cloud_closes_the_first(opened):
    parameters = {"source_cloud_account": "prod", "target_cloud_account": "nowhere"}
    ok, result = dispatch(f"{HERE}:compares", parameters, {})
    assert not ok and result["error_type"] == "UnknownCloudError"
    assert [(c.cloud, c.closed) for c in opened] == [("prod", True)]


def test_missing_cloud_parameter_is_named(opened):
    ok, result = dispatch(f"{HERE}:uses_cloud", {"server": "vm1"}, {})
    assert not ok and result == {
        "error": "parameter 'cloud_account' is required by uses_cloud(): "
        "name a cloud of clouds.yaml",
        "error_type": "ParameterError",
    }
    assert not opened


def test_bad_parameters_are_refused_before_connecting(opened):
    ok, result = dispatch(f"{HERE}:uses_cloud", {"cloud_account": "prod", "colour": "red"}, {})
    assert not ok and result["error_type"] == "ParameterError"
    assert not opened
