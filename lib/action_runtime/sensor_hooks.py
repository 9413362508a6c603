"""What StackStorm asks of every sensor but the pack's polling sensors have no use for, and
the one poll path they share.

Sensors list these before ``PollingSensor`` (``class X(PollingSensorHooks, PollingSensor)``),
so their entry files keep only ``__init__``, ``setup`` and ``poll_once``. ``poll`` (what
StackStorm calls every interval) runs ``poll_once`` and logs any failure instead of letting it
out: an exception out of ``poll`` ends the sensor process (StackStorm restarts it a few times,
then gives up), and a cloud or service that is down, unknown or refusing must only cost one
poll. No st2 import here: lib must load without StackStorm.
"""

from typing import Any, Mapping

from action_runtime.error_translation import translate


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


class PollingSensorHooks(StaticTriggerHooks):
    """The guarded ``poll`` of every polling sensor of the pack: it calls ``poll_once`` and
    logs a failure (an outside one - our apis' errors, network errors - as an error; anything
    else with its traceback) and returns, so the sensor polls again next interval.

    The sensor's ``__init__`` sets ``_logger``.
    """

    _logger: Any

    def poll_once(self) -> None:
        """One poll: read, dispatch, remember."""
        raise NotImplementedError

    def poll(self):
        """``poll_once``; a failure is logged, never raised (see the class doc)."""
        try:
            self.poll_once()
        except Exception as raised:  # pylint: disable=broad-exception-caught
            # a sensor outlives every failure; only a bug (nothing translates it) or a bare
            # OSError keeps its traceback in the log
            err = translate(raised)
            if err is not None or isinstance(raised, OSError):
                err = err or raised
                self._logger.error(
                    "poll failed, trying again next poll: %s: %s", type(err).__name__, err
                )
            else:
                self._logger.exception("poll failed, trying again next poll")


class ConfiguredPollHooks(PollingSensorHooks):
    """``setup`` and ``poll_once`` of a sensor that polls only when the pack config sets it up.

    The sensor defines ``settings_from(config)`` (its settings, or None when the pack config
    leaves it idle), ``poll_configured(settings)`` (one poll) and ``idle_message``. Its
    ``__init__`` sets ``_logger``.
    """

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

    def poll_configured(self, settings: Any) -> None:
        """One poll with the settings."""
        raise NotImplementedError

    def setup(self):
        """Read the settings once; an idle sensor says so."""
        self._settings = self.settings_from(self.config or {})
        if self._settings is None:
            self._logger.info(self.idle_message)

    def poll_once(self):
        """``poll_configured`` (nothing when idle)."""
        if self._settings is not None:
            self.poll_configured(self._settings)
