"""Dispatches cloudops.cloud.cross_check_finding once per cross-check finding."""

from st2reactor.sensor.base import PollingSensor

from action_runtime.sensor_hooks import StaticTriggerHooks
from workflows import cloud_cross_check, finding_watch


class CloudCrossCheckSensor(StaticTriggerHooks, PollingSensor):
    """Thin: the comparison and the datastore logic live in lib/workflows."""

    def __init__(self, sensor_service, config=None, poll_interval=900):
        super().__init__(sensor_service=sensor_service, config=config, poll_interval=poll_interval)
        self._logger = sensor_service.get_logger(name=self.__class__.__name__)
        self._settings = None

    def setup(self):
        self._settings = cloud_cross_check.CrossCheckConfig.from_config(
            (self.config or {}).get(cloud_cross_check.CONFIG_KEY)
        )
        if self._settings is None:
            self._logger.info("cross_check source_cloud/target_cloud are not configured: idle")

    def poll(self):
        if self._settings is None:
            return
        finding_watch.poll_into(
            self.sensor_service,
            self._logger,
            cloud_cross_check.DATASTORE_KEY,
            cloud_cross_check.TRIGGER,
            lambda previous: cloud_cross_check.poll(self._settings, previous),
        )
