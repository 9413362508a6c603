"""Child process of the stage's sensor check: StackStorm's sensor_wrapper.py, harness installed.

`checks.sensor_commands` takes the command line and environment from st2's own
ProcessSensorContainer (pack virtualenv python, PYTHONPATH = pack lib, then st2's
site-packages) and starts this file in place of sensor_wrapper.py (ST2STAGE_WRAPPER). This
file swaps MongoDB and the bus like the parent (`harness.install`), gives the sensor st2's
MockDatastoreService (no st2api to talk to), registers the pack's sensors (with their trigger
types, so st2 validates dispatched payloads) and config and stores the datastore items the
example names (the child has its own in-memory database), counts polls on stderr
("ST2STAGE poll N"), reports there each trigger that reaches the bus ("ST2STAGE dispatch
<trigger> <payload JSON>"), and then runs the wrapper as `__main__` with the container's
arguments and the wrapper's folder as sys.path[0], as a direct start would.
"""

# pylint: disable=wrong-import-position
import json
import os
import runpy
import sys

import harness  # first: monkey-patches like st2's entry points

harness.install()
harness.use_mock_sensor_datastore()


def _reporting_publish(payload, exchange, routing_key="", compression=None):
    """The bus's publish, with trigger dispatches reported on stderr for the parent."""
    harness.RecordingBus.publish(harness.BUS, payload, exchange, routing_key, compression)
    if getattr(exchange, "name", exchange) == "st2.trigger_instances_dispatch":
        trigger = payload.get("trigger")
        ref = trigger.get("ref") if isinstance(trigger, dict) else trigger
        sys.stderr.write(f"ST2STAGE dispatch {ref} {json.dumps(payload.get('payload'))}\n")
        sys.stderr.flush()


harness.BUS.publish = _reporting_publish

from oslo_config import cfg
from st2common.bootstrap import configsregistrar, sensorsregistrar
from st2common.util import loader
from st2reactor.sensor import config

import checks

PARENT_ARGS = [a for a in sys.argv if a.startswith("--parent-args=")]
config.parse_args(args=json.loads(PARENT_ARGS[0].split("=", 1)[1]))  # --config-file <st2.conf>
harness.db_setup()
PACK_DIR = os.path.join(cfg.CONF.content.packs_base_paths, harness.PACK)
# The pack's trigger types (registered with its sensors): st2 validates every dispatched
# payload against its trigger type's payload_schema, and skips that for an unknown type.
sensorsregistrar.register_sensors(pack_dir=PACK_DIR, fail_on_failure=True)
configsregistrar.register_configs(pack_dir=PACK_DIR, fail_on_failure=True, validate_configs=True)
checks.store_example_secrets(os.environ["ST2STAGE_EXAMPLE"])

_register_plugin_class = loader.register_plugin_class


def _counting_plugin_class(*args, **kwargs):
    """st2's loader, with the loaded sensor class's poll() counted (observation only)."""
    cls = _register_plugin_class(*args, **kwargs)
    poll = getattr(cls, "poll", None)
    if poll is not None:
        count = [0]

        def counted_poll(self):
            count[0] += 1
            sys.stderr.write(f"ST2STAGE poll {count[0]}\n")
            sys.stderr.flush()
            return poll(self)

        cls.poll = counted_poll
    return cls


loader.register_plugin_class = _counting_plugin_class

wrapper = os.environ["ST2STAGE_WRAPPER"]
sys.argv = [wrapper] + sys.argv[1:]
sys.path[0] = os.path.dirname(wrapper)
runpy.run_path(wrapper, run_name="__main__")
