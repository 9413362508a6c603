"""Each deliberately broken fixture pack fails the contract with its own message."""

import shutil
from pathlib import Path

import pytest

from packtools.contract import check_pack

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BASE = FIXTURES / "base_pack"
CASES = sorted(p.name for p in (FIXTURES / "broken").iterdir() if p.is_dir())


def overlay(case: str, target: Path) -> Path:
    """The base pack with the case's files laid over it, in ``target``."""
    pack = target / "fixturepack"
    shutil.copytree(BASE, pack)
    for path in (FIXTURES / "broken" / case).rglob("*"):
        if path.is_file() and path.name != "expected.txt":
            destination = pack / path.relative_to(FIXTURES / "broken" / case)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    return pack


def test_base_pack_is_clean(tmp_path):
    """Without a defect the fixture pack has no problem, so each case's problem is its own."""
    assert [str(p) for p in check_pack(overlay("__none__", tmp_path))] == []


def test_there_is_a_case_for_every_area():
    """Pack, config, actions, entries, sensors, lib, rules, policies, aliases, workflows."""
    areas = {case.split("_")[0] for case in CASES}
    assert areas == {
        "pack",
        "config",
        "action",
        "entry",
        "sensor",
        "lib",
        "rule",
        "policy",
        "alias",
        "workflow",
    }


@pytest.mark.parametrize("case", CASES)
def test_broken_pack_is_caught(case, tmp_path):
    """The case's own message is reported (the base pack being clean, it comes from the defect)."""
    expected = (FIXTURES / "broken" / case / "expected.txt").read_text(encoding="utf-8").strip()
    problems = [str(p) for p in check_pack(overlay(case, tmp_path))]
    assert any(expected in problem for problem in problems), problems
