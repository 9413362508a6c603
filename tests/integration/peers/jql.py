"""The JQL subset the fake Jira understands.

Clauses ``field op value`` with ``= != ~ !~ > >= < <=``, ``IN (...)``, ``NOT IN (...)``,
``IS [NOT] EMPTY``, combined with ``AND``, ``OR``, ``NOT`` and parentheses, then an optional
``ORDER BY field [ASC|DESC], ...``. Dates accept ``YYYY-MM-DD[ HH:MM]``, relative offsets
(``-1d``, ``-4h``, ``-2w``, ``-30m``) and ``now()``. Values compare case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol, Union

from apis import clock

Value = Union[str, datetime]
Lookup = Callable[[str], list]

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"""|(?P<op>!=|!~|>=|<=|=|~|>|<)|(?P<punct>[(),])|(?P<word>[^\s"'(),=!~<>]+(?:\(\))?))"""
)
_KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Condition(Protocol):
    """Anything that can tell whether one issue matches."""

    def matches(self, lookup: Lookup) -> bool:
        """Evaluate against one issue, whose values for a field ``lookup`` returns."""


class JqlError(ValueError):
    """The query is not valid (Jira answers 400 with this message)."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str

    def keyword(self, *words: str) -> bool:
        """Tell whether this is one of the unquoted keywords ``words``."""
        return self.kind == "word" and self.text.lower() in words


def parse_date(literal: str, now: datetime | None = None) -> datetime:
    """Turn a JQL date literal into an aware datetime."""
    now = now or clock.now()
    text = literal.strip()
    if text.lower() == "now()":
        return now
    relative = re.fullmatch(r"([-+]?)(\d+)([mhdw])", text)
    if relative:
        sign, amount, unit = relative.groups()
        delta = timedelta(**{_UNITS[unit]: int(amount)})
        return now - delta if sign == "-" else now + delta
    for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).replace(  # noqa: TID251 - JQL's formats
                tzinfo=timezone.utc
            )
        except ValueError:
            continue
    raise JqlError(f"Date value '{literal}' for field is invalid.")


def _compare(actual: Value, op: str, literal: str) -> bool:
    if isinstance(actual, datetime):
        expected: Value = parse_date(literal)
    else:
        actual, expected = actual.lower(), literal.lower()
    if op == "~":
        return isinstance(actual, str) and expected in actual
    return {
        "=": actual == expected,
        ">": actual > expected,  # type: ignore[operator]
        ">=": actual >= expected,  # type: ignore[operator]
        "<": actual < expected,  # type: ignore[operator]
        "<=": actual <= expected,  # type: ignore[operator]
    }[op]


@dataclass(frozen=True)
class Clause:
    """``field op values``; ``op`` is one of = != ~ !~ > >= < <= in notin empty notempty."""

    field: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, lookup: Lookup) -> bool:
        """Evaluate against one issue, whose values for a field ``lookup`` returns."""
        actual = lookup(self.field)
        if self.op in ("empty", "notempty"):
            return (not actual) == (self.op == "empty")
        if self.op in ("!=", "!~", "notin"):
            positive = {"!=": "=", "!~": "~", "notin": "="}[self.op]
            return bool(actual) and not any(
                _compare(value, positive, literal) for value in actual for literal in self.values
            )
        op = "=" if self.op == "in" else self.op
        return any(_compare(value, op, literal) for value in actual for literal in self.values)


@dataclass(frozen=True)
class Junction:
    """``AND`` or ``OR`` of several conditions."""

    op: str
    items: tuple[Condition, ...]

    def matches(self, lookup: Lookup) -> bool:
        """Evaluate against one issue."""
        combine = all if self.op == "and" else any
        return combine(item.matches(lookup) for item in self.items)


@dataclass(frozen=True)
class Negation:
    """``NOT`` condition."""

    item: Condition

    def matches(self, lookup: Lookup) -> bool:
        """Evaluate against one issue."""
        return not self.item.matches(lookup)


class _Match:
    """A condition that is always true (empty query)."""

    @staticmethod
    def matches(_lookup: Lookup) -> bool:
        """Match every issue."""
        return True


@dataclass(frozen=True)
class Query:
    """A parsed query: the condition and the ORDER BY keys as ``(field, descending)``."""

    where: Condition
    order_by: tuple[tuple[str, bool], ...]

    def matches(self, lookup: Lookup) -> bool:
        """Evaluate against one issue."""
        return self.where.matches(lookup)

    @property
    def fields(self) -> set[str]:
        """Every field the condition refers to."""
        found: set[str] = set()
        pending: list[Condition] = [self.where]
        while pending:
            node = pending.pop()
            if isinstance(node, Clause):
                found.add(node.field)
            elif isinstance(node, Junction):
                pending.extend(node.items)
            elif isinstance(node, Negation):
                pending.append(node.item)
        return found


class _Parser:
    """Recursive descent over the token list."""

    def __init__(self, text: str) -> None:
        self.tokens = self._tokenize(text)
        self.pos = 0

    @staticmethod
    def _tokenize(text: str) -> list[_Token]:
        tokens, pos = [], 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise JqlError(f"Error in the JQL Query: unexpected text at position {pos}.")
            kind = match.lastgroup or "word"
            value = match.group(kind)
            if kind == "string":
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            tokens.append(_Token(kind, value))
            pos = match.end()
        return tokens

    def peek(self) -> _Token | None:
        """The next token, if any."""
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, what: str = "a value") -> _Token:
        """Consume the next token; error at the end of the query."""
        token = self.peek()
        if token is None:
            raise JqlError(f"Error in the JQL Query: expecting {what} but reached the end.")
        self.pos += 1
        return token

    def expect(self, kind: str, text: str) -> None:
        """Consume a token that must be ``text``."""
        token = self.take(f"'{text}'")
        if token.kind != kind or token.text.lower() != text:
            raise JqlError(f"Error in the JQL Query: expecting '{text}' but got '{token.text}'.")

    def query(self) -> Query:
        """query := [condition] [ORDER BY field [ASC|DESC], ...]"""
        token = self.peek()
        where = _Match() if token is None or token.keyword("order") else self.disjunction()
        order: list[tuple[str, bool]] = []
        if self.peek() is not None:
            self.expect("word", "order")
            self.expect("word", "by")
            while True:
                field = self.take("a field").text.lower()
                descending = False
                nxt = self.peek()
                if nxt is not None and nxt.keyword("asc", "desc"):
                    descending = self.take().text.lower() == "desc"
                order.append((field, descending))
                nxt = self.peek()
                if nxt is None or nxt.text != ",":
                    break
                self.take()
        if self.peek() is not None:
            raise JqlError(f"Error in the JQL Query: unexpected '{self.peek().text}'.")
        return Query(where, tuple(order))

    def disjunction(self) -> Condition:
        """disjunction := conjunction (OR conjunction)*"""
        items = [self.conjunction()]
        while (token := self.peek()) is not None and token.keyword("or"):
            self.take()
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Junction("or", tuple(items))

    def conjunction(self) -> Condition:
        """conjunction := term (AND term)*"""
        items = [self.term()]
        while (token := self.peek()) is not None and token.keyword("and"):
            self.take()
            items.append(self.term())
        return items[0] if len(items) == 1 else Junction("and", tuple(items))

    def term(self) -> Condition:
        """term := NOT term | ( disjunction ) | clause"""
        token = self.take("a clause")
        if token.keyword("not"):
            return Negation(self.term())
        if token.kind == "punct" and token.text == "(":
            inner = self.disjunction()
            self.expect("punct", ")")
            return inner
        if token.kind not in ("word", "string") or token.text.lower() in _KEYWORDS:
            raise JqlError(f"Error in the JQL Query: expecting a field name, got '{token.text}'.")
        return self.clause(token.text.lower())

    def clause(self, field: str) -> Clause:
        """clause := field (op value | IS [NOT] EMPTY | [NOT] IN (values))"""
        token = self.take("an operator")
        if token.kind == "op":
            return Clause(field, token.text, (self.value(),))
        if token.keyword("is"):
            negated = bool((nxt := self.peek()) and nxt.keyword("not"))
            if negated:
                self.take()
            if not self.take("EMPTY").keyword("empty", "null"):
                raise JqlError("Error in the JQL Query: expecting EMPTY or NULL after IS.")
            return Clause(field, "notempty" if negated else "empty")
        negated = token.keyword("not")
        if negated:
            token = self.take("IN")
        if not token.keyword("in"):
            raise JqlError(f"Error in the JQL Query: unsupported operator '{token.text}'.")
        self.expect("punct", "(")
        values = [self.value()]
        while (separator := self.take("')' or ','")).text != ")":
            if separator.text != ",":
                raise JqlError(
                    f"Error in the JQL Query: expecting ',' or ')', got '{separator.text}'."
                )
            values.append(self.value())
        return Clause(field, "notin" if negated else "in", tuple(values))

    def value(self) -> str:
        """A quoted string or a bare word."""
        token = self.take()
        if token.kind not in ("word", "string"):
            raise JqlError(f"Error in the JQL Query: expecting a value, got '{token.text}'.")
        return token.text


def parse(text: str) -> Query:
    """Parse a JQL string; raise JqlError when it is outside the supported subset."""
    return _Parser(text or "").query()
