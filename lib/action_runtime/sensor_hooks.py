"""What StackStorm asks of every sensor but the pack's polling sensors have no use for.

Sensors list this before ``PollingSensor`` (``class X(StaticTriggerHooks, PollingSensor)``),
so their entry files keep only ``__init__``, ``setup`` and ``poll``. No st2 import here: lib
must load without StackStorm.
"""


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
