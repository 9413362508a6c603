"""Listings kept as the API's JSON, read through openstacksdk's attribute names.

Building openstacksdk Resource objects costs about 2.6 ms of CPU per server (less for
keystone's small ones), more than nova takes to list a server; listings therefore keep the
JSON and only name its fields like the SDK.
"""

from __future__ import annotations

import functools
import importlib
import urllib.parse
from typing import Any, ClassVar, Dict, Iterator, Optional, Tuple, Type


class JsonResource:
    """One listed item: the API's JSON, read with the SDK resource's attribute names."""

    __slots__ = ("data",)
    # (module, class) of the openstacksdk resource whose attribute names are used
    sdk_resource: ClassVar[Tuple[str, str]]

    def __init__(self, data: Dict[str, Any]):
        self.data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return self.data.get(json_keys(type(self).sdk_resource)[name])
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.data.get('id')!r}, name={self.data.get('name')!r})"


def sdk_class(path: Tuple[str, str]) -> Any:
    """The openstacksdk resource class at ``(module, class)``."""
    module, name = path
    return getattr(importlib.import_module(module), name)


@functools.lru_cache(maxsize=None)
def json_keys(path: Tuple[str, str]) -> Dict[str, str]:
    """Attribute name -> JSON key of an openstacksdk resource."""
    mapping = sdk_class(path)._body_mapping()  # pylint: disable=protected-access
    return {attribute: key for key, attribute in mapping.items()}


def json_listing(
    proxy: Any,
    path: str,
    view: Type[JsonResource],
    filters: Dict[str, Any],
    microversion: Optional[str] = None,
) -> Iterator[JsonResource]:
    """Every item of a raw ``GET path`` listing with the SDK's filters (client-side names,
    translated like openstacksdk does; keystone's inexact ``name__OPERATOR`` filters as they
    are; unknown ones dropped), following next links (nova's ``{key}_links``, keystone's
    ``links.next``)."""
    from openstack import exceptions

    resource = sdk_class(view.sdk_resource)
    key = resource.resources_key
    params = resource._query_mapping._transpose(filters, resource)  # pylint: disable=W0212
    params.update({k: v for k, v in filters.items() if k.startswith("name__")})
    while True:
        response = proxy.get(path, params=params, microversion=microversion)
        exceptions.raise_from_response(response)
        body = response.json()
        for item in body.get(key) or []:
            yield view(item)
        following = _next_link(body, key)
        if not following:
            return
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(following).query))


def _next_link(body: Dict[str, Any], key: str) -> Optional[str]:
    nova = [link["href"] for link in body.get(f"{key}_links") or [] if link.get("rel") == "next"]
    if nova:
        return nova[0]
    links = body.get("links")
    return links.get("next") if isinstance(links, dict) else None
