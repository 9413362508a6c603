"""The fake cloud's nova (flavors, flavor access, compute services, instance actions,
stops) and glance (image updates and members)."""

# effects take the SDK method's parameters, whether they use them or not
# pylint: disable=unused-argument

from typing import Any, Dict, List

from openstack import exceptions
from openstack.image.v2.image import Image
from openstack.image.v2.member import Member

from tests.fakes.store import Store, body_attributes, check_attributes, id_of


class FakeCompute(Store):
    """Nova's and glance's part of the fake cloud.

    In the store: ``flavor_access`` (flavor id -> project ids), ``image_members`` (image id ->
    members), ``server_actions`` (server id -> instance actions, newest first) and
    ``stop_results`` (server id -> the status a stop ends in, or the exception it raises).
    """

    @property
    def flavor_access(self) -> Dict[str, List[str]]:
        """Flavor id -> the projects with access."""
        return self.store.setdefault("flavor_access", {})

    @property
    def image_members(self) -> Dict[str, List[Member]]:
        """Image id -> its members."""
        return self.store.setdefault("image_members", {})

    def wire_compute(self) -> None:
        """Serve nova's and glance's side effects."""
        self.serve(
            "compute",
            find_flavor=self._find_flavor,
            get_flavor_access=self._get_flavor_access,
            flavor_add_tenant_access=lambda flavor, tenant: self.flavor_access.setdefault(
                flavor.id, []
            ).append(tenant),
            flavor_remove_tenant_access=lambda flavor, tenant: self.flavor_access[flavor.id].remove(
                tenant
            ),
            create_flavor_extra_specs=self._add_extra_specs,
            disable_service=self._disable_service,
            enable_service=self._enable_service,
            server_actions=lambda server, **query: iter(
                self.store.get("server_actions", {}).get(server, [])
            ),
            stop_server=self._stop_server,
            wait_for_delete=lambda res, interval=2, wait=120, callback=None: res,
        )
        self.serve(
            "image",
            update_image=self._update_image,
            members=lambda image, **query: iter(self.image_members.get(image.id, [])),
            get_member=self._get_member,
            add_member=self._add_member,
            update_member=self._update_member,
        )
        self.serve(
            "block_storage", wait_for_delete=lambda res, interval=2, wait=120, callback=None: res
        )

    def _find_flavor(self, name_or_id, ignore_missing=True, *, get_extra_specs=False, **query):
        assert not query and get_extra_specs in (True, False)
        for flavor in self.of("flavors"):
            if name_or_id in (flavor.id, flavor.name):
                return flavor
        if ignore_missing:
            return None
        raise exceptions.NotFoundException(f"no flavor {name_or_id}")

    def _get_flavor_access(self, flavor):
        if flavor.is_public:
            raise exceptions.NotFoundException("Access list not available for public flavors.")
        return [
            {"flavor_id": flavor.id, "tenant_id": t} for t in self.flavor_access.get(flavor.id, [])
        ]

    @staticmethod
    def _add_extra_specs(flavor, extra_specs):
        flavor.extra_specs = {**(flavor.extra_specs or {}), **extra_specs}
        return flavor

    @staticmethod
    def _disable_service(service, host=None, binary=None, disabled_reason=None):
        service.status, service.disabled_reason = "disabled", disabled_reason
        return service

    @staticmethod
    def _enable_service(service, host=None, binary=None):
        service.status, service.disabled_reason = "enabled", None
        return service

    def _stop_server(self, server):
        outcome = self.store.get("stop_results", {}).get(server.id, "SHUTOFF")
        if isinstance(outcome, Exception):
            raise outcome
        server.status = outcome

    @staticmethod
    def _update_image(image, **attrs):
        """Like openstacksdk: properties not given are removed (glance refuses ``stores``)."""
        properties = {k: v for k, v in attrs.items() if k not in body_attributes(Image)}
        if properties:
            assert "stores" in properties, "update_image would remove the read-only 'stores'"
            image.properties = properties
        for key, value in attrs.items():
            if key not in properties:
                setattr(image, key, value)
        return image

    def _get_member(self, member, image):
        for found in self.image_members.get(id_of(image), []):
            if found.member_id == member:
                return found
        raise exceptions.NotFoundException(f"{member} is not a member")

    def _add_member(self, image, **attrs):
        check_attributes(Member, attrs)
        member = Member(id=attrs["member_id"], status="pending", **attrs)
        self.image_members.setdefault(image.id, []).append(member)
        return member

    def _update_member(self, member, image, **attrs: Any):
        found = self._get_member(member, image)
        found.status = attrs["status"]
        return found
