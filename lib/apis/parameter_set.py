"""Parameter sets: action parameters that many actions share, passed to a lib function as one.

A parameter set is a dataclass deriving from :class:`ParameterSet`. A lib function takes it
as one argument annotated with the class; the action runtime builds it from the action
parameters named like its fields (``*_account`` fields looked up like any account parameter,
pack config keys filling fields no parameter gives). So each action YAML defines the fields
as parameters (StackStorm YAML has no includes; a contract check keeps the definitions
identical) while the lib functions never repeat them.
"""


class ParameterSet:  # pylint: disable=too-few-public-methods
    """Base of a dataclass of shared action parameters (see the module doc)."""
