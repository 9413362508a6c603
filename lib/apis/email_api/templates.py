"""Jinja2 email templates with declared variables, rendered to a subject, plaintext and HTML.

Each template ``<name>`` is a pair of files in ``templates/``: ``<name>.html.j2`` (autoescaped,
CSS inlined after rendering) and ``<name>.txt.j2`` (not escaped). Both extend the shared
wrapper (``_base.*.j2``, which includes the footer). ``email_template_schemas.yaml`` declares
each template's subject and variables, required or with defaults; rendering with a missing,
unknown or mistyped variable fails naming the template and the variable.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import difflib
import enum
import functools
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from apis import clock
from apis.email_api.exceptions import (
    TemplateNotFoundError,
    TemplateSchemaError,
    TemplateVariableError,
)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SCHEMA_FILE = Path(__file__).resolve().parent / "email_template_schemas.yaml"
HTML_SUFFIX = ".html.j2"
TEXT_SUFFIX = ".txt.j2"
_NO_DEFAULT = object()


class VariableType(enum.Enum):
    """The value types a template variable can declare."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LIST = "list"
    MAPPING = "mapping"
    DATE = "date"
    ANY = "any"

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` (not None) is of this type; dates may be ISO strings."""
        if self is VariableType.ANY:
            return True
        if self is VariableType.DATE:
            return isinstance(value, datetime.date) or clock.is_timestamp(value)
        if self in (VariableType.INTEGER, VariableType.NUMBER) and isinstance(value, bool):
            return False
        kinds = {
            VariableType.STRING: str,
            VariableType.INTEGER: int,
            VariableType.NUMBER: (int, float),
            VariableType.BOOLEAN: bool,
            VariableType.LIST: (list, tuple),
            VariableType.MAPPING: Mapping,
        }
        return isinstance(value, kinds[self])


@dataclasses.dataclass(frozen=True)
class VariableSpec:
    """One declared variable: required, or optional with a default (which may be None)."""

    name: str
    type: VariableType = VariableType.ANY
    required: bool = False
    default: Any = None
    example: Any = _NO_DEFAULT
    description: str = ""

    def example_value(self) -> Any:
        """The value the example rendering uses."""
        return self.default if self.example is _NO_DEFAULT else self.example


@dataclasses.dataclass(frozen=True)
class TemplateSchema:
    """A template's description, subject (a Jinja2 string) and variables."""

    name: str
    description: str
    subject: str
    variables: Dict[str, VariableSpec]

    def examples(self) -> Dict[str, Any]:
        """Example values for every variable: enough to render the template."""
        return {name: spec.example_value() for name, spec in self.variables.items()}


@dataclasses.dataclass(frozen=True)
class RenderedEmail:
    """A rendered template: subject, plaintext and HTML (CSS inlined) bodies."""

    template: str
    subject: str
    text: str
    html: str


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return clock.parse(value)
    return value


def format_date(value: Any) -> str:
    """``2026-11-25`` for a date, datetime or ISO string; other values as they are."""
    value = _as_datetime(value)
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return "" if value is None else str(value)


def format_datetime(value: Any) -> str:
    """``2026-11-25 14:30 UTC`` for a datetime or ISO string (a plain date stays a date)."""
    value = _as_datetime(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return format_date(value)


def format_cell(value: Any, key: str = "") -> str:
    """A table cell: dates for ``*_date`` keys, date-times for ``*_at`` keys, "-" for None."""
    if value is None or value == "":
        return "-"
    if key.endswith("_at"):
        return format_datetime(value)
    if key.endswith("_date"):
        return format_date(value)
    return str(value)


def _parse_variable(template: str, name: str, raw: Any) -> VariableSpec:
    where = f"{SCHEMA_FILE.name}: template {template!r} variable {name!r}"
    if not isinstance(raw, Mapping):
        raise TemplateSchemaError(f"{where} must be a mapping")
    unknown = set(raw) - {"type", "required", "default", "example", "description"}
    if unknown:
        raise TemplateSchemaError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    try:
        kind = VariableType(raw.get("type", "any"))
    except ValueError:
        choices = ", ".join(t.value for t in VariableType)
        raise TemplateSchemaError(
            f"{where}: type {raw['type']!r} is not one of {choices}"
        ) from None
    required_ = bool(raw.get("required", False))
    if required_ and "default" in raw:
        raise TemplateSchemaError(f"{where}: give either required: true or a default, not both")
    if required_ and "example" not in raw:
        raise TemplateSchemaError(f"{where}: a required variable needs an example")
    if not required_ and "default" not in raw:
        raise TemplateSchemaError(f"{where}: an optional variable needs a default (may be null)")
    return VariableSpec(
        name=name,
        type=kind,
        required=required_,
        default=raw.get("default"),
        example=raw.get("example", _NO_DEFAULT),
        description=str(raw.get("description", "")),
    )


def load_schemas(path: Path = SCHEMA_FILE) -> Dict[str, TemplateSchema]:
    """Every template's schema; the shared (wrapper and footer) variables are merged in."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise TemplateSchemaError(f"{path.name} cannot be read: {err}") from None
    shared_raw = (data.get("shared") or {}).get("variables") or {}
    shared = {n: _parse_variable("shared", n, raw) for n, raw in shared_raw.items()}
    schemas: Dict[str, TemplateSchema] = {}
    for name, raw in (data.get("templates") or {}).items():
        if not isinstance(raw, Mapping) or not raw.get("subject"):
            raise TemplateSchemaError(f"{path.name}: template {name!r} needs a subject")
        own = {
            n: _parse_variable(name, n, spec) for n, spec in (raw.get("variables") or {}).items()
        }
        clash = set(own) & set(shared)
        if clash:
            raise TemplateSchemaError(
                f"{path.name}: template {name!r} redeclares shared variable(s) "
                f"{', '.join(sorted(clash))}"
            )
        schemas[name] = TemplateSchema(
            name=name,
            description=str(raw.get("description", "")).strip(),
            subject=str(raw["subject"]),
            variables={**shared, **own},
        )
    return schemas


class TemplateRenderer:
    """Renders declared templates; one instance compiles each template once."""

    def __init__(self, directory: Path = TEMPLATES_DIR, schema_file: Path = SCHEMA_FILE):
        import css_inline
        import jinja2

        self.directory = directory
        self.schemas = load_schemas(schema_file)
        for name in self.schemas:
            for suffix in (HTML_SUFFIX, TEXT_SUFFIX):
                if not (directory / f"{name}{suffix}").is_file():
                    raise TemplateSchemaError(
                        f"template {name!r} is declared in {schema_file.name} but "
                        f"{name}{suffix} is missing from {directory}"
                    )
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(directory)),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html", "html.j2"), default_for_string=False, default=False
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self.env.filters["date"] = format_date
        self.env.filters["datetime"] = format_datetime
        self.env.filters["cell"] = format_cell
        self._subjects = {name: self.env.from_string(s.subject) for name, s in self.schemas.items()}
        self._inliner = css_inline.CSSInliner()  # pylint: disable=no-member  # compiled module
        self._jinja_errors = (jinja2.UndefinedError, jinja2.TemplateError)

    def names(self) -> List[str]:
        """The declared template names, sorted."""
        return sorted(self.schemas)

    def schema(self, name: str) -> TemplateSchema:
        """The schema of a template, or an error listing the valid names."""
        try:
            return self.schemas[name]
        except KeyError:
            hint = difflib.get_close_matches(name, self.schemas, n=1)
            raise TemplateNotFoundError(
                f"template {name!r} is not one of: {', '.join(self.names())}"
                + (f". Did you mean {hint[0]!r}?" if hint else "")
            ) from None

    def variables(self, name: str, given: Mapping[str, Any]) -> Dict[str, Any]:
        """``given`` checked against the template's schema, with defaults filled in."""
        schema = self.schema(name)
        unknown = sorted(set(given) - set(schema.variables))
        if unknown:
            raise TemplateVariableError(
                f"template {name!r} has no variable(s) {', '.join(map(repr, unknown))}; "
                f"its variables: {', '.join(sorted(schema.variables))}"
            )
        values: Dict[str, Any] = {}
        for var, spec in schema.variables.items():
            if var not in given:
                if spec.required:
                    raise TemplateVariableError(
                        f"template {name!r} needs variable {var!r}"
                        + (f" ({spec.description})" if spec.description else "")
                    )
                values[var] = spec.default
                continue
            value = given[var]
            if value is not None and not spec.type.accepts(value):
                raise TemplateVariableError(
                    f"template {name!r} variable {var!r} must be a {spec.type.value}, "
                    f"not {type(value).__name__}"
                )
            if value is None and spec.required:
                raise TemplateVariableError(f"template {name!r} variable {var!r} may not be null")
            values[var] = value
        return values

    def render(self, name: str, variables: Optional[Mapping[str, Any]] = None) -> RenderedEmail:
        """Render the template's subject, plaintext and HTML with checked variables."""
        values = self.variables(name, variables or {})
        try:
            subject = self._subjects[name].render(values)
            text = self.env.get_template(f"{name}{TEXT_SUFFIX}").render(values)
            html = self.env.get_template(f"{name}{HTML_SUFFIX}").render(values)
        except self._jinja_errors as err:
            raise TemplateVariableError(f"template {name!r} cannot be rendered: {err}") from None
        return RenderedEmail(
            template=name,
            subject=re.sub(r"\s+", " ", subject).strip(),
            text=text,
            html=self._inliner.inline(html),
        )


@functools.lru_cache(maxsize=None)
def default_renderer() -> TemplateRenderer:
    """The renderer of the pack's own templates, built once per process."""
    return TemplateRenderer()


def render(name: str, variables: Optional[Mapping[str, Any]] = None) -> RenderedEmail:
    """Render one of the pack's templates (see :class:`TemplateRenderer`)."""
    return default_renderer().render(name, variables)
