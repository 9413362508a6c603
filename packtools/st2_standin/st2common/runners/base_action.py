"""Stand-in for ``st2common.runners.base_action`` (StackStorm 3.8+ signatures)."""

import abc
import logging


class Action(abc.ABC):
    """Base class of python-script actions."""

    description = None

    def __init__(self, config=None, action_service=None):
        self.config = config or {}
        self.action_service = action_service
        self.logger = logging.getLogger(f"st2.actions.python.{self.__class__.__name__}")

    @abc.abstractmethod
    def run(self, **kwargs):
        """Run the action."""
        raise NotImplementedError()
