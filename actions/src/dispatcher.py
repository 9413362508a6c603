"""The one python runner of the pack: every python action names its lib function in YAML."""

from st2common.runners.base_action import Action

from action_runtime.dispatch import dispatch
from action_runtime.log_output import send_to_stderr


class LibFunctionAction(Action):
    """Runs the lib function named by the action's immutable ``lib_function`` parameter."""

    def run(self, lib_function, **parameters):  # pylint: disable=arguments-differ
        send_to_stderr(self.logger.getEffectiveLevel())
        return dispatch(lib_function, parameters, self.config)
