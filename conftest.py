"""Root pytest configuration: loads the integration fixtures as plugins."""

pytest_plugins = [
    "tests.integration.devcloud_fixtures",
    "tests.integration.peer_fixtures",
]
