"""The cloudops pack itself passes every contract check."""

import json
import shutil
from pathlib import Path

import yaml

from packtools import entry_probe
from packtools.contract import check_pack, main

ROOT = Path(__file__).resolve().parents[2]


def test_pack_has_no_contract_problem():
    assert [str(p) for p in check_pack(ROOT)] == []


def test_contract_cli_reports_and_exits(capsys):
    assert main([str(ROOT)]) == 0
    assert capsys.readouterr().out.strip().endswith("0 contract problem(s)")


def test_every_python_action_loads_on_the_production_path():
    """Loaded by path in ``python -I``: only lib/, actions/lib and the entry folder importable."""
    for path in sorted((ROOT / "actions").glob("*.yaml")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
        if meta["runner_type"] != "python-script":
            continue
        entry = ROOT / "actions" / meta["entry_point"]
        lib_function = meta["parameters"]["lib_function"]["default"]
        answer = entry_probe.inspect_entry(ROOT, entry, "action", [lib_function])
        assert answer.get("classes") == ["LibFunctionAction"], json.dumps(answer)
        assert answer["sys_path_front"][:2] == [str(ROOT / "lib"), str(ROOT / "actions" / "lib")]
        assert "error" not in answer["functions"][lib_function]


def test_lib_does_not_import_st2_or_packtools():
    for path in (ROOT / "lib").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for forbidden in ("import st2", "from st2", "packtools", "from lib.", "import lib."):
            assert forbidden not in text, f"{path}: {forbidden}"


def test_a_parameter_set_field_defined_differently_is_named(tmp_path):
    """Every notification action defines Delivery's parameters alike (YAML has no includes)."""
    pack = tmp_path / "cloudops"
    shutil.copytree(
        ROOT,
        pack,
        ignore=shutil.ignore_patterns(
            ".*", "build", "devcloud", "tests", "benchmarks", "st2stage", "__pycache__"
        ),
    )
    path = pack / "actions" / "email.users.with.errored.vms.yaml"
    meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    meta["parameters"]["cc"]["description"] = "Copied."
    path.write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    problems = [str(p) for p in check_pack(pack)]
    assert problems == [
        "actions/email.users.with.errored.vms.yaml: parameter 'cc' (of the parameter set "
        "workflows.email_common.Delivery) is {'type': 'array', 'description': 'Copied.', "
        "'items': {'type': 'string'}}, unlike in actions/check.stale.servers.yaml "
        "and the other actions taking the set: define it identically in every one"
    ]
