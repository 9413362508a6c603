"""Stand-in for ``st2reactor.sensor.base`` (StackStorm 3.8+ signatures)."""

import abc


class BaseSensor(abc.ABC):
    """Common base of sensors."""

    def __init__(self, sensor_service, config=None):
        self._sensor_service = sensor_service
        self.sensor_service = sensor_service
        self._config = config or {}
        self.config = self._config

    @abc.abstractmethod
    def setup(self):
        """Called once before run/poll."""

    @abc.abstractmethod
    def cleanup(self):
        """Called when the sensor container stops the sensor."""

    @abc.abstractmethod
    def add_trigger(self, trigger):
        """A trigger of this sensor's types was created."""

    @abc.abstractmethod
    def update_trigger(self, trigger):
        """A trigger was updated."""

    @abc.abstractmethod
    def remove_trigger(self, trigger):
        """A trigger was deleted."""


class Sensor(BaseSensor):
    """A long-running sensor."""

    @abc.abstractmethod
    def run(self):
        """Run forever, dispatching triggers."""


class PollingSensor(BaseSensor):
    """A sensor whose ``poll`` StackStorm calls every ``poll_interval`` seconds."""

    def __init__(self, sensor_service, config=None, poll_interval=5):
        super().__init__(sensor_service=sensor_service, config=config)
        self._poll_interval = poll_interval

    @abc.abstractmethod
    def poll(self):
        """One poll."""

    def get_poll_interval(self):
        """Seconds between polls."""
        return self._poll_interval

    def set_poll_interval(self, poll_interval):
        """Change the seconds between polls."""
        self._poll_interval = poll_interval
