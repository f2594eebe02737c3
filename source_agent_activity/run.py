"""Console entry point: `source-agent-activity spec|check|discover|read ...`, built the way the CDK builds sources."""

import sys
from typing import Optional

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch

from source_agent_activity.source import SourceAgentActivity

# Worker threads hand every record to the main thread through the CDK's queue. With CPython's default 5 ms switch
# interval the GIL changes hands between them thousands of times a second; 50 ms cut a sync's CPU by about 12 % in
# our benchmark (docs/performance.md). Threads waiting on the network release the GIL at once either way.
GIL_SWITCH_INTERVAL_SECONDS = 0.05


def run(args: Optional[list[str]] = None) -> None:
    args = sys.argv[1:] if args is None else args
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    source = SourceAgentActivity(
        catalog=SourceAgentActivity.read_catalog(catalog_path) if catalog_path else None,
        config=SourceAgentActivity.read_config(config_path) if config_path else None,
        state=SourceAgentActivity.read_state(state_path) if state_path else None,
        config_path=config_path,
    )
    launch(source, args)


if __name__ == "__main__":
    run()
