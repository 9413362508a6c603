"""Dispatches cloudops.network.router_gateway_finding once per router with an unexpected
external gateway."""

from st2reactor.sensor.base import PollingSensor

from action_runtime.sensor_hooks import StaticTriggerHooks
from workflows import finding_watch, router_gateway_watch


class RouterGatewaySensor(StaticTriggerHooks, PollingSensor):
    """Thin: the router check and the datastore logic live in lib."""

    def __init__(self, sensor_service, config=None, poll_interval=300):
        super().__init__(sensor_service=sensor_service, config=config, poll_interval=poll_interval)
        self._logger = sensor_service.get_logger(name=self.__class__.__name__)
        self._settings = None

    def setup(self):
        self._settings = router_gateway_watch.RouterGatewaySettings.from_config(self.config)
        if self._settings is None:
            self._logger.info("router_gateway_sensor.cloud_account is not configured: idle")

    def poll(self):
        if self._settings is None:
            return
        finding_watch.poll_into(
            self.sensor_service,
            self._logger,
            router_gateway_watch.DATASTORE_KEY,
            router_gateway_watch.TRIGGER,
            lambda previous: router_gateway_watch.poll(self._settings, previous),
        )
