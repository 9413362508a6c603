"""Built-in StackStorm references a pack may point at without declaring them."""

CORE_TRIGGERS = frozenset(
    {
        "core.st2.CronTimer",
        "core.st2.DateTimer",
        "core.st2.IntervalTimer",
        "core.st2.webhook",
        "core.st2.generic.actiontrigger",
        "core.st2.generic.notifytrigger",
        "core.st2.generic.inquiry",
        "core.st2.action.file_written",
        "core.st2.sensor.process_spawn",
        "core.st2.sensor.process_exit",
        "core.st2.key_value_pair.create",
        "core.st2.key_value_pair.update",
        "core.st2.key_value_pair.value_change",
        "core.st2.key_value_pair.delete",
    }
)

# st2common.operators (3.8): the comparison types a rule criterion may use.
CRITERIA_OPERATORS = frozenset(
    """matchwildcard matchregex regex iregex eq equals neq nequals ieq iequals contains
    icontains ncontains incontains startswith istartswith endswith iendswith lt lessthan gt
    greaterthan td_lt timediff_lt td_gt timediff_gt exists nexists in inside nin ninside
    search""".split()
)

CORE_ACTIONS = frozenset(
    {
        "core.announcement",
        "core.ask",
        "core.echo",
        "core.error",
        "core.http",
        "core.inject_trigger",
        "core.local",
        "core.local_sudo",
        "core.noop",
        "core.pause",
        "core.remote",
        "core.remote_sudo",
        "core.sendmail",
        "core.uuid",
        "core.winrm_cmd",
        "core.winrm_ps_cmd",
        "chatops.post_message",
        "chatops.post_result",
    }
)

RUNNER_TYPES = frozenset(
    {
        "python-script",
        "orquesta",
        "local-shell-cmd",
        "local-shell-script",
        "remote-shell-cmd",
        "remote-shell-script",
        "http-request",
        "noop",
        "inquirer",
        "winrm-cmd",
        "winrm-ps-cmd",
        "winrm-ps-script",
    }
)

SCRIPT_RUNNERS = frozenset(
    {"python-script", "orquesta", "local-shell-script", "remote-shell-script", "winrm-ps-script"}
)

_CONCURRENCY = {
    "threshold": {"type": "integer", "minimum": 0},
    "action": {"type": "string", "enum": ["delay", "cancel"]},
}
# The parameters_schema of each policy type StackStorm registers (st2 3.8+).
POLICY_PARAMETERS = {
    "action.concurrency": _CONCURRENCY,
    "action.concurrency.attr": {
        **_CONCURRENCY,
        "attributes": {"type": "array", "items": {"type": "string"}},
    },
    "action.retry": {
        "retry_on": {"type": "string", "enum": ["failure", "timeout"], "required": True},
        "max_retry_count": {"type": "integer", "minimum": 0},
        "delay": {"type": "integer", "minimum": 0},
    },
}
POLICY_TYPES = frozenset(POLICY_PARAMETERS)

ORQUESTA_COMMANDS = frozenset({"fail", "noop", "continue", "retry"})

# The runner parameters of the runners the pack uses, as their runner.yaml declares them in
# StackStorm 3.9 (contrib/runners/<runner>/<runner>/runner.yaml). StackStorm merges them with an
# action's parameters but never passes them to the action's run(): the runner consumes them.
RUNNER_PARAMETERS = {
    "python-script": {
        "debug": {
            "description": "Enable runner debug mode.",
            "type": "boolean",
            "required": False,
            "default": False,
        },
        "content_version": {
            "description": "Git revision of the pack content to use for this action execution "
            "(git commit sha / tag / branch). Only applies to packs which are git repositories.",
            "type": "string",
            "required": False,
        },
        "env": {
            "description": "Environment variables which will be available to the script.",
            "type": "object",
        },
        "timeout": {
            "default": 600,
            "description": "Action timeout in seconds. Action will get killed if it doesn't "
            "finish in timeout seconds.",
            "type": "integer",
        },
        "log_level": {
            "description": "Default log level for Python runner actions.",
            "type": "string",
            "default": "DEBUG",
            "enum": ["AUDIT", "CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"],
        },
    },
    "orquesta": {
        "notify": {
            "type": "array",
            "description": "List of tasks to trigger notifications for.",
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1, "pattern": "^\\w+$"},
            "default": [],
        },
    },
}

# st2common.util.schema.RUNNER_PARAM_OVERRIDABLE_ATTRS: the only attributes of a runner
# parameter an action may change; any other attribute it writes must equal the runner's.
RUNNER_PARAM_OVERRIDABLE_ATTRS = frozenset(
    {"default", "description", "enum", "immutable", "required"}
)
