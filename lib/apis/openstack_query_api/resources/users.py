"""Users (keystone)."""

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


class UserProperties(PropertyEnum):
    """Properties of a user."""

    USER_ID = prop("user_id", attr("id"), T.STRING, "id")
    USER_NAME = prop("user_name", attr("name"), T.STRING, "name")
    USER_EMAIL = prop("user_email", attr("email"), T.STRING, "email", "email_address")
    USER_DOMAIN_ID = prop("user_domain_id", attr("domain_id"), T.STRING, "domain_id")
    USER_DESCRIPTION = prop("user_description", attr("description"), T.STRING, "description")
    USER_ENABLED = prop("user_enabled", attr("is_enabled"), T.BOOLEAN, "enabled", "is_enabled")
    USER_DEFAULT_PROJECT_ID = prop(
        "user_default_project_id", attr("default_project_id"), T.STRING, "default_project_id"
    )
    USER_PASSWORD_EXPIRES_AT = prop(
        "user_password_expires_at", attr("password_expires_at"), T.DATETIME, "password_expires_at"
    )


P = UserProperties
_EXACT = {P.USER_NAME: "name", P.USER_DOMAIN_ID: "domain_id", P.USER_ENABLED: "is_enabled"}


class UserMapping(ResourceMapping):
    """Users: one keystone listing (kept as JSON), or a GET per id for a few."""

    name = "users"
    aliases = ("user",)
    properties = UserProperties
    id_property = P.USER_ID
    domain_property = P.USER_DOMAIN_ID
    default_select = (P.USER_ID, P.USER_NAME, P.USER_EMAIL)
    max_gets = 2

    @classmethod
    def server_filters(cls, condition):
        return exact_filters(_EXACT, condition) or keystone_name_filters(P.USER_NAME, condition)

    @classmethod
    def list_resources(cls, conn, filters, scope):
        return json_listing(conn.identity, "/users", RawUser, filters)

    @classmethod
    def get_resource(cls, conn, resource_id):
        return get_or_none(conn.identity.get_user, resource_id)


class RawUser(JsonResource):
    """A listed user: keystone's JSON with openstacksdk's attribute names."""

    __slots__ = ()
    sdk_resource = ("openstack.identity.v3.user", "User")
