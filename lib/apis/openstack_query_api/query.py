"""The fluent query: select, where, sort, group, run, chain, and render.

    ServerQuery().select("name", "status").where("older_than", "created_at", days=30)
        .where("==", "status", value="SHUTOFF").sort_by(("created_at", "asc"))
        .run(conn, all_projects=True, as_admin=True).to_string()

A query never modifies the cloud. Every condition the API can evaluate is sent to the server
(the client re-checks all of them), cross-project queries use one paged all-projects listing
or, for a few projects or values, concurrent filtered calls, and chaining fetches the linked
resources in one batch over the same connection.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Type

from apis.openstack_api.connection import open_connection
from apis.openstack_api.error_translation import translate as openstack_translate
from apis import row_formats as outputs
from apis.openstack_query_api.concurrency import concurrently
from apis.openstack_query_api.conditions import compile_condition
from apis.openstack_query_api.exceptions import (
    QueryChainError,
    QueryError,
    QueryScopeError,
)
from apis.openstack_query_api.links import links_from
from apis.openstack_query_api.mapping import Condition, Link, ResourceMapping, Scope
from apis.openstack_query_api.presets import Preset
from apis.openstack_query_api.property_types import PropertyEnum
from apis.openstack_query_api.resource_types import QueryType

FEW = 16
UNGROUPED = "ungrouped results"
ASCENDING = ("asc", "ascending")
DESCENDING = ("desc", "descending")


@dataclasses.dataclass
class Row:
    """One result: the openstacksdk resource plus columns brought by chaining."""

    resource: Any
    previous: Optional[List[Dict[str, Any]]] = None
    extra: Dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class _Chain:
    """How this query's rows relate to the query it was chained from."""

    link: Link
    previous_by_key: Dict[Any, List[Dict[str, Any]]]


class Query:
    """A query over one resource type; build it, ``run`` it, then render it."""

    def __init__(self, mapping: Type[ResourceMapping]):
        self.mapping = mapping
        self._select: List[PropertyEnum] = list(mapping.default_select)
        self._conditions: List[Condition] = []
        self._sort: List[Tuple[PropertyEnum, bool]] = []
        self._group: Optional[Tuple[PropertyEnum, Optional[Dict[str, list]]]] = None
        self._rows: Optional[List[Row]] = None
        self._conn = None
        self._chain: Optional[_Chain] = None
        # the projects listed to resolve from_projects/from_domain (None: no listing needed);
        # callers that need project names reuse them instead of listing again
        self.scope_projects: Optional[List[Any]] = None

    # ---------------------------------------------------------------- building
    def select(self, *props: Any) -> "Query":
        """Choose the output columns (names, aliases or enum members), in order."""
        self._select = [self.mapping.properties.from_string(p) for p in props]
        return self

    def select_all(self) -> "Query":
        """Output every property."""
        self._select = list(self.mapping.properties)
        return self

    def where(self, preset: Any, prop: Any, **args: Any) -> "Query":
        """Add a condition; several ``where`` calls AND together."""
        self._conditions.append(compile_condition(self.mapping.properties, preset, prop, **args))
        return self

    def sort_by(self, *keys: Any) -> "Query":
        """Sort by one or more ``prop`` or ``(prop, "asc"|"desc")``; the first key leads."""
        parsed = []
        for key in keys:
            prop, direction = (key, "asc") if not isinstance(key, (tuple, list)) else key
            direction = str(getattr(direction, "value", direction)).lower()
            if direction not in ASCENDING + DESCENDING:
                raise QueryError(f"sort direction {direction!r} must be 'asc' or 'desc'")
            parsed.append((self.mapping.properties.from_string(prop), direction in DESCENDING))
        self._sort = parsed
        return self

    def group_by(self, prop: Any, ranges: Optional[Dict[str, Iterable[Any]]] = None) -> "Query":
        """Group the output by a property's value, or into named ``ranges`` of values."""
        member = self.mapping.properties.from_string(prop)
        self._group = (member, {k: list(v) for k, v in ranges.items()} if ranges else None)
        return self

    # ---------------------------------------------------------------- running
    def run(
        self,
        conn: Any,
        all_projects: bool = False,
        from_projects: Optional[Sequence[str]] = None,
        from_domain: Optional[str] = None,
        as_admin: bool = False,
    ) -> "Query":
        """Fetch the results over ``conn``, an open openstacksdk connection or the name of a
        cloud in clouds.yaml (connected to here and kept for chaining, like the peer
        library's ``run(cloud_account)``)."""
        if from_projects is not None and not from_projects:
            raise QueryScopeError("from_projects is empty: give project names/ids or omit it")
        if (all_projects or from_projects or from_domain) and not as_admin:
            raise QueryScopeError(
                "all_projects, from_projects and from_domain need admin rights: pass as_admin=True"
            )
        if all_projects and from_projects:
            raise QueryScopeError("give either all_projects=True or from_projects, not both")
        if isinstance(conn, str):
            conn = open_connection(conn)
        self._conn = conn
        scope, self.scope_projects = _resolve_scope(
            self._conn, all_projects, from_projects, from_domain
        )
        self._rows = self._fetch(scope)
        return self

    def _fetch(self, scope: Scope) -> List[Row]:
        conditions = list(self._conditions)
        mapping = self.mapping
        if scope.project_ids is not None:
            if mapping.project_property is not None:
                conditions.append(
                    compile_condition(
                        mapping.properties,
                        Preset.ANY_IN,
                        mapping.project_property,
                        values=list(scope.project_ids),
                    )
                )
            scope = dataclasses.replace(scope, all_projects=True, project_ids=None)
        if scope.domain_id and mapping.domain_property is not None:
            conditions.append(
                compile_condition(
                    mapping.properties,
                    Preset.EQUAL_TO,
                    mapping.domain_property,
                    value=scope.domain_id,
                )
            )
        wanted = set(self._select) | {c.prop for c in conditions} | {p for p, _ in self._sort}
        if self._group:
            wanted.add(self._group[0])
        wanted |= {p.base for p in wanted}
        options = mapping.listing_options(frozenset(wanted))
        try:
            resources = _fetch_resources(self._conn, mapping, conditions, scope, options)
            mapping.enrich(self._conn, resources, wanted)
        except Exception as err:  # pylint: disable=broad-except
            raise _translate(err) from None
        rows = [Row(r) for r in resources if all(c.matches(r) for c in conditions)]
        if self._chain:
            for row in rows:
                row.previous = self._chain.previous_by_key.get(
                    self._chain.link.target.read(row.resource), []
                )
        return self._sorted(rows)

    def _sorted(self, rows: List[Row]) -> List[Row]:
        for prop, descending in reversed(self._sort):
            rows.sort(key=lambda row, p=prop: _sort_key(p.read(row.resource)), reverse=descending)
        return rows

    # ---------------------------------------------------------------- chaining
    def _link_to(self, target: Type[ResourceMapping]) -> Link:
        self._require_run()
        links = links_from(self.mapping.name)
        if target.name not in links:
            raise QueryChainError(
                f"{self.mapping.name} cannot be chained to {target.name}; "
                f"valid targets: {', '.join(sorted(links)) or 'none'}"
            )
        return links[target.name]

    def then(self, query_type: Any, keep_previous_results: bool = True) -> "Query":
        """The resources linked to these results (e.g. servers -> their users), already run."""
        return self._linked(query_type, keep_previous=keep_previous_results)[0]

    def append_from(self, query_type: Any, *props: Any) -> "Query":
        """Add columns from the linked resource of each result (e.g. the owner's email)."""
        # pylint: disable=protected-access
        target = _mapping_of(query_type)
        columns = [target.properties.from_string(p) for p in props]
        linked, link = self._linked(target, columns=columns)
        found = {
            link.target.read(row.resource): {c.key: c.read(row.resource) for c in columns}
            for row in linked._rows
        }
        empty = {c.key: None for c in columns}
        for row in self._rows:
            row.extra.update(found.get(link.source.read(row.resource), empty))
        return self

    def _linked(
        self,
        query_type: Any,
        columns: Optional[List[PropertyEnum]] = None,
        keep_previous: bool = False,
    ) -> Tuple["Query", Link]:
        """A query over the resources linked to these results, run in one batched fetch over
        the same connection (and the link it followed)."""
        # pylint: disable=protected-access
        target = _mapping_of(query_type)
        link = self._link_to(target)
        linked = Query(target)
        if columns:
            linked.select(*columns)
        linked._conn = self._conn
        if keep_previous:
            previous: Dict[Any, List[Dict[str, Any]]] = {}
            for row in self._rows:
                previous.setdefault(link.source.read(row.resource), []).append(self._props(row))
            linked._chain = _Chain(link, previous)
        values = self._link_values(link)
        linked._rows = []
        if values:
            linked._conditions.append(
                compile_condition(target.properties, Preset.ANY_IN, link.target, values=values)
            )
            linked._rows = linked._fetch(Scope(all_projects=True))
        return linked, link

    def _link_values(self, link: Link) -> List[Any]:
        values = {link.source.read(row.resource) for row in self._rows}
        return sorted(v for v in values if v is not None)

    # ---------------------------------------------------------------- output
    def _require_run(self) -> None:
        if self._rows is None:
            raise QueryChainError("the query has not been run: call run(cloud) first")

    def _props(self, row: Row) -> Dict[str, Any]:
        props = {p.key: p.read(row.resource) for p in self._select}
        props.update(row.extra)
        return props

    def _grouped(self, render) -> Any:
        self._require_run()
        if not self._group:
            return [render(row) for row in self._rows]
        prop, ranges = self._group
        groups: Dict[Any, list] = {name: [] for name in ranges or {}}
        for row in self._rows:
            value = prop.read(row.resource)
            if ranges:
                name = next((n for n, vals in ranges.items() if value in vals), UNGROUPED)
            else:
                name = value
            groups.setdefault(name, []).append(render(row))
        return groups

    def to_objects(self) -> Any:
        """The resources (a dict of lists when grouped): openstacksdk objects, except listed
        servers, projects and users, which are
        :class:`~apis.openstack_query_api.json_resources.JsonResource` views of the API's
        JSON with the same attribute names (servers at the lowest nova microversion that
        returns every property the query selects, filters, sorts or groups on)."""
        return self._grouped(lambda row: row.resource)

    def to_props(self, flatten: bool = False) -> Any:
        """Selected properties per result; chained results carry ``previous`` (or, flattened,
        one merged row per previous result)."""
        if not flatten:
            return self._grouped(self._nested)
        grouped = self._grouped(self._flat)
        if isinstance(grouped, dict):
            return {k: [r for rows in v for r in rows] for k, v in grouped.items()}
        return [r for rows in grouped for r in rows]

    def _nested(self, row: Row) -> Dict[str, Any]:
        props = self._props(row)
        if row.previous is not None:
            props["previous"] = row.previous
        return props

    def _flat(self, row: Row) -> List[Dict[str, Any]]:
        props = self._props(row)
        if not row.previous:
            return [props]
        return [{**prev, **props} for prev in row.previous]

    def _render(self, fmt) -> str:
        grouped = self.to_props(flatten=True)
        if not isinstance(grouped, dict):
            return fmt(grouped)
        return "\n\n".join(f"{name}:\n{fmt(rows)}" for name, rows in grouped.items())

    def to_string(self) -> str:
        """A plain-text table."""
        return self._render(lambda rows: outputs.table(rows, "grid"))

    def to_html(self) -> str:
        """An HTML table (cells escaped)."""
        return self._render(lambda rows: outputs.table(rows, "html"))

    def to_markdown(self) -> str:
        """A Markdown (GitHub) table."""
        return self._render(lambda rows: outputs.table(rows, "github"))

    def to_csv(self) -> str:
        """CSV with a header line (groups separated by their names)."""
        return self._render(outputs.to_csv)

    def to_json(self, pretty: bool = False) -> str:
        """JSON of :meth:`to_props`."""
        return outputs.to_json(self.to_props(), pretty=pretty)


def _sort_key(value: Any) -> Tuple[bool, Any]:
    if isinstance(value, (list, dict)):
        value = str(value)
    return (value is None, value if value is not None else "")


def _mapping_of(query_type: Any) -> Type[ResourceMapping]:
    """The mapping of a Query subclass, a mapping class, a QueryType, or a type name."""
    if isinstance(query_type, type) and issubclass(query_type, ResourceMapping):
        return query_type
    query_type = getattr(query_type, "query_type", query_type)
    return QueryType.from_string(query_type).mapping


def _resolve_scope(conn, all_projects, from_projects, from_domain) -> Tuple[Scope, Optional[list]]:
    """The run's scope, and the projects listed to resolve it (None when none were)."""
    from openstack.exceptions import NotFoundException

    domain_id = None
    if from_domain:
        try:
            domain_id = conn.identity.find_domain(from_domain, ignore_missing=False).id
        except NotFoundException:
            raise QueryScopeError(
                f"from_domain {from_domain!r} is not a domain of this cloud"
            ) from None
    project_ids = None
    listed = None
    if from_projects or domain_id:
        # one listing resolves every name, rather than two keystone calls per name
        listed = list(
            QueryType.PROJECTS.mapping.list_resources(
                conn, {"domain_id": domain_id} if domain_id else {}, Scope()
            )
        )
        project_ids = tuple(p.id for p in listed)
    if from_projects:
        by_key: Dict[str, List[str]] = {}
        for project in listed:
            by_key.setdefault(project.id, []).append(project.id)
            by_key.setdefault(project.name, []).append(project.id)
        ids = []
        for name in from_projects:
            found = by_key.get(name, [])
            if not found:
                raise QueryScopeError(f"from_projects: {name!r} is not a project of this cloud")
            if len(found) > 1:
                raise QueryScopeError(
                    f"from_projects: {name!r} names projects in several domains "
                    f"({', '.join(found)}): give an id or from_domain"
                )
            ids.append(found[0])
        project_ids = tuple(ids)
    scope = Scope(
        all_projects=bool(all_projects or domain_id), project_ids=project_ids, domain_id=domain_id
    )
    return scope, listed


def _fetch_resources(
    conn, mapping, conditions: List[Condition], scope: Scope, options: Dict[str, Any]
) -> List[Any]:
    """Resources passing the server-side part of ``conditions`` (the caller re-checks all),
    listed with the mapping's listing ``options``."""
    by_id = next(
        (
            c
            for c in conditions
            if c.prop is mapping.id_property
            and c.preset in (Preset.EQUAL_TO, Preset.ANY_IN)
            and len(c.args.get("values", [None])) <= mapping.max_gets
        ),
        None,
    )
    if by_id is not None:
        ids = by_id.args.get("values") or [by_id.args.get("value")]
        found = concurrently(lambda i: mapping.get_resource(conn, i), ids)
        return [r for r in found if r is not None]
    filters: Dict[str, Any] = {}
    candidates: List[Condition] = []
    for condition in conditions:
        server_side = mapping.server_filters(condition)
        if server_side and not set(server_side) & set(filters):
            filters.update(server_side)
        elif (
            condition.preset is Preset.ANY_IN
            and condition.prop in mapping.fanout_properties
            and len(condition.args["values"]) <= FEW
        ):
            candidates.append(condition)
    # Cost model: one call per value pays off only when nothing else narrows the listing;
    # with another server-side filter one filtered listing is both fewer and cheaper calls.
    fanout = candidates[0] if candidates and not filters else None
    if fanout is None:
        return list(mapping.list_resources(conn, {**filters, **options}, scope))
    calls = []
    for value in fanout.args["values"]:
        single = compile_condition(mapping.properties, Preset.EQUAL_TO, fanout.prop, value=value)
        extra = mapping.server_filters(single)
        calls.append({**filters, **extra})
    if any(not set(call) - set(filters) for call in calls):
        return list(mapping.list_resources(conn, {**filters, **options}, scope))
    pages = concurrently(
        lambda f: list(mapping.list_resources(conn, {**f, **options}, scope)), calls
    )
    unique: Dict[Any, Any] = {}
    for page in pages:
        for resource in page:
            unique.setdefault(getattr(resource, "id", id(resource)), resource)
    return list(unique.values())


def _translate(err: Exception) -> Exception:
    """openstacksdk/keystoneauth failures as the openstack api's errors; bugs stay as they are."""
    if isinstance(err, QueryError):
        return err
    return openstack_translate(err) or err
