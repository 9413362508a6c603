"""The StackStorm stand-ins mirror the real constructor signatures and services."""

import inspect
import sys
from pathlib import Path

import pytest

STANDIN = Path(__file__).resolve().parents[2] / "packtools" / "st2_standin"


@pytest.fixture(name="st2", scope="module")
def fixture_st2():
    """The stand-in modules, imported from their folder."""
    sys.path.insert(0, str(STANDIN))
    try:
        from st2common.runners import base_action
        from st2reactor.sensor import base
        import standin_services

        yield base_action, base, standin_services
    finally:
        sys.path.remove(str(STANDIN))


def test_action_signature_and_defaults(st2):
    base_action, _, services = st2
    assert list(inspect.signature(base_action.Action.__init__).parameters) == [
        "self",
        "config",
        "action_service",
    ]

    class Echo(base_action.Action):
        """A trivial action."""

        def run(self, **kwargs):
            """Echo the parameters."""
            return kwargs

    action = Echo(action_service=services.ActionService())
    assert action.config == {}
    assert action.logger.name.endswith("Echo")
    with pytest.raises(TypeError):
        base_action.Action()  # abstract: run() is required, as in StackStorm


def test_sensor_signatures(st2):
    _, base, _ = st2
    assert list(inspect.signature(base.Sensor.__init__).parameters) == [
        "self",
        "sensor_service",
        "config",
    ]
    assert list(inspect.signature(base.PollingSensor.__init__).parameters) == [
        "self",
        "sensor_service",
        "config",
        "poll_interval",
    ]
    assert base.PollingSensor.__abstractmethods__ == frozenset(
        {"setup", "poll", "cleanup", "add_trigger", "update_trigger", "remove_trigger"}
    )


def test_polling_sensor_dispatch_and_datastore(st2):
    _, base, services = st2

    class Counter(base.PollingSensor):
        """Counts polls in the datastore and dispatches each."""

        def setup(self):
            """Start counting at zero."""
            self.sensor_service.set_value("count", "0")

        def poll(self):
            """Count and dispatch."""
            count = int(self.sensor_service.get_value("count")) + 1
            self.sensor_service.set_value("count", str(count))
            self.sensor_service.dispatch(trigger="cloudops.counted", payload={"count": count})

        def cleanup(self):
            """Forget the count."""
            self.sensor_service.delete_value("count")

        def add_trigger(self, trigger):
            """Not used."""

        def update_trigger(self, trigger):
            """Not used."""

        def remove_trigger(self, trigger):
            """Not used."""

    service = services.SensorService()
    sensor = Counter(sensor_service=service, config={"k": 1}, poll_interval=30)
    sensor.setup()
    sensor.poll()
    sensor.poll()
    assert sensor.get_poll_interval() == 30
    sensor.set_poll_interval(10)
    assert sensor.get_poll_interval() == 10
    assert sensor.config == {"k": 1}
    assert [d["payload"] for d in service.dispatched] == [{"count": 1}, {"count": 2}]
    assert service.list_values(prefix="co") == [("count", "2")]
    sensor.cleanup()
    assert service.get_value("count") is None
    assert service.delete_value("count") is False
    service.dispatch_with_context("cloudops.x", {"a": 1}, {"trace_tag": "t"})
    assert service.dispatched[-1]["trace_context"] == {"trace_tag": "t"}
    assert service.get_logger("Counter").name == "st2.sensor.Counter"
