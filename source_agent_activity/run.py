"""Console entry point: `source-agent-activity spec|check|discover|read ...`."""

import sys
from typing import Optional

import orjson
from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteMessageSerializer,
    FailureType,
    Status,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_agent_activity.source import SourceAgentActivity

# Worker threads hand every record to the main thread through the CDK's queue. With CPython's default 5 ms switch
# interval the GIL changes hands between them thousands of times a second; 50 ms cut a sync's CPU by about 12 % in
# our benchmark (docs/performance.md). Threads waiting on the network release the GIL at once either way.
GIL_SWITCH_INTERVAL_SECONDS = 0.05


def _print(message: AirbyteMessage) -> None:
    print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode(), flush=True)


def _report_startup_failure(command: Optional[str], error: Exception) -> int:
    """Building the source validates the config and discovers hosts: a failure there still gets a clean answer.

    `check` answers FAILED (exit 0 for a config error, as Airbyte expects); other commands emit an error trace.
    """
    if not isinstance(error, AirbyteTracedException):
        error = AirbyteTracedException.from_exception(error, message=f"The connector could not start: {error}")
    if command == "check" and error.failure_type == FailureType.config_error:
        status = AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
        _print(AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=status))
        return 0
    message = error.as_airbyte_message()
    if error.failure_type == FailureType.config_error:
        # The user must change a setting; a Python stack trace would only hide the message.
        message.trace.error.stack_trace = None
    _print(message)
    if command == "check":
        status = AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
        _print(AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=status))
    return 1


def _source(args: list[str]) -> SourceAgentActivity:
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    return SourceAgentActivity(
        catalog=SourceAgentActivity.read_catalog(catalog_path) if catalog_path else None,
        config=SourceAgentActivity.read_config(config_path) if config_path else None,
        state=SourceAgentActivity.read_state(state_path) if state_path else None,
        config_path=config_path,
    )


def run(args: Optional[list[str]] = None) -> None:
    args = sys.argv[1:] if args is None else args
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
    command = args[0] if args else None
    try:
        source = _source(args)
    except Exception as error:  # noqa: BLE001 - every start-up failure must reach the user as a message
        sys.exit(_report_startup_failure(command, error))
    launch(source, args)


if __name__ == "__main__":
    run()
