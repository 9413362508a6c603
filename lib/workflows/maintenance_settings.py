"""The pack config's ``hypervisor_maintenance``: the site's patch scripts and test image, the
concurrency bound and the notice window.

The maintenance rules run ``hypervisor.maintenance.start``, ``hypervisor.patch.reboot`` and
``hypervisor.post.reboot`` with only
the cloud and the host from the trigger; everything site-specific comes from here. A
parameter given to the action wins over the config.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional, Sequence, Tuple

from apis.config_section import check_known_keys
from apis.errors import CloudopsError

CONFIG_KEY = "hypervisor_maintenance"


class MaintenanceSettingsError(CloudopsError):
    """``hypervisor_maintenance`` is malformed, or a needed value is neither given nor set."""


@dataclasses.dataclass(frozen=True)
class MaintenanceSettings:  # pylint: disable=too-many-instance-attributes
    """Defaults for the patch/reboot runbooks (see config.schema.yaml)."""

    patch_script: Optional[str] = None
    reboot_script: Optional[str] = None
    patch_args: Tuple[str, ...] = ()
    comment: Optional[str] = None
    test_image: Optional[str] = None
    test_flavors: Tuple[str, ...] = ()
    test_flavor_choice: str = "one"
    keep_failed_test_server: bool = False
    network: Optional[str] = None
    icinga_account: Optional[str] = None
    max_hosts_in_maintenance_per_aggregate: int = 1
    notice_duration: str = "1d"
    ssh_host: Optional[str] = None

    @classmethod
    def from_config(cls, settings: Optional[Mapping[str, Any]]) -> "MaintenanceSettings":
        """The checked settings; unknown keys are named with the valid ones."""
        settings = dict(settings or {})
        valid = [field.name for field in dataclasses.fields(cls)]
        check_known_keys(CONFIG_KEY, settings, valid, MaintenanceSettingsError)
        for name in ("patch_args", "test_flavors"):
            settings[name] = tuple(str(item) for item in settings.get(name) or ())
        return cls(**{name: value for name, value in settings.items() if value is not None})

    def pick(self, parameter: str, given: Any) -> Any:
        """``given`` when the caller gave it, else this config's value, else a clear error."""
        if given is not None:
            return given
        value = getattr(self, parameter)
        if value is None:
            raise MaintenanceSettingsError(
                f"{parameter} is required: give it, or set {CONFIG_KEY}.{parameter} in the "
                "pack config"
            )
        return value

    def ssh_address(self, host: str, given: Optional[str]) -> str:
        """Where to SSH to for compute host ``host``: ``given``, else this config's ``ssh_host``
        pattern with ``{host}`` filled in (e.g. ``{host}.mgmt.example.org``), else ``host``."""
        if given:
            return given
        if not self.ssh_host:
            return host
        try:
            return self.ssh_host.format(host=host)
        except (KeyError, IndexError, ValueError) as err:
            raise MaintenanceSettingsError(
                f"{CONFIG_KEY}.ssh_host {self.ssh_host!r} is not a pattern with only {{host}} "
                f"in it: {err}"
            ) from None

    def icinga(self, given: Any, icinga_accounts: Optional[Sequence[Mapping[str, Any]]]) -> Any:
        """The Icinga account given, else the one named here (None: no downtime)."""
        if given is not None or not self.icinga_account:
            return given
        from apis.account_kinds import AccountKind

        return AccountKind.ICINGA.lookup(self.icinga_account, {"icinga_accounts": icinga_accounts})
