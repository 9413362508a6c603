"""Dispatches cloudops.hypervisor.state_change for every hypervisor whose state changed."""

from st2reactor.sensor.base import PollingSensor

from action_runtime.sensor_hooks import PollingSensorHooks
from workflows import hypervisor_watch


class HypervisorStateSensor(PollingSensorHooks, PollingSensor):
    """Thin: the state machine and the polling live in lib/workflows."""

    def __init__(self, sensor_service, config=None, poll_interval=60):
        super().__init__(sensor_service=sensor_service, config=config, poll_interval=poll_interval)
        settings = (config or {}).get("hypervisor_sensor") or {}
        self._cloud = settings.get("cloud_account")
        self._window = 60 * float(settings.get("reboot_window_minutes", 60))
        self._uptime_limit_days = float(
            settings.get("uptime_limit_days", hypervisor_watch.DEFAULT_UPTIME_LIMIT_DAYS)
        )
        maintenance = (config or {}).get("hypervisor_maintenance") or {}
        self._max_in_maintenance = int(
            maintenance.get(
                "max_hosts_in_maintenance_per_aggregate",
                hypervisor_watch.DEFAULT_MAX_HOSTS_IN_MAINTENANCE,
            )
        )
        self._logger = sensor_service.get_logger(name=self.__class__.__name__)

    def setup(self):
        if not self._cloud:
            self._logger.info("hypervisor_sensor.cloud_account is not configured: idle")

    def poll_once(self):
        if not self._cloud:
            return
        previous = hypervisor_watch.load_states(
            self.sensor_service.get_value(hypervisor_watch.DATASTORE_KEY)
        )
        payloads, states = hypervisor_watch.poll(
            self._cloud,
            previous,
            self._window,
            uptime_limit_days=self._uptime_limit_days,
            max_hosts_in_maintenance=self._max_in_maintenance,
        )
        for payload in payloads:
            self.sensor_service.dispatch(trigger=hypervisor_watch.TRIGGER, payload=payload)
        self.sensor_service.set_value(hypervisor_watch.DATASTORE_KEY, states)
