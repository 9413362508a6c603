"""The fake cloud's quotas: nova's, cinder's and neutron's, with limits and usage."""

from typing import Any, Dict, Tuple

from openstack.block_storage.v3.quota_set import QuotaSet as VolumeQuotaSet
from openstack.compute.v2.quota_set import QuotaSet
from openstack.network.v2.quota import QuotaDefault, QuotaDetails

from tests.fakes.store import Store, id_of

DEFAULT_QUOTAS = {
    "compute": {"instances": 10, "cores": 20, "ram": 51200},
    "network": {"networks": 100, "routers": 10, "floating_ips": 50},
    "volume": {"volumes": 10, "gigabytes": 1000},
}


class FakeQuotas(Store):
    """Quotas by service ("compute", "network", "volume") and project id: ``{key: (limit,
    used)}`` where set, else :data:`DEFAULT_QUOTAS` with nothing used."""

    quotas: Dict[str, Dict[str, Dict[str, Tuple[int, int]]]]

    def quota(self, service: str, project: Any) -> Dict[str, Tuple[int, int]]:
        """One project's limits and usage in one service."""
        defaults = {key: (limit, 0) for key, limit in DEFAULT_QUOTAS[service].items()}
        return {**defaults, **self.quotas.get(service, {}).get(id_of(project), {})}

    def wire_quotas(self) -> None:
        """Serve the quota methods of nova, cinder and neutron."""
        for proxy, service, kind in (
            ("compute", "compute", QuotaSet),
            ("block_storage", "volume", VolumeQuotaSet),
        ):
            self.serve(
                proxy,
                get_quota_set=self._quota_set(service, kind),
                update_quota_set=self._setter(service),
                revert_quota_set=self._reverter(service),
            )
            self.serve_shaped(proxy, get_quota_set_defaults=self._defaults(service, kind))
        self.serve(
            "network",
            get_quota=self._network_quota,
            get_quota_default=lambda quota: QuotaDefault(
                id=id_of(quota), **DEFAULT_QUOTAS["network"]
            ),
            delete_quota=lambda quota, ignore_missing=True: self._reverter("network")(quota),
        )
        self.serve_shaped("network", update_quota=self._setter("network"))

    def _quota_set(self, service: str, resource_type: Any):
        def get(project, usage=False, **query):
            assert not query
            quota = self.quota(service, project)
            values = {key: value[0] for key, value in quota.items()}
            if usage:
                values["usage"] = {key: value[1] for key, value in quota.items()}
                values["reservation"] = {key: 0 for key in quota}
            return resource_type(id=id_of(project), **values)

        return get

    @staticmethod
    def _defaults(service: str, resource_type: Any):
        return lambda project: resource_type(id=id_of(project), **DEFAULT_QUOTAS[service])

    def _network_quota(self, quota, details=False):
        assert details
        return QuotaDetails(
            **{
                key: {"limit": limit, "used": used, "reserved": 0}
                for key, (limit, used) in self.quota("network", quota).items()
            }
        )

    def _setter(self, service: str):
        def update(project, **attrs):
            attrs.pop("force", None)
            attrs.pop("check_limit", None)
            current = self.quota(service, project)
            stored = self.quotas.setdefault(service, {}).setdefault(id_of(project), {})
            for key, value in attrs.items():
                stored[key] = (value, current.get(key, (0, 0))[1])

        return update

    def _reverter(self, service: str):
        def revert(project, **_query):
            self.quotas.get(service, {}).pop(id_of(project), None)

        return revert
