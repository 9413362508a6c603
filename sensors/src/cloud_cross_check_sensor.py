"""Dispatches cloudops.cloud.cross_check_finding once per cross-check finding."""

from st2reactor.sensor.base import PollingSensor

from action_runtime.sensor_hooks import ConfiguredPollHooks
from workflows import cloud_cross_check, finding_watch


class CloudCrossCheckSensor(ConfiguredPollHooks, PollingSensor):
    """Thin: the comparison and the datastore logic live in lib/workflows."""

    idle_message = "cross_check source_cloud/target_cloud are not configured: idle"

    def __init__(self, sensor_service, config=None, poll_interval=900):
        super().__init__(sensor_service=sensor_service, config=config, poll_interval=poll_interval)
        self._logger = sensor_service.get_logger(name=self.__class__.__name__)

    def settings_from(self, config):
        return cloud_cross_check.CrossCheckConfig.from_config(
            config.get(cloud_cross_check.CONFIG_KEY)
        )

    def poll_configured(self, settings):
        finding_watch.poll_into(self.sensor_service, self._logger, cloud_cross_check, settings)
