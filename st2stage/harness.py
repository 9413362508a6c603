"""What the real-StackStorm stage substitutes for StackStorm's services, and nothing else.

Everything else the stage runs is StackStorm 3.9.0's own code, installed in `.st2venv` from
`../shared/stackstorm/` by `setup_st2_venv` (scripts/setup_env.sh):

- MongoDB -> mongomock. st2common's `models.db._db_connect` (called by `db_setup`, which every
  st2 service and the sensor wrapper use) is replaced by one that hands mongoengine 0.29.1 a
  `mongomock.MongoClient` (`mongoengine.connect(..., mongo_client_class=...)`; the old
  `mongomock://` host form is gone from mongoengine >= 0.27). One mongomock server per process
  (`STORE`), so repeated db_setup calls see the same data; a child process (the sensor
  wrapper, see sensor_child.py) has its own and registers what it needs again.
- Message bus (kombu) -> `BUS`, an in-process bus. `PoolPublisher.publish`, which every st2
  publisher (CUD, state, trigger dispatch, announcements) goes through, appends
  `(exchange, routing_key, payload)` to `BUS.messages` instead of talking to RabbitMQ. Nothing
  consumes it unless a check attaches a st2 consumer with its queues (the workflow check
  attaches st2's workflow engine) and pumps `BUS.deliver()`. The sensor wrapper's
  TriggerWatcher does not consume.
- A sensor's datastore calls (`sensor_service.get_value`/`set_value`...) go over HTTP to st2api
  with a token in production; there is no st2api process here, so the sensor child uses
  StackStorm's own test double for them, `st2tests.mocks.datastore.MockDatastoreService`
  (what `st2-run-pack-tests` gives sensors), via `use_mock_sensor_datastore()`.

`configure()` sets st2's oslo config the way st2's own test suite does (`st2tests.config`), then
points it at this checkout: the pack is `<build>/packs/cloudops` (a symlink to the pack
folder, because StackStorm names a pack after its directory), pack virtualenvs and configs
live under `<build>/base` (st2's `system.base_path`), and the datastore crypto key is a
generated one; it also writes those settings as an st2.conf for the processes st2 spawns.
Import this module before anything else from st2: it monkey-patches like st2's own entry
points do.
"""

# pylint: disable=wrong-import-position
from st2common.util.monkey_patch import monkey_patch

monkey_patch()

import os
import re
import shutil
import sys

import mongoengine
import mongomock
from mongomock.store import ServerStore
from oslo_config import cfg

PACK = "cloudops"


class RecordingBus:
    """Stands in for RabbitMQ: keeps what st2 publishes; delivers only to attached handlers.

    `attach(queues, handler)` subscribes a st2 consumer (e.g. the workflow engine) with the
    kombu queues it would bind; `deliver()` hands it, in order, every message published since
    whose exchange and routing key match one of those queues, until none is left.
    """

    def __init__(self):
        self.messages = []
        self._pending = []
        self._consumers = []

    def publish(self, payload, exchange, routing_key="", compression=None):
        del compression
        name = getattr(exchange, "name", str(exchange))
        self.messages.append((name, routing_key, payload))
        self._pending.append((name, routing_key, payload))

    def pending(self):
        """How many published messages are not delivered yet."""
        return len(self._pending)

    def attach(self, queues, handler):
        self._consumers.append((queues, handler))

    def detach_all(self):
        self._consumers.clear()
        self._pending.clear()

    def deliver(self):
        """Process pending messages (and those they cause); returns how many were delivered."""
        count = 0
        while self._pending:
            name, key, payload = self._pending.pop(0)
            for queues, handler in self._consumers:
                if any(_bound(q, name, key) for q in queues):
                    count += 1
                    handler.process(payload)
        return count


def _bound(queue, exchange, routing_key):
    """Does `queue` receive a message sent to `exchange` with `routing_key` (topic rules)?"""
    if queue.exchange.name != exchange:
        return False
    pattern = re.escape(queue.routing_key or "").replace(r"\#", ".*").replace(r"\*", "[^.]*")
    return re.fullmatch(pattern, routing_key or "") is not None


BUS = RecordingBus()


# One in-memory server per process: st2 calls db_setup more than once (e.g. the sensor
# wrapper after the stage seeded the database) and each call must see the same data.
STORE = ServerStore()


def _mongomock_connect(db_name, db_host, db_port, **_kwargs):
    """`st2common.models.db._db_connect` with an in-memory mongomock database."""
    del db_host, db_port
    mongoengine.connection.disconnect()
    return mongoengine.connect(
        db_name,
        host="mongodb://localhost",
        mongo_client_class=mongomock.MongoClient,
        _store=STORE,
        tz_aware=True,
        uuidRepresentation="pythonLegacy",
    )


def install():
    """Swap MongoDB for mongomock and the bus for BUS (idempotent)."""
    from st2common.models import db as st2_db
    from st2common.transport import publishers

    from st2common.services import triggerwatcher

    st2_db._db_connect = _mongomock_connect  # pylint: disable=protected-access
    publishers.PoolPublisher.publish = lambda self, *a, **kw: BUS.publish(*a, **kw)
    # The consuming side: the sensor wrapper's TriggerWatcher would consume trigger CUD events
    # from RabbitMQ in a green thread (kombu's ConsumerMixin.run); nothing is ever published
    # to it here, so its consume loop does nothing. It still loads the triggers from the DB.
    triggerwatcher.TriggerWatcher.run = lambda self, *a, **kw: None


LOGGING_CONF = """[loggers]
keys=root
[handlers]
keys=consoleHandler
[formatters]
keys=simpleConsoleFormatter
[logger_root]
level=INFO
handlers=consoleHandler
[handler_consoleHandler]
class=StreamHandler
level=INFO
formatter=simpleConsoleFormatter
args=(sys.stdout,)
[formatter_simpleConsoleFormatter]
class=st2common.logging.formatters.ConsoleLogFormatter
format=%(asctime)s %(levelname)s [-] %(message)s
datefmt=
"""


def use_mock_sensor_datastore():
    """Sensors get st2's MockDatastoreService instead of the HTTP datastore client."""
    from st2common.services import datastore
    from st2tests.mocks.datastore import MockDatastoreService

    datastore.SensorDatastoreService = MockDatastoreService


def configure(pack_dir, build_dir):
    """st2's test configuration, pointed at `pack_dir` and `build_dir`; returns the pack path.

    Also writes those settings to `<build>/base/st2.conf` and makes sys.argv
    `[prog, "--config-file", that]`, which st2 hands to the processes it spawns.
    """
    import st2tests.config
    from st2common.util import crypto

    st2tests.config.parse_args()
    build_dir = os.path.abspath(build_dir)
    packs = os.path.join(build_dir, "packs")
    base = os.path.join(build_dir, "base")
    os.makedirs(packs, exist_ok=True)
    os.makedirs(os.path.join(base, "configs"), exist_ok=True)
    link = os.path.join(packs, PACK)
    if os.path.islink(link) or os.path.exists(link):
        if os.path.realpath(link) != os.path.realpath(pack_dir):
            os.unlink(link)
    if not os.path.lexists(link):
        os.symlink(os.path.abspath(pack_dir), link)

    key_path = os.path.join(base, "crypto.key.json")
    if not os.path.exists(key_path):
        # What st2-generate-symmetric-crypto-key writes.
        with open(key_path, "w", encoding="utf-8") as fh:
            fh.write(crypto.AESKey.generate().to_json())

    # The sensor wrapper sets up logging from this file: st2's console handler only.
    logging_conf = os.path.join(base, "logging.sensorcontainer.conf")
    with open(logging_conf, "w", encoding="utf-8") as fh:
        fh.write(LOGGING_CONF)
    settings = {
        ("sensorcontainer", "logging"): logging_conf,
        ("system", "base_path"): base,
        ("system", "validate_trigger_parameters"): True,
        ("system", "validate_trigger_payload"): True,
        ("system", "validate_output_schema"): True,
        ("content", "system_packs_base_path"): "",
        ("content", "packs_base_paths"): packs,
        ("packs", "enable_common_libs"): True,
        ("keyvalue", "encryption_key_path"): key_path,
        ("keyvalue", "enable_encryption"): True,
        ("actionrunner", "python_binary"): sys.executable,
        ("coordination", "url"): "",
    }
    for (group, name), value in settings.items():
        if value != "" or group != "coordination":
            cfg.CONF.set_override(name, value, group=group)
    # The same settings as an st2.conf for the processes st2 spawns (python_action_wrapper,
    # sensor_wrapper): st2 passes its own command line on to them as --parent-args, so the
    # stage's command line becomes `--config-file <base>/st2.conf`, as for a real st2 service.
    conf_path = os.path.join(base, "st2.conf")
    lines = []
    for group in sorted({g for g, _ in settings}):
        lines.append(f"[{group}]")
        lines += [f"{n} = {v}" for (g, n), v in settings.items() if g == group]
    with open(conf_path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    sys.argv = [sys.argv[0], "--config-file", conf_path]
    return link


def db_setup():
    """Connect st2's models to a fresh in-memory database (through st2's own db_setup)."""
    from st2common.models.db import db_setup as st2_db_setup

    conf = cfg.CONF.database
    st2_db_setup(conf.db_name, conf.host, conf.port, ensure_indexes=True)


def install_config(example_path):
    """Copy `example_path` to where st2 looks for the pack's config (<base>/configs/)."""
    target = os.path.join(cfg.CONF.system.base_path, "configs", PACK + ".yaml")
    shutil.copyfile(example_path, target)
    return target


def store_secret(name, value):
    """Store a datastore item the way `st2 key set -e NAME VALUE` does (system scope)."""
    from st2common.constants.keyvalue import FULL_SYSTEM_SCOPE
    from st2common.models.api.keyvalue import KeyValuePairAPI
    from st2common.persistence.keyvalue import KeyValuePair

    KeyValuePairAPI._setup_crypto()  # pylint: disable=protected-access
    api = KeyValuePairAPI(name=name, value=value, secret=True, scope=FULL_SYSTEM_SCOPE)
    return KeyValuePair.add_or_update(KeyValuePairAPI.to_model(api))
