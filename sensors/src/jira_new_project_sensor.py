"""Dispatches cloudops.jira.request_new_project once per JSM request in the ready state."""

from st2reactor.sensor.base import PollingSensor

from action_runtime.sensor_hooks import PollingSensorHooks
from workflows import jira_request_watch


class JiraNewProjectSensor(PollingSensorHooks, PollingSensor):
    """Thin: the search and the once-per-request bookkeeping live in lib/workflows."""

    def __init__(self, sensor_service, config=None, poll_interval=60):
        super().__init__(sensor_service=sensor_service, config=config, poll_interval=poll_interval)
        self._config = config or {}
        self._logger = sensor_service.get_logger(name=self.__class__.__name__)

    def setup(self):
        if not self._config.get("jira_new_project"):
            self._logger.info("jira_new_project is not configured: idle")

    def poll_once(self):
        result = jira_request_watch.poll(
            self._config, self.sensor_service.get_value(jira_request_watch.DATASTORE_KEY)
        )
        if result.error:
            self._logger.error("JSM poll failed, nothing dispatched: %s", result.error)
        for payload in result.payloads:
            self.sensor_service.dispatch(trigger=jira_request_watch.TRIGGER, payload=payload)
        if result.stored is not None:
            self.sensor_service.set_value(jira_request_watch.DATASTORE_KEY, result.stored)
