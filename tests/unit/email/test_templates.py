"""Email templates: every template renders, variables are checked, HTML is escaped and inlined."""

import datetime
import re
import textwrap

import jinja2
import pytest
from jinja2 import meta

from apis.email_api.exceptions import (
    TemplateNotFoundError,
    TemplateSchemaError,
    TemplateVariableError,
)
from apis.email_api.templates import (
    HTML_SUFFIX,
    TEMPLATES_DIR,
    TEXT_SUFFIX,
    TemplateRenderer,
    VariableType,
    default_renderer,
    format_cell,
    format_date,
    format_datetime,
    load_schemas,
    render,
)

RENDERER = default_renderer()
SHARED = {"team_name", "support_email", "support_url"}


@pytest.mark.parametrize("name", RENDERER.names())
def test_every_template_renders_with_its_declared_examples(name):
    schema = RENDERER.schema(name)
    rendered = RENDERER.render(name, schema.examples())
    assert rendered.template == name
    assert rendered.subject and "\n" not in rendered.subject and "{{" not in rendered.subject
    for body in (rendered.text, rendered.html):
        assert "{{" not in body and "{%" not in body
    assert "The Cloud Team" in rendered.text and "The Cloud Team" in rendered.html
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert "<style" not in rendered.html and 'style="' in rendered.html
    assert "<" not in rendered.text.replace("<none>", "")


def _variables_used(env: jinja2.Environment, filename: str) -> set:
    """Context variables a template reads (macros it imports are not variables)."""
    tree = env.parse((TEMPLATES_DIR / filename).read_text(encoding="utf-8"))
    imported = {
        name if isinstance(name, str) else name[1]
        for node in tree.find_all(jinja2.nodes.FromImport)
        for name in node.names
    }
    return meta.find_undeclared_variables(tree) - imported


@pytest.mark.parametrize("name", RENDERER.names())
def test_templates_use_exactly_their_declared_variables(name):
    env = RENDERER.env
    used = _variables_used(env, f"{name}{HTML_SUFFIX}") | _variables_used(
        env, f"{name}{TEXT_SUFFIX}"
    )
    used |= meta.find_undeclared_variables(env.parse(RENDERER.schema(name).subject))
    declared = set(RENDERER.schema(name).variables) - SHARED
    used -= SHARED
    assert (
        used == declared
    ), f"{name}: used but undeclared {used - declared}, unused {declared - used}"


def test_the_wrapper_uses_exactly_the_shared_variables():
    env = RENDERER.env
    used = set()
    for partial in sorted(TEMPLATES_DIR.glob("_*.j2")):
        used |= _variables_used(env, partial.name)
    assert used == SHARED


def test_html_is_autoescaped_and_plaintext_is_not():
    evil = "<script>alert('x')</script> & co"
    rendered = render(
        "shutoff_vms", {**RENDERER.schema("shutoff_vms").examples(), "user_name": evil}
    )
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "&amp; co" in rendered.html
    assert f"Hello {evil}," in rendered.text


def test_footer_variables_reach_both_bodies():
    variables = {
        **RENDERER.schema("test").examples(),
        "team_name": "Ops Crew",
        "support_email": "help@example.org",
        "support_url": "https://status.example.org",
    }
    rendered = render("test", variables)
    for body in (rendered.text, rendered.html):
        assert "Ops Crew" in body and "help@example.org" in body
        assert "https://status.example.org" in body
    assert 'href="mailto:help@example.org"' in rendered.html
    assert rendered.subject == "Test email from Ops Crew via default"


def test_missing_required_variable_names_template_and_variable():
    variables = RENDERER.schema("errored_vms").examples()
    del variables["servers"]
    with pytest.raises(
        TemplateVariableError, match=r"template 'errored_vms' needs variable 'servers'"
    ):
        render("errored_vms", variables)


def test_unknown_variable_names_template_variable_and_valid_ones():
    variables = {**RENDERER.schema("errored_vms").examples(), "serverz": []}
    with pytest.raises(TemplateVariableError) as err:
        render("errored_vms", variables)
    assert "template 'errored_vms' has no variable(s) 'serverz'" in str(err.value)
    assert "servers" in str(err.value).split("its variables:")[1]


def test_wrong_type_and_null_required_variables_are_refused():
    variables = RENDERER.schema("shutoff_vms").examples()
    with pytest.raises(TemplateVariableError, match="variable 'servers' must be a list, not str"):
        render("shutoff_vms", {**variables, "servers": "web-1"})
    with pytest.raises(TemplateVariableError, match="variable 'user_name' may not be null"):
        render("shutoff_vms", {**variables, "user_name": None})
    with pytest.raises(TemplateVariableError, match="'older_than_days' must be a number, not bool"):
        render("shutoff_vms", {**variables, "older_than_days": True})


def test_optional_variables_take_their_defaults():
    variables = RENDERER.variables("test", {"smtp_account": "relay", "sent_at": "2026-01-02"})
    assert variables["message"].startswith("This is a test message")
    assert variables["sent_by"] is None and variables["team_name"] == "The Cloud Team"


def test_a_server_without_a_listed_column_fails_naming_the_template():
    variables = RENDERER.schema("shutoff_vms").examples()
    broken = [{k: v for k, v in variables["servers"][0].items() if k != "project_name"}]
    with pytest.raises(TemplateVariableError, match="template 'shutoff_vms' cannot be rendered"):
        render("shutoff_vms", {**variables, "servers": broken})


def test_unknown_template_lists_the_valid_ones_with_a_hint():
    with pytest.raises(TemplateNotFoundError) as err:
        render("shutoff_vm", {})
    assert "Did you mean 'shutoff_vms'?" in str(err.value)
    assert "errored_vms" in str(err.value)


def test_plurals_and_conditionals_follow_the_data():
    variables = RENDERER.schema("ops_hypervisors_down").examples()
    two = render("ops_hypervisors_down", variables)
    assert two.subject == "[prod] 2 hypervisors down or disabled"
    assert "disabled because: maintenance: disk swap" in two.text
    clear = render("ops_hypervisors_down", {**variables, "hypervisors": []})
    assert clear.subject == "[prod] All clear: every hypervisor is up and enabled"
    assert "All clear: all 40 hypervisors are up and enabled" in clear.text


@pytest.mark.parametrize(
    "value, date, when",
    [
        ("2026-11-25T14:30:00Z", "2026-11-25", "2026-11-25 14:30 UTC"),
        ("2026-11-25T16:30:00+02:00", "2026-11-25", "2026-11-25 14:30 UTC"),
        (datetime.date(2026, 1, 2), "2026-01-02", "2026-01-02"),
        (datetime.datetime(2026, 1, 2, 3, 4), "2026-01-02", "2026-01-02 03:04 UTC"),
        (None, "", ""),
        ("soon", "soon", "soon"),
    ],
)
def test_date_filters(value, date, when):
    assert format_date(value) == date
    assert format_datetime(value) == when


def test_cell_formats_by_column_name():
    assert format_cell(None, "name") == "-"
    assert format_cell("", "name") == "-"
    assert format_cell("2026-01-02T03:04:00Z", "created_at") == "2026-01-02 03:04 UTC"
    assert format_cell("2026-01-02", "decommission_date") == "2026-01-02"
    assert format_cell("20260102", "name") == "20260102"


@pytest.mark.parametrize(
    "kind, good, bad",
    [
        (VariableType.STRING, "x", 1),
        (VariableType.INTEGER, 3, 3.5),
        (VariableType.NUMBER, 3.5, "3"),
        (VariableType.BOOLEAN, False, 0),
        (VariableType.LIST, (1,), {}),
        (VariableType.MAPPING, {}, []),
        (VariableType.DATE, "2026-01-02", "next week"),
    ],
)
def test_variable_types(kind, good, bad):
    assert kind.accepts(good)
    assert not kind.accepts(bad)
    assert VariableType.ANY.accepts(bad)
    assert not VariableType.DATE.accepts(20260102)


def _schema_file(tmp_path, text):
    path = tmp_path / "schemas.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("templates:\n  a:\n    variables: {}\n", "template 'a' needs a subject"),
        (
            "templates:\n  a:\n    subject: s\n    variables:\n      v: {type: text, default: 1}\n",
            "type 'text' is not one of",
        ),
        (
            "templates:\n  a:\n    subject: s\n    variables:\n      v: {required: true}\n",
            "a required variable needs an example",
        ),
        (
            "templates:\n  a:\n    subject: s\n    variables:\n      v: {type: string}\n",
            "an optional variable needs a default",
        ),
        (
            "templates:\n  a:\n    subject: s\n    variables:\n"
            "      v: {required: true, default: 1, example: 1}\n",
            "either required: true or a default",
        ),
        (
            "templates:\n  a:\n    subject: s\n    variables:\n"
            "      v: {default: 1, colour: red}\n",
            "unknown key(s) colour",
        ),
        ("templates:\n  a:\n    subject: s\n    variables:\n      v: 3\n", "must be a mapping"),
        (
            "shared:\n  variables:\n    team_name: {default: x}\n"
            "templates:\n  a:\n    subject: s\n    variables:\n      team_name: {default: y}\n",
            "redeclares shared variable(s) team_name",
        ),
        ("templates: [\n", "cannot be read"),
    ],
)
def test_schema_errors_name_the_template_and_the_problem(tmp_path, text, message):
    with pytest.raises(TemplateSchemaError) as err:
        load_schemas(_schema_file(tmp_path, text))
    assert message in str(err.value)


def test_a_declared_template_without_its_files_is_refused(tmp_path):
    schema = _schema_file(tmp_path, "templates:\n  lonely:\n    subject: hi\n")
    (tmp_path / "lonely.txt.j2").write_text("hi\n", encoding="utf-8")
    with pytest.raises(TemplateSchemaError, match=r"lonely\.html\.j2 is missing"):
        TemplateRenderer(directory=tmp_path, schema_file=schema)


def test_a_renderer_over_another_folder_escapes_by_file_name(tmp_path):
    schema = _schema_file(
        tmp_path,
        """
        templates:
          note:
            subject: "Note for {{ who }}"
            variables:
              who: {type: string, required: true, example: bob}
        """,
    )
    (tmp_path / "note.html.j2").write_text("<p>{{ who }}</p>", encoding="utf-8")
    (tmp_path / "note.txt.j2").write_text("{{ who }}", encoding="utf-8")
    renderer = TemplateRenderer(directory=tmp_path, schema_file=schema)
    rendered = renderer.render("note", {"who": "<b>"})
    assert rendered.subject == "Note for <b>"
    assert rendered.text == "<b>"
    assert re.search(r"<p>&lt;b&gt;</p>", rendered.html)
