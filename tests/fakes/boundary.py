"""Stand-ins for where a connection is opened: a sensor poll's ``connect(cloud_account)``."""

import contextlib
from typing import Any
from unittest import mock

from apis.openstack_api import connection


def connect_yielding(conn: Any) -> Any:
    """An autospec of :func:`apis.openstack_api.connection.connect` whose connection is
    ``conn``; its ``call_args_list`` has the cloud names asked for."""

    @contextlib.contextmanager
    def opened(cloud_account):  # pylint: disable=unused-argument
        yield conn

    return mock.create_autospec(connection.connect, side_effect=opened)
