"""The errors of server migrations: one root, and why a migration did not happen."""

from apis.openstack_api.servers import ServerError


class MigrationError(ServerError):
    """A server migration could not be planned, started or finished."""


class MigrationConfigError(MigrationError):
    """The pack config's ``migration`` object has a bad key or value."""


class MigrationRefused(MigrationError):
    """The server must not or cannot move (flavor, state, target); nothing was changed."""


class MigrationFailed(MigrationError):
    """Nova refused or failed the migration, or it did not finish in time."""
