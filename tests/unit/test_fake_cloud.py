"""The fakes of tests/fakes themselves: every proxy method they fake has the signature of the
installed openstacksdk's, so a call the SDK would reject fails in the unit tests too."""

import inspect

import pytest
from openstack import exceptions

from tests.fakes import boots, nova, project_cloud, query_cloud
from tests.fakes.cloud import FakeCloud

HAND_WRITTEN = [
    query_cloud.FakeProxy,
    query_cloud.FakeCompute,
    query_cloud.FakeIdentity,
    query_cloud.FakeImage,
    query_cloud.FakeNetwork,
    nova.FakeNova,
    boots.BootCompute,
    boots.NetworkWithFind,
    boots.FakePlacement,
]


def test_every_hand_written_proxy_is_checked():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    found = {
        cls for cls in subclasses(query_cloud.FakeProxy) if cls.__module__.startswith("tests.fakes")
    }
    assert found <= set(HAND_WRITTEN)


def _mismatch(fake, real) -> str:
    """Why ``fake`` cannot stand in for ``real`` (both unbound methods), or ''."""
    fake_params = list(inspect.signature(fake).parameters.values())[1:]
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


@pytest.mark.parametrize("fake_proxy", HAND_WRITTEN[1:], ids=lambda cls: cls.__name__)
def test_every_faked_method_has_the_sdk_signature(fake_proxy):
    problems = {}
    for name, method in vars(fake_proxy).items():
        if name.startswith("_") or not inspect.isfunction(method):
            continue
        real = getattr(fake_proxy.real, name, None)
        problems[name] = (
            "the real proxy has no such method" if real is None else _mismatch(method, real)
        )
    assert {name: why for name, why in problems.items() if why} == {}


def test_the_signature_check_catches_a_wrong_fake():
    class Wrong(query_cloud.FakeIdentity):
        """find_domain with a filter keystone's proxy does not take."""

        def find_domain(self, name_or_id, ignore_missing=True, **query):
            raise NotImplementedError

    real = query_cloud.FakeIdentity.real
    assert _mismatch(Wrong.find_domain, real.find_domain) == (
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
    return project_cloud.FakeCloud()


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
    assert cloud.conn.identity.get_project(project_cloud.ADMIN_PROJECT).name == "admin"
