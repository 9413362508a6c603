"""packtools.alias_match gives what StackStorm 3.9's alias matcher gives.

Each expectation below was produced by st2common's own ``extract_parameters`` and
``match_command_to_alias`` (st2 3.9.0 source, throwaway venv) for the same format and command.
"""

import pytest

from packtools.alias_match import cast_parameters, extract_parameters, matches, representations

TRAILING = "server search {{ where }} {{ cloud_account=default }}"
LEADING = "{{ cloud_account=default }} server search {{ where }}"
ON = "server search {{ where }} on {{ cloud_account }}"


@pytest.mark.parametrize(
    "format_str, command, expected",
    [
        # a trailing optional parameter takes the condition's last words (issue 14, defect 7)
        (TRAILING, "server search email is_null", {"where": "email", "cloud_account": "is_null"}),
        (
            TRAILING,
            "server search status == SHUTOFF on prod",
            {"where": "status", "cloud_account": "== SHUTOFF on prod"},
        ),
        (
            TRAILING,
            'server search "name ~ ^web"',
            {"where": "name ~ ^web", "cloud_account": "default"},
        ),
        # written first, the optional parameters cannot absorb the condition
        (
            LEADING,
            "server search email is_null",
            {"cloud_account": "default", "where": "email is_null"},
        ),
        # key=value pairs at the end are taken off first and override
        (
            LEADING,
            "server search name ~ ^web cloud_account=staging",
            {"cloud_account": "staging", "where": "name ~ ^web"},
        ),
        (
            ON,
            "server search status == SHUTOFF on prod",
            {"where": "status == SHUTOFF", "cloud_account": "prod"},
        ),
        (ON, "server search status == SHUTOFF", None),
        # an operator without spaces is read as a key=value pair, leaving no condition
        (LEADING, "server search status==ACTIVE", None),
        # StackStorm pads the command with a space each side: an explicit ^ anchor then fails
        ("^floating ips of {{ from_projects }}$", "floating ips of web", None),
        ("a (b|c) {{ x }}", "a c zz", {"x": "zz"}),
        ("greet {{ name }}", "greet", None),
    ],
)
def test_extract_parameters_like_stackstorm(format_str, command, expected):
    assert extract_parameters(format_str, command) == expected


def test_two_overlapping_formats_both_match():
    """StackStorm refuses such a command ("matched more than 1 pattern")."""
    alias = {
        "name": "server_search",
        "formats": [{"display": "x", "representation": [ON, TRAILING]}],
    }
    found = matches("server search status == SHUTOFF on prod", [alias])
    assert [fmt for _, fmt, _ in found] == [ON, TRAILING]


def test_representations_of_both_format_forms():
    alias = {"formats": ["plain {{ x }}", {"display": "d", "representation": "one {{ y }}"}]}
    assert representations(alias) == ["plain {{ x }}", "one {{ y }}"]


def test_matched_text_is_cast_as_st2api_casts_alias_parameters():
    declared = {
        "where": {"type": "array"},
        "all_projects": {"type": "boolean"},
        "limit": {"type": "integer"},
        "cloud_account": {"type": "string"},
    }
    matched = {
        "where": "name any_in a, b",
        "all_projects": "true",
        "limit": "5",
        "cloud_account": "prod",
        "undeclared": "kept as text",
    }
    assert cast_parameters(matched, declared) == {
        "where": ["name any_in a", "b"],  # st2api splits arrays on commas (CAST_OVERRIDES)
        "all_projects": True,
        "limit": 5,
        "cloud_account": "prod",
        "undeclared": "kept as text",
    }
