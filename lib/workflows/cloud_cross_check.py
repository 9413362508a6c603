"""Cross-check two clouds: flavors, images and host aggregates whose properties differ.

Resources are matched by name. Each one in the source cloud is compared with the target
cloud's resource of the same name (``differs``) or reported as missing there (``missing``);
a name used twice in one cloud cannot be matched and is reported as a warning instead. One
poll of the ``cloud_cross_check_sensor`` is :func:`poll`.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
import json
import logging
from typing import Any, Dict, List, Mapping, Optional, Tuple

from apis.config_section import check_known_keys
from apis.errors import CloudopsError
from apis.openstack_api.connection import connect
from apis.openstack_api.exceptions import OpenStackApiError
from apis.openstack_query_api.query import Query
from apis.openstack_query_api.resource_types import QueryType
from apis.progress import Progress
from workflows import finding_watch

LOG = logging.getLogger(__name__)
CHECK = "cross_check"
CONFIG_KEY = "cross_check"
DATASTORE_KEY = "cross_check_findings"
TRIGGER = "cloudops.cloud.cross_check_finding"


class CrossCheckConfigError(OpenStackApiError):
    """The pack config's cross_check is not usable."""


class Resource(enum.Enum):
    """What can be cross-checked."""

    FLAVORS = "flavors"
    IMAGES = "images"
    AGGREGATES = "aggregates"


class FindingKind(enum.Enum):
    """How a source resource fails the cross-check."""

    DIFFERS = "differs"
    MISSING = "missing"


FLAVOR_FIELDS = ("vcpus", "ram", "disk", "ephemeral", "swap", "is_public", "is_disabled")
DEFAULT_IGNORED = {
    Resource.FLAVORS: (),
    Resource.IMAGES: (
        "id",
        "owner",
        "owner_id",
        "created_at",
        "updated_at",
        "status",
        "checksum",
        "hash_algo",
        "hash_value",
        "os_hash_algo",
        "os_hash_value",
        "size",
        "virtual_size",
        "file",
        "schema",
        "direct_url",
        "location",
        "locations",
        "stores",
        "owner_specified.openstack.*",
        "os_glance_*",
    ),
    Resource.AGGREGATES: (),
}
SETTINGS = ("source_cloud", "target_cloud", "resources", "include_private", "ignore_properties")


def _choices(enum_type) -> str:
    return ", ".join(member.value for member in enum_type)


def _resource(value: Any, where: str) -> Resource:
    try:
        return Resource(value)
    except ValueError:
        raise CrossCheckConfigError(
            f"{where}: {value!r} is not a resource type; valid: {_choices(Resource)}"
        ) from None


def _patterns(value: Any, where: str) -> Tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise CrossCheckConfigError(f"{where} must be a list of property names (globs allowed)")
    return tuple(value)


@dataclasses.dataclass(frozen=True)
class CrossCheckConfig:
    """The pack config's ``cross_check``: which clouds, which resources, what to ignore."""

    source_cloud: str
    target_cloud: str
    resources: Tuple[Resource, ...] = tuple(Resource)
    include_private: bool = False
    ignore_properties: Mapping[Resource, Tuple[str, ...]] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_config(cls, settings: Optional[Mapping[str, Any]]) -> Optional["CrossCheckConfig"]:
        """The checked settings; None (an idle sensor) when neither cloud is configured."""
        settings = settings or {}
        check_known_keys(CONFIG_KEY, settings, SETTINGS, CrossCheckConfigError)
        source, target = settings.get("source_cloud"), settings.get("target_cloud")
        if not source and not target:
            return None
        if not source or not target:
            missing = "source_cloud" if not source else "target_cloud"
            raise CrossCheckConfigError(f"{CONFIG_KEY}.{missing} is required with the other cloud")
        if source == target:
            raise CrossCheckConfigError(
                f"{CONFIG_KEY}.source_cloud and target_cloud are both {source!r}: "
                "name two different clouds"
            )
        chosen = settings.get("resources") or [r.value for r in Resource]
        resources = tuple(_resource(v, f"{CONFIG_KEY}.resources") for v in chosen)
        ignored = {
            _resource(k, f"{CONFIG_KEY}.ignore_properties"): _patterns(
                v, f"{CONFIG_KEY}.ignore_properties.{k}"
            )
            for k, v in (settings.get("ignore_properties") or {}).items()
        }
        return cls(
            source_cloud=str(source),
            target_cloud=str(target),
            resources=tuple(dict.fromkeys(resources)),
            include_private=bool(settings.get("include_private", False)),
            ignore_properties=ignored,
        )

    def ignored(self, resource: Resource) -> Tuple[str, ...]:
        """The property globs not compared for ``resource``: built-in plus configured."""
        return DEFAULT_IGNORED[resource] + tuple(self.ignore_properties.get(resource, ()))


def _plain(value: Any) -> Any:
    """A JSON value (sorted when it is a list of strings, such as image tags)."""
    value = json.loads(json.dumps(value, default=str))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(value)
    return value


def _prefixed(prefix: str, mapping: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    return {f"{prefix}.{key}": value for key, value in (mapping or {}).items()}


def properties(resource: Resource, item: Any, ignored: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """The compared properties of an openstacksdk flavor, image or aggregate, flattened.

    Flavor extra specs are ``extra_specs.<key>``, aggregate metadata ``metadata.<key>``, image
    properties keep their own names; aggregate hosts are never compared.
    """
    if resource is Resource.FLAVORS:
        found = {name: getattr(item, name) for name in FLAVOR_FIELDS}
        found.update(_prefixed("extra_specs", item.extra_specs))
    elif resource is Resource.IMAGES:
        found = item.to_dict(body=True, headers=False, computed=False, ignore_none=True)
        found.update(found.pop("properties", None) or {})
        found.pop("name", None)
    else:
        found = {"availability_zone": item.availability_zone}
        found.update(_prefixed("metadata", item.metadata))
    return {
        key: _plain(value)
        for key, value in sorted(found.items())
        if not any(fnmatch.fnmatchcase(key, pattern) for pattern in ignored)
    }


def differences(source: Mapping[str, Any], target: Mapping[str, Any]) -> Dict[str, Any]:
    """``{property: {"source": value, "target": value}}`` for every property that differs."""
    return {
        key: {"source": source.get(key), "target": target.get(key)}
        for key in sorted(set(source) | set(target))
        if source.get(key) != target.get(key)
    }


def finding(
    config: CrossCheckConfig,
    resource: Resource,
    name: str,
    kind: FindingKind,
    diff: Dict[str, Any],
) -> Dict[str, Any]:
    """The trigger payload of one finding, with the fingerprint of its content."""
    content = {
        "check": CHECK,
        "resource_type": resource.value,
        "name": name,
        "kind": kind.value,
        "differences": diff,
        "source_cloud": config.source_cloud,
        "target_cloud": config.target_cloud,
    }
    return {**content, "fingerprint": finding_watch.fingerprint(content)}


def compare(
    config: CrossCheckConfig,
    resource: Resource,
    source: Mapping[str, Dict[str, Any]],
    target: Mapping[str, Dict[str, Any]],
) -> List[Dict[str, Any]]:
    """Findings for the source resources (by name) that differ or are missing in the target."""
    found = []
    for name in sorted(source):
        if name not in target:
            found.append(finding(config, resource, name, FindingKind.MISSING, {}))
            continue
        diff = differences(source[name], target[name])
        if diff:
            found.append(finding(config, resource, name, FindingKind.DIFFERS, diff))
    return found


def _query(resource: Resource, include_private: bool) -> Query:
    if resource is Resource.FLAVORS:
        query = Query(QueryType.FLAVORS.mapping)
        return query if include_private else query.where("==", "flavor_is_public", value=True)
    if resource is Resource.IMAGES:
        query = Query(QueryType.IMAGES.mapping)
        return query if include_private else query.where("==", "image_visibility", value="public")
    return Query(QueryType.AGGREGATES.mapping)


def fetch(
    conn: Any, config: CrossCheckConfig, resource: Resource, cloud: str
) -> Tuple[Dict[str, Dict[str, Any]], List[str]]:
    """The cloud's resources by name, and warnings about names used more than once."""
    items = _query(resource, config.include_private).run(conn).to_objects()
    by_name: Dict[str, Dict[str, Any]] = {}
    counts: Dict[str, int] = {}
    for item in items:
        counts[item.name] = counts.get(item.name, 0) + 1
        by_name[item.name] = properties(resource, item, config.ignored(resource))
    duplicated = sorted(name for name, count in counts.items() if count > 1)
    for name in duplicated:
        del by_name[name]
    warnings = [
        f"{CONFIG_KEY}: {counts[name]} {resource.value} of cloud {cloud!r} are called "
        f"{name!r}; not compared"
        for name in duplicated
    ]
    return by_name, warnings


def _listings(
    config: CrossCheckConfig, cloud: str, errors: List[str], failed: set, progress: Progress
) -> Dict[Resource, Dict[str, Dict[str, Any]]]:
    """Every configured resource of one cloud, one progress line each; failures go to
    ``errors`` and ``failed``."""
    listed: Dict[Resource, Dict[str, Dict[str, Any]]] = {}
    wanted = [resource for resource in config.resources if resource.value not in failed]
    if not wanted:
        return listed
    try:
        with connect(cloud) as conn:
            for resource in wanted:
                try:
                    listed[resource], warnings = fetch(conn, config, resource, cloud)
                except CloudopsError as err:
                    errors.append(
                        f"{CONFIG_KEY}: listing {resource.value} of cloud {cloud!r}: {err}"
                    )
                    failed.add(resource.value)
                    progress.step("listing %s of %s failed: %s", resource.value, cloud, err)
                    continue
                errors.extend(warnings)
                progress.step("listed %d %s of %s", len(listed[resource]), resource.value, cloud)
    except CloudopsError as err:
        errors.append(f"{CONFIG_KEY}: cloud {cloud!r}: {err}")
        failed.update(resource.value for resource in wanted)
        progress.note("cloud %s failed: %s", cloud, err)
    return listed


def poll(config: CrossCheckConfig, previous: Mapping[str, str]) -> finding_watch.WatchResult:
    """Compare both clouds; the findings not dispatched before are ``new``.

    A resource type that could not be listed in either cloud is not compared and keeps the
    fingerprints of its earlier findings.
    """
    errors: List[str] = []
    failed: set = set()
    progress = Progress(
        f"cross_check {config.source_cloud} -> {config.target_cloud}",
        2 * len(config.resources),
        LOG,
    )
    source = _listings(config, config.source_cloud, errors, failed, progress)
    target = _listings(config, config.target_cloud, errors, failed, progress)
    findings = []
    for resource in config.resources:
        if resource.value not in failed:
            findings.extend(
                (resource.value, payload)
                for payload in compare(config, resource, source[resource], target[resource])
            )
    progress.note("%d finding(s), %d error(s)", len(findings), len(errors))
    return finding_watch.sift(findings, previous, failed, errors)
