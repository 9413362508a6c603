"""The fakes of tests/fakes themselves: every proxy method they fake has the signature of the
installed openstacksdk's, so a call the SDK would reject fails in the unit tests too."""

import inspect

import pytest
from openstack import exceptions

from tests.fakes import boots, nova
from tests.fakes.cloud import PROXIES, FakeCloud
from tests.fakes.identity import ADMIN_PROJECT


def every_effect():
    """``(service, method, effect)`` of the one fake cloud with every behaviour installed."""
    cloud = boots.booting_cloud({})
    nova.Migrations(cloud)
    return [
        (service, name, effect)
        for service, effects in sorted(cloud.effects.items())
        for name, effect in sorted(effects.items())
    ]


def _mismatch(fake, real) -> str:
    """Why the effect ``fake`` cannot stand in for ``real`` (an unbound method), or ''.
    A catch-all named ``*_args`` or ``**_kwargs`` takes what the effect ignores."""
    fake_params = [
        p
        for p in inspect.signature(fake).parameters.values()
        if not (p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name.startswith("_"))
    ]
    real_params = {p.name: p for p in list(inspect.signature(real).parameters.values())[1:]}
    takes_any = any(p.kind is p.VAR_KEYWORD for p in real_params.values())
    for param in fake_params:
        known = real_params.get(param.name)
        if known is not None and known.kind is param.kind:
            continue
        if known is None and takes_any and param.kind is param.KEYWORD_ONLY:
            continue
        if known is None and takes_any and param.kind is param.POSITIONAL_OR_KEYWORD:
            continue
        return f"{param} is not a parameter of the real method"
    named = {p.name for p in fake_params}
    for name, param in real_params.items():
        required = param.default is param.empty and param.kind in (
            param.POSITIONAL_ONLY,
            param.POSITIONAL_OR_KEYWORD,
            param.KEYWORD_ONLY,
        )
        if required and name not in named:
            return f"the real method requires {name!r}"
    return ""


def test_every_proxy_method_the_fake_serves_is_checked():
    served = {(service, name) for service, name, _ in every_effect()}
    assert ("compute", "live_migrate_server") in served and ("identity", "get") in served
    assert ("placement", "set_resource_provider_trait") in served


@pytest.mark.parametrize(
    "service, name, effect", every_effect(), ids=lambda value: getattr(value, "__name__", value)
)
def test_every_faked_method_has_the_sdk_signature(service, name, effect):
    real = getattr(PROXIES[service], name, None)
    assert real is not None, f"the real {service} proxy has no method {name}"
    assert _mismatch(effect, real) == ""


def test_the_signature_check_catches_a_wrong_fake():
    def find_domain(name_or_id, ignore_missing=True, **query):
        """find_domain with a filter keystone's proxy does not take."""
        raise NotImplementedError

    assert _mismatch(find_domain, PROXIES["identity"].find_domain) == (
        "**query is not a parameter of the real method"
    )


@pytest.fixture(name="fake")
def fixture_fake():
    return FakeCloud()


def test_proxies_check_signatures(fake):
    with pytest.raises(TypeError):
        fake.conn.network.add_interface_to_router("router", subnet_id="s")
    with pytest.raises(TypeError):
        fake.conn.compute.get_quota_set()


def test_listing_rejects_filters_the_sdk_does_not_know(fake):
    with pytest.raises(AssertionError, match="filters the SDK does not know"):
        fake.conn.network.networks(owner="x")


def test_create_rejects_unknown_attributes_and_stores_the_rest(fake):
    with pytest.raises(AssertionError, match="no attribute"):
        fake.conn.network.create_network(name="n", tenant="x")
    created = fake.conn.network.create_network(name="n", project_id="p")
    assert list(fake.conn.network.networks(name="n")) == [created]
    assert created.mtu == 1500


def test_getter_raises_not_found_like_the_sdk(fake):
    with pytest.raises(exceptions.NotFoundException):
        fake.conn.network.get_network("nope")


@pytest.fixture(name="cloud")
def fixture_cloud():
    return FakeCloud().with_admin()


def test_fake_proxies_reject_calls_the_sdk_would_reject(cloud):
    with pytest.raises(TypeError):
        cloud.conn.identity.assign_project_role_to_user("p", "u")
    with pytest.raises(TypeError):
        cloud.conn.network.add_interface_to_router("r", subnet_id="s")
    with pytest.raises(AssertionError, match="filters the SDK does not know"):
        list(cloud.conn.network.networks(router_external=True))


def test_fake_neutron_makes_the_default_group_when_listed_by_project(cloud):
    assert not list(cloud.conn.network.security_groups())
    listed = list(cloud.conn.network.security_groups(project_id="p-1"))
    assert [(g.name, g.project_id) for g in listed] == [("default", "p-1")]


def test_fake_getters_raise_not_found(cloud):
    with pytest.raises(exceptions.NotFoundException):
        cloud.conn.identity.get_project("nope")
    assert cloud.conn.identity.get_project(ADMIN_PROJECT).name == "admin"


def test_a_method_the_fake_does_not_serve_fails_loudly(fake):
    with pytest.raises(AssertionError, match="does not serve compute.rebuild_server"):
        fake.conn.compute.rebuild_server("s", image="i")
