"""Open openstacksdk connections by clouds.yaml cloud name.

Only the boundaries open one: the action runtime once per execution, a sensor once per poll.
The apis and workflows take the open connection (``conn``).
"""

from __future__ import annotations

import contextlib
import difflib
import threading
from typing import Any, Iterator, List

from apis.openstack_api.error_translation import (
    remember_connection,
    remember_endpoint,
    translate,
)
from apis.openstack_api.exceptions import CloudConnectionError, UnknownCloudError


def known_clouds() -> List[str]:
    """The cloud names in the clouds.yaml files this host reads (OS_CLIENT_CONFIG_FILE first).

    openstacksdk invents a cloud called ``defaults`` when no file defines any: not a choice.
    """
    from openstack import config as os_config

    names = os_config.OpenStackConfig().get_cloud_names()
    return sorted(name for name in names if name != "defaults")


def check_cloud_name(cloud_account: str) -> None:
    """Fail with the valid choices (and a did-you-mean) when the cloud name is unknown."""
    clouds = known_clouds()
    if cloud_account in clouds:
        return
    hint = difflib.get_close_matches(cloud_account, clouds, n=1)
    suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
    choices = ", ".join(clouds) if clouds else "none (no clouds.yaml found)"
    raise UnknownCloudError(
        f"cloud_account {cloud_account!r} is not a known cloud; "
        f"valid clouds: {choices}.{suggestion}"
    )


def open_connection(cloud_account: str) -> "openstack.connection.Connection":  # noqa: F821
    """An authenticated connection to the named cloud; the caller closes it (or lets it go)."""
    import openstack
    from keystoneauth1 import exceptions as ks_exceptions

    check_cloud_name(cloud_account)
    try:
        conn = openstack.connect(cloud=cloud_account)
        auth_url = (conn.config.get_auth_args() or {}).get("auth_url")
        if auth_url:
            remember_endpoint(auth_url, "identity")
        conn.authorize()
    except (ks_exceptions.ClientException, openstack.exceptions.SDKException) as err:
        raise CloudConnectionError(
            f"cannot connect to cloud {cloud_account!r}: {translate(err)}"
        ) from None
    remember_connection(conn)
    return conn


@contextlib.contextmanager
def connect(cloud_account: str) -> Iterator["openstack.connection.Connection"]:  # noqa: F821
    """A connection to the named cloud, authenticated up front and closed afterwards."""
    conn = open_connection(cloud_account)
    try:
        yield conn
    finally:
        conn.close()


class WorkerConnections:
    """One connection per worker thread, each over the execution's authenticated session.

    ``conn.global_request`` is openstacksdk's way to derive a connection over the same
    keystoneauth session: the workers reuse its token (keystoneauth refreshes it under a lock)
    and its connection pool, and never authenticate again.
    """

    def __init__(self, conn: Any):
        self.conn = conn
        self._local = threading.local()

    def get(self):
        """This thread's connection, derived on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.conn.global_request(None)
            self._local.conn = conn
        return conn
