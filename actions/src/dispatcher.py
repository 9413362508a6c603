"""The one python runner of the pack: every python action names its lib function in YAML."""

from st2common.runners.base_action import Action

from action_runtime.dispatch import dispatch


class LibFunctionAction(Action):
    """Runs the lib function named by the action's immutable ``lib_function`` parameter."""

    def run(self, lib_function, **parameters):  # pylint: disable=arguments-differ
        return dispatch(lib_function, parameters, self.config)
