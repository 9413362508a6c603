"""Load a pack entry file the way StackStorm's python runner does, in a fresh interpreter.

Run as ``python -I entry_wrapper.py`` with a JSON request on stdin; writes a JSON answer to
the file named in the request. ``-I`` keeps PYTHONPATH, the user site and the current
directory off ``sys.path``, so only the production path is importable: ``<pack>/lib``,
then (for actions) ``<pack>/actions/lib``, then the entry file's own directory. The
StackStorm stand-ins are appended only when the real ``st2common`` is not importable.
Self-contained on purpose: it cannot import the rest of packtools.
"""

import importlib
import importlib.util
import inspect
import json
import logging
import os
import sys
import traceback

PRODUCTION_BASES = {
    "action": "st2common.runners.base_action:Action",
    "sensor": "st2reactor.sensor.base:Sensor,st2reactor.sensor.base:PollingSensor",
}


def production_path(pack_root, entry_file, kind):
    """The directories StackStorm puts before site-packages, plus the entry's own folder."""
    paths = [os.path.join(pack_root, "lib")]
    if kind == "action":
        paths.append(os.path.join(pack_root, "actions", "lib"))
    return paths, os.path.dirname(os.path.abspath(entry_file))


def setup_path(request):
    """Put the production path (and, if needed, the stand-ins) on sys.path."""
    front, entry_dir = production_path(request["pack_root"], request["entry_file"], request["kind"])
    sys.path[:0] = front
    sys.path.append(entry_dir)
    try:
        importlib.import_module("st2common")
    except ImportError:
        sys.path.append(request["standin"])


def base_classes(kind):
    """The StackStorm classes an entry class of this kind must subclass."""
    bases = []
    for spec in PRODUCTION_BASES[kind].split(","):
        module, _, name = spec.partition(":")
        bases.append(getattr(importlib.import_module(module), name))
    return tuple(bases)


def load_entry(request):
    """Import the entry file under its basename, as StackStorm does."""
    path = request["entry_file"]
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def entry_classes(module, kind):
    """Concrete classes defined in the module that subclass the StackStorm base of ``kind``.

    Returns ``(concrete, abstract)``: an abstract one misses a method StackStorm calls.
    """
    bases = base_classes(kind)
    defined = [
        (name, obj)
        for name, obj in sorted(vars(module).items())
        if inspect.isclass(obj) and obj.__module__ == module.__name__ and issubclass(obj, bases)
    ]
    concrete = [name for name, obj in defined if not inspect.isabstract(obj)]
    abstract = {
        name: sorted(obj.__abstractmethods__) for name, obj in defined if inspect.isabstract(obj)
    }
    return concrete, abstract


def describe_function(lib_function):
    """Signature facts of a ``module:function`` reached through the production path, as the
    pack's action runtime sees them (cloudops': each parameter set spread into its fields)."""
    module_name, _, attribute = lib_function.partition(":")
    function = getattr(importlib.import_module(module_name), attribute)
    described = describe_callable(function)
    try:
        from action_runtime.lib_signature import action_parameters, set_fields
    except ImportError:  # a pack without cloudops' action runtime
        return described
    taken = action_parameters(function)
    described["accepts"] = list(taken)
    described["required"] = [name for name, required in taken.items() if required]
    described["parameter_sets"] = set_fields(function)
    return described


def describe_callable(function, bound=True):
    """Which keyword arguments a callable takes, which it requires, whether it takes **kwargs.

    ``bound=False`` describes a method taken from its class: ``self`` is left out.
    """
    parameters = list(inspect.signature(function).parameters.values())[0 if bound else 1 :]
    return {
        "accepts": [p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)],
        "required": [
            p.name
            for p in parameters
            if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ],
        "var_keyword": any(p.kind == p.VAR_KEYWORD for p in parameters),
    }


def inspect_entry(request):
    """What StackStorm would find in the entry file, and the lib functions it would call."""
    answer = {"classes": [], "functions": {}}
    module = load_entry(request)
    answer["classes"], answer["abstract"] = entry_classes(module, request["kind"])
    if request["kind"] == "action" and answer["classes"]:
        run = getattr(module, answer["classes"][0]).run
        answer["run_signature"] = describe_callable(run, bound=False)
    for lib_function in request.get("lib_functions", []):
        try:
            answer["functions"][lib_function] = describe_function(lib_function)
        except Exception as err:  # pylint: disable=broad-except
            answer["functions"][lib_function] = {"error": f"{type(err).__name__}: {err}"}
    return answer


def run_action(request):
    """Instantiate the first entry class, as StackStorm does, and run it with the parameters."""
    module = load_entry(request)
    classes, _ = entry_classes(module, "action")
    if not classes:
        raise RuntimeError(f"no Action class in {request['entry_file']}")
    services = importlib.import_module("standin_services") if request.get("standin_used") else None
    action_service = services.ActionService() if services else None
    action = getattr(module, classes[0])(config=request["config"], action_service=action_service)
    result = action.run(**request["parameters"])
    if isinstance(result, tuple) and len(result) == 2:
        if not isinstance(result[0], bool):
            error = "run() returned a pair whose first item is not a bool"
            return {"status": "failed", "result": list(result), "error": error}
        return {"status": "succeeded" if result[0] else "failed", "result": result[1]}
    return {"status": "succeeded", "result": result}


def main():
    """Read the request, do it, write the answer (errors included) as JSON."""
    request = json.load(sys.stdin)
    logging.basicConfig(
        level=request.get("log_level", "INFO"),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    setup_path(request)
    request["standin_used"] = request["standin"] in sys.path
    try:
        answer = inspect_entry(request) if request["mode"] == "inspect" else run_action(request)
    except BaseException as err:  # pylint: disable=broad-except
        answer = {
            "status": "failed",
            "error": f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(),
        }
    answer["sys_path_front"] = sys.path[:3]
    with open(request["answer_file"], "w", encoding="utf-8") as handle:
        json.dump(answer, handle, default=str)


if __name__ == "__main__":
    main()
