"""Console entry point: `source-agent-activity spec|check|discover|read ...`, built the way the CDK builds sources."""

import gc
import sys
from typing import Any, Mapping, Optional

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import ConnectorSpecification
from airbyte_cdk.sources import Source
from airbyte_cdk.sources.utils.schema_helpers import split_config

from source_agent_activity.config_rules import check_against_spec
from source_agent_activity.errors import ConfigError
from source_agent_activity.source import SourceAgentActivity

# Worker threads hand every record to the main thread through the CDK's queue. With CPython's default 5 ms switch
# interval the GIL changes hands between them thousands of times a second; 50 ms cut a sync's CPU by about 12 % in
# our benchmark (docs/performance.md). Threads waiting on the network release the GIL at once either way.
GIL_SWITCH_INTERVAL_SECONDS = 0.05

# A sync allocates a few container objects per record (the page's dicts, the CDK's Record, the message), nearly all
# freed at once by reference counting. With Python's default threshold (700) the cyclic collector runs every few
# hundred records and walks the young objects each time; every 100,000 it costs a tenth of that. The objects the
# process builds at start-up (the CDK's classes, the manifest's components) are frozen out of every later collection.
# Measured at 1,000,000 records: 10 % less CPU for status_changes, 13 % for agent_status_intervals, peak RSS unchanged
# (docs/performance.md).
GC_THRESHOLDS = (100_000, 50, 100)


class AgentActivityEntrypoint(AirbyteEntrypoint):
    """The CDK's entrypoint, whose check of a config against the spec's JSON schema names the setting to fix.

    The CDK runs that check before `check`, always, and answers with jsonschema's own text (`6000 is greater than
    the maximum of 5000`), which names neither the field nor the fix. The same schema, from the same spec, answers
    here in config_rules.py's words, as `discover` and `read` do (source.py).
    """

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        connector_config, _ = split_config(config)
        check_against_spec(connector_config, source_spec.connectionSpecification)


def launch(source: Source, args: list[str]) -> None:
    """airbyte_cdk.entrypoint.launch, with the entrypoint above.

    A config error `discover` or `read` starts with (config_rules.py) ends the process with that one error trace and
    exit code 1, as the CDK's exception hook would, without the hook's FATAL log of a Python stack trace: nothing in
    the connector went wrong, the user has a setting to fix.
    """
    entrypoint = AgentActivityEntrypoint(source)
    parsed_args = entrypoint.parse_args(args)
    with PRINT_BUFFER:
        try:
            for message in entrypoint.run(parsed_args):
                print(f"{message}\n", end="")
        except ConfigError as error:
            print(f"{entrypoint.airbyte_message_to_string(error.as_sanitized_airbyte_message())}\n", end="")
            sys.exit(1)


def run(args: Optional[list[str]] = None) -> None:
    args = sys.argv[1:] if args is None else args
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
    gc.set_threshold(*GC_THRESHOLDS)
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    source = SourceAgentActivity(
        catalog=SourceAgentActivity.read_catalog(catalog_path) if catalog_path else None,
        config=SourceAgentActivity.read_config(config_path) if config_path else None,
        state=SourceAgentActivity.read_state(state_path) if state_path else None,
        config_path=config_path,
    )
    gc.freeze()
    launch(source, args)


if __name__ == "__main__":
    run()
