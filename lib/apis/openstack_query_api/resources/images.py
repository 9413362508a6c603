"""Images (glance)."""

from __future__ import annotations

from apis.openstack_query_api.mapping import (
    PAGE_SIZE,
    ResourceMapping,
    exact_filters,
    get_or_none,
)
from apis.openstack_query_api.property_types import PropertyEnum
from apis.openstack_query_api.property_types import PropertyType as T
from apis.openstack_query_api.property_types import attr, prop


class ImageProperties(PropertyEnum):
    """Properties of an image; extra image properties are in ``image_properties``."""

    IMAGE_ID = prop("image_id", attr("id"), T.STRING, "id")
    IMAGE_NAME = prop("image_name", attr("name"), T.STRING, "name")
    IMAGE_STATUS = prop("image_status", attr("status"), T.STRING, "status")
    IMAGE_VISIBILITY = prop("image_visibility", attr("visibility"), T.STRING, "visibility")
    IMAGE_OWNER = prop("image_owner", attr("owner"), T.STRING, "owner", "project_id")
    IMAGE_CREATED_AT = prop("image_created_at", attr("created_at"), T.DATETIME, "created_at")
    IMAGE_UPDATED_AT = prop("image_updated_at", attr("updated_at"), T.DATETIME, "updated_at")
    IMAGE_SIZE = prop("image_size", attr("size"), T.INTEGER, "size")
    IMAGE_MIN_DISK = prop("image_min_disk", attr("min_disk"), T.INTEGER, "min_disk")
    IMAGE_MIN_RAM = prop("image_min_ram", attr("min_ram"), T.INTEGER, "min_ram")
    IMAGE_DISK_FORMAT = prop("image_disk_format", attr("disk_format"), T.STRING, "disk_format")
    IMAGE_OS_DISTRO = prop("image_os_distro", attr("os_distro"), T.STRING, "os_distro")
    IMAGE_IS_PROTECTED = prop("image_is_protected", attr("is_protected"), T.BOOLEAN, "protected")
    IMAGE_TAGS = prop("image_tags", attr("tags"), T.LIST, "tags")
    IMAGE_PROPERTIES = prop("image_properties", attr("properties"), T.MAPPING, "properties")


P = ImageProperties
_EXACT = {
    P.IMAGE_NAME: "name",
    P.IMAGE_STATUS: "status",
    P.IMAGE_VISIBILITY: "visibility",
    P.IMAGE_OWNER: "owner",
}


class ImageMapping(ResourceMapping):
    """Images: paged glance listing of the images the caller can see (admins see all)."""

    name = "images"
    aliases = ("image",)
    properties = ImageProperties
    id_property = P.IMAGE_ID
    project_property = P.IMAGE_OWNER
    default_select = (P.IMAGE_ID, P.IMAGE_NAME, P.IMAGE_STATUS, P.IMAGE_VISIBILITY)
    fanout_properties = (P.IMAGE_OWNER,)

    @classmethod
    def server_filters(cls, condition):
        return exact_filters(_EXACT, condition)

    @classmethod
    def list_resources(cls, conn, filters, scope):
        return conn.image.images(limit=PAGE_SIZE, **filters)

    @classmethod
    def get_resource(cls, conn, resource_id):
        return get_or_none(conn.image.get_image, resource_id)
