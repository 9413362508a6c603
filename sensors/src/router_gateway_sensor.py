"""Dispatches cloudops.network.router_gateway_finding once per router with an unexpected
external gateway."""

from st2reactor.sensor.base import PollingSensor

from action_runtime.sensor_hooks import FindingPollHooks
from workflows import router_gateway_watch


class RouterGatewaySensor(FindingPollHooks, PollingSensor):
    """Thin: the router check and the datastore logic live in lib."""

    watch = router_gateway_watch
    idle_message = "router_gateway_sensor.cloud_account is not configured: idle"

    def __init__(self, sensor_service, config=None, poll_interval=300):
        super().__init__(sensor_service=sensor_service, config=config, poll_interval=poll_interval)
        self._logger = sensor_service.get_logger(name=self.__class__.__name__)

    def settings_from(self, config):
        return router_gateway_watch.RouterGatewaySettings.from_config(config)
