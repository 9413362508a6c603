"""Projects (keystone)."""

from __future__ import annotations

from apis.openstack_query_api.json_resources import JsonResource, json_listing
from apis.openstack_query_api.mapping import (
    ResourceMapping,
    exact_filters,
    get_or_none,
    keystone_name_filters,
)
from apis.openstack_query_api.property_types import PropertyEnum
from apis.openstack_query_api.property_types import PropertyType as T
from apis.openstack_query_api.property_types import attr, prop


class ProjectProperties(PropertyEnum):
    """Properties of a project."""

    PROJECT_ID = prop("project_id", attr("id"), T.STRING, "id")
    PROJECT_NAME = prop("project_name", attr("name"), T.STRING, "name")
    PROJECT_DESCRIPTION = prop("project_description", attr("description"), T.STRING, "description")
    PROJECT_DOMAIN_ID = prop("project_domain_id", attr("domain_id"), T.STRING, "domain_id")
    PROJECT_PARENT_ID = prop("project_parent_id", attr("parent_id"), T.STRING, "parent_id")
    PROJECT_ENABLED = prop("project_enabled", attr("is_enabled"), T.BOOLEAN, "enabled")
    PROJECT_IS_DOMAIN = prop("project_is_domain", attr("is_domain"), T.BOOLEAN, "is_domain")
    PROJECT_TAGS = prop("project_tags", attr("tags"), T.LIST, "tags")


P = ProjectProperties
_EXACT = {
    P.PROJECT_NAME: "name",
    P.PROJECT_DOMAIN_ID: "domain_id",
    P.PROJECT_PARENT_ID: "parent_id",
    P.PROJECT_ENABLED: "is_enabled",
    P.PROJECT_TAGS: "tags",
}


class ProjectMapping(ResourceMapping):
    """Projects: one keystone listing (kept as JSON), or a GET per id for a few."""

    name = "projects"
    aliases = ("project", "tenants")
    properties = ProjectProperties
    id_property = P.PROJECT_ID
    domain_property = P.PROJECT_DOMAIN_ID
    default_select = (P.PROJECT_ID, P.PROJECT_NAME, P.PROJECT_DESCRIPTION)
    max_gets = 2

    @classmethod
    def server_filters(cls, condition):
        return exact_filters(_EXACT, condition) or keystone_name_filters(P.PROJECT_NAME, condition)

    @classmethod
    def list_resources(cls, conn, filters, scope):
        return json_listing(conn.identity, "/projects", RawProject, filters)

    @classmethod
    def get_resource(cls, conn, resource_id):
        return get_or_none(conn.identity.get_project, resource_id)


class RawProject(JsonResource):
    """A listed project: keystone's JSON with openstacksdk's attribute names."""

    __slots__ = ()
    sdk_resource = ("openstack.identity.v3.project", "Project")
