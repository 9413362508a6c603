"""ML2 mechanism driver ``devcloud``: binds every port without an L2 agent (test clouds only).

Loaded by neutron-server (Debian's python3, plugins/ on PYTHONPATH) through the entry point in
devcloud_ml2-0.1.dist-info.
"""

# neutron_lib exists only in Debian's python3, not in the project's .venv
# pylint: disable=import-error
from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class DevcloudMechanismDriver(api.MechanismDriver):
    """Binds any port on any host without an L2 agent (test clouds only)."""

    def initialize(self):
        """Nothing to set up."""

    def bind_port(self, context):
        """Bind to the first segment as an OVS port, ACTIVE at once (nova waits for that)."""
        for segment in context.segments_to_bind:
            context.set_binding(
                segment[api.ID],
                portbindings.VIF_TYPE_OVS,
                {portbindings.CAP_PORT_FILTER: True, portbindings.OVS_HYBRID_PLUG: False},
                status=constants.PORT_STATUS_ACTIVE,
            )
            return
