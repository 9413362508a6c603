"""What the HTTP api clients' tests share: requests.Session.request mocked."""

from unittest import mock

import pytest
import requests


@pytest.fixture(name="request_mock")
def fixture_request_mock():
    """requests.Session.request, autospecced so every call is checked against its signature."""
    with mock.patch.object(requests.Session, "request", autospec=True) as request:
        yield request
