"""Dispatches cloudops.network.router_gateway_finding once per router with an unexpected
external gateway."""

from st2reactor.sensor.base import PollingSensor

from action_runtime.sensor_hooks import ConfiguredPollHooks
from workflows import finding_watch, router_gateway_watch


class RouterGatewaySensor(ConfiguredPollHooks, PollingSensor):
    """Thin: the router check and the datastore logic live in lib."""

    idle_message = "router_gateway_sensor.cloud_account is not configured: idle"

    def __init__(self, sensor_service, config=None, poll_interval=300):
        super().__init__(sensor_service=sensor_service, config=config, poll_interval=poll_interval)
        self._logger = sensor_service.get_logger(name=self.__class__.__name__)

    def settings_from(self, config):
        return router_gateway_watch.RouterGatewaySettings.from_config(config)

    def poll_configured(self, settings):
        finding_watch.poll_into(self.sensor_service, self._logger, router_gateway_watch, settings)
