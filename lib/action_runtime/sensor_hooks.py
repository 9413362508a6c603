"""What StackStorm asks of every sensor but the pack's polling sensors have no use for.

Sensors list this before ``PollingSensor`` (``class X(StaticTriggerHooks, PollingSensor)``),
so their entry files keep only ``__init__``, ``setup`` and ``poll``. No st2 import here: lib
must load without StackStorm.
"""

from typing import Any, Mapping

from workflows import finding_watch


class StaticTriggerHooks:
    """Trigger hooks and cleanup of a sensor whose triggers take no parameters."""

    def cleanup(self):
        """Nothing held between polls (connections are opened per poll)."""

    def add_trigger(self, trigger):
        """Trigger instances carry no parameters: nothing to track."""

    def update_trigger(self, trigger):
        """Trigger instances carry no parameters: nothing to track."""

    def remove_trigger(self, trigger):
        """Trigger instances carry no parameters: nothing to track."""


class FindingPollHooks(StaticTriggerHooks):
    """``setup`` and ``poll`` of a sensor that dispatches one trigger per finding
    (``workflows.finding_watch``).

    The sensor sets ``watch`` (a module with ``DATASTORE_KEY``, ``TRIGGER`` and
    ``poll(settings, previous)``), ``idle_message``, and ``settings_from(config)``: the
    settings, or None when the pack config leaves the sensor idle. Its ``__init__`` sets
    ``_logger``.
    """

    watch: Any = None
    idle_message = "not configured: idle"
    _settings: Any = None
    # set by StackStorm's Sensor.__init__ and the sensor's own (annotations only: no defaults
    # here to shadow them)
    config: Mapping[str, Any]
    sensor_service: Any
    _logger: Any

    def settings_from(self, config: Mapping[str, Any]) -> Any:
        """The sensor's settings from the pack config, or None (idle)."""
        raise NotImplementedError

    def setup(self):
        """Read the settings once; an idle sensor says so."""
        self._settings = self.settings_from(self.config or {})
        if self._settings is None:
            self._logger.info(self.idle_message)

    def poll(self):
        """Dispatch the findings not dispatched before (nothing when idle)."""
        if self._settings is None:
            return
        finding_watch.poll_into(
            self.sensor_service,
            self._logger,
            self.watch.DATASTORE_KEY,
            self.watch.TRIGGER,
            lambda previous: self.watch.poll(self._settings, previous),
        )
