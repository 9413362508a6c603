"""Which query types chain to which, through which properties (``then``/``append_from``)."""

from __future__ import annotations

from typing import Dict

from apis.openstack_query_api.mapping import Link
from apis.openstack_query_api.resources.flavors import FlavorProperties as F
from apis.openstack_query_api.resources.hypervisors import HypervisorProperties as H
from apis.openstack_query_api.resources.images import ImageProperties as I
from apis.openstack_query_api.resources.network_resources import FloatingIPProperties as FIP
from apis.openstack_query_api.resources.network_resources import NetworkProperties as NET
from apis.openstack_query_api.resources.network_resources import PortProperties as PORT
from apis.openstack_query_api.resources.network_resources import SecurityGroupProperties as SG
from apis.openstack_query_api.resources.projects import ProjectProperties as P
from apis.openstack_query_api.resources.servers import ServerProperties as S
from apis.openstack_query_api.resources.users import UserProperties as U

LINKS: Dict[str, Dict[str, Link]] = {
    "servers": {
        "users": Link(S.SERVER_USER_ID, U.USER_ID),
        "projects": Link(S.SERVER_PROJECT_ID, P.PROJECT_ID),
        "hypervisors": Link(S.SERVER_HYPERVISOR_NAME, H.HYPERVISOR_NAME),
        "flavors": Link(S.SERVER_FLAVOR_NAME, F.FLAVOR_NAME),
        "images": Link(S.SERVER_IMAGE_ID, I.IMAGE_ID),
    },
    "users": {"servers": Link(U.USER_ID, S.SERVER_USER_ID)},
    "projects": {"servers": Link(P.PROJECT_ID, S.SERVER_PROJECT_ID)},
    "hypervisors": {"servers": Link(H.HYPERVISOR_NAME, S.SERVER_HYPERVISOR_NAME)},
    "flavors": {"servers": Link(F.FLAVOR_NAME, S.SERVER_FLAVOR_NAME)},
    "images": {"servers": Link(I.IMAGE_ID, S.SERVER_IMAGE_ID)},
    "floating_ips": {"projects": Link(FIP.FLOATING_IP_PROJECT_ID, P.PROJECT_ID)},
    "networks": {"projects": Link(NET.NETWORK_PROJECT_ID, P.PROJECT_ID)},
    "ports": {"projects": Link(PORT.PORT_PROJECT_ID, P.PROJECT_ID)},
    "security_groups": {"projects": Link(SG.SECURITY_GROUP_PROJECT_ID, P.PROJECT_ID)},
}


def links_from(query_type_name: str) -> Dict[str, Link]:
    """Target type name -> link, for one source type."""
    return LINKS.get(query_type_name, {})
