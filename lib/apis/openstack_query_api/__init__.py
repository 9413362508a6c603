"""Our SQL-like query library over openstacksdk.

    from apis.openstack_query_api import ServerQuery, UserQuery
    query = (
        ServerQuery()
        .where("==", "status", value="SHUTOFF")
        .where("older_than", "created_at", days=90)
        .run(conn, all_projects=True, as_admin=True)
    )
    owners = query.then(UserQuery, keep_previous_results=True)
    print(owners.select("name", "email").to_string())

Imports of the resource modules (and of openstacksdk) happen when a query type is used.
"""

from apis.openstack_query_api.query_types import (  # noqa: F401
    AggregateQuery,
    FlavorQuery,
    FloatingIPQuery,
    HypervisorQuery,
    ImageQuery,
    NetworkQuery,
    PortQuery,
    ProjectQuery,
    SecurityGroupQuery,
    ServerQuery,
    UserQuery,
)
from apis.openstack_query_api.presets import Preset  # noqa: F401
from apis.openstack_query_api.resource_types import QueryType  # noqa: F401
