"""In-memory action and sensor services with the method signatures of StackStorm 3.8+."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

SYSTEM_SCOPE = "system"
USER_SCOPE = "user"


class Datastore:
    """The key-value store behind ``get_value``/``set_value``/``delete_value``/``list_values``."""

    def __init__(self, initial: Optional[Dict[str, Any]] = None):
        self.values: Dict[str, Any] = dict(initial or {})

    def list_values(self, local=True, prefix=None):  # pylint: disable=unused-argument
        """Stored items as (name, value) pairs, optionally those whose name starts with prefix."""
        return [
            (k, v) for k, v in sorted(self.values.items()) if not prefix or k.startswith(prefix)
        ]

    def get_value(
        self, name, local=True, scope=SYSTEM_SCOPE, decrypt=False
    ):  # pylint: disable=unused-argument
        """The stored value, or None."""
        return self.values.get(name)

    def set_value(
        self, name, value, ttl=None, local=True, scope=SYSTEM_SCOPE, encrypt=False
    ):  # pylint: disable=unused-argument,too-many-arguments
        """Store a value (StackStorm stores strings; callers serialise)."""
        self.values[name] = value
        return True

    def delete_value(self, name, local=True, scope=SYSTEM_SCOPE):  # pylint: disable=unused-argument
        """Delete a value; False when there was none."""
        return self.values.pop(name, None) is not None


class ActionService(Datastore):
    """What an Action gets as ``action_service``."""


class SensorService(Datastore):
    """What a Sensor gets as ``sensor_service``: datastore plus recorded dispatches."""

    def __init__(self, initial: Optional[Dict[str, Any]] = None):
        super().__init__(initial)
        self.dispatched: List[Dict[str, Any]] = []

    def get_logger(self, name):
        """A logger for the sensor."""
        return logging.getLogger(f"st2.sensor.{name}")

    def dispatch(self, trigger, payload=None, trace_tag=None):
        """Record a trigger instance instead of sending it to the message bus."""
        self.dispatched.append({"trigger": trigger, "payload": payload, "trace_tag": trace_tag})

    def dispatch_with_context(self, trigger, payload=None, trace_context=None):
        """Record a trigger instance with a trace context."""
        self.dispatched.append(
            {"trigger": trigger, "payload": payload, "trace_context": trace_context}
        )
