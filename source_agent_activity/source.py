"""The source: the declarative manifest, plus a readable `check` answer and a sync plan in the log."""

import ast
import logging
import math
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Optional

from airbyte_cdk.models import AirbyteConnectionStatus, Status
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

from source_agent_activity.components import format_time
from source_agent_activity.cursor_speedups import speed_up_cursor
from source_agent_activity.errors import config_error
from source_agent_activity.hosts import ACCOUNT_CONFIG_ERROR, ACCOUNT_CONFIG_STREAMS, SELECTED_STREAMS
from source_agent_activity.progress import PROGRESS

logger = logging.getLogger("airbyte")


class SourceAgentActivity(YamlDeclarativeSource):
    def __init__(self, catalog=None, config=None, state=None, **kwargs: Any) -> None:
        if config is not None and catalog is not None:
            # Tells host discovery which services this read needs (see hosts.ACCOUNT_CONFIG_STREAMS); not persisted.
            config = {**config, SELECTED_STREAMS: [configured.stream.name for configured in catalog.streams]}
        super().__init__(path_to_yaml="manifest.yaml", catalog=catalog, config=config, state=state, **kwargs)
        if catalog is not None and "__start" in self._config:
            self._announce_windows(_saved_time(state))

    def _announce_windows(self, saved: Optional[datetime]) -> None:
        """Log where status_changes starts and how many windows that makes (the progress lines count down)."""
        config = self._config
        start, end = _parse(config["__start"]), _parse(config["__end"])
        if saved is not None:
            lookback = timedelta(minutes=config.get("lookback_minutes", 120))
            start = max(saved - lookback, start, _parse(config["__earliest"]))
            logger.info(
                f"status_changes resumes from its saved state {format_time(saved)}, re-reading "
                f"{int(lookback.total_seconds() // 60)} minutes before it (lookback_minutes): "
                f"from {format_time(start)}."
            )
        step = timedelta(days=config.get("window_size_days", 7))
        PROGRESS.reset(expected=max(math.ceil((end - start) / step), 0))
        logger.info(
            f"status_changes will read {format_time(start)} to {format_time(end)} in {PROGRESS.expected} window(s) "
            f"of up to {step.days} day(s), {config.get('num_workers', 3)} at a time."
        )

    def streams(self, config: Mapping[str, Any]) -> list:
        streams = super().streams(config)
        missing_host = self._config.get(ACCOUNT_CONFIG_ERROR)
        for stream in streams:
            speed_up_cursor(stream)
            if missing_host is not None and stream.name in ACCOUNT_CONFIG_STREAMS:
                fail_when_read(stream, missing_host)
        return streams

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """The CDK returns a failure reason as the repr() of a string; give the user the string itself."""
        status = super().check(logger, config)
        if status.status == Status.FAILED and status.message and status.message[:1] in "'\"":
            try:
                status.message = str(ast.literal_eval(status.message))
            except (ValueError, SyntaxError):
                pass
        return status


def fail_when_read(stream: Any, message: str) -> None:
    """Make one stream fail with `message` when it is read, leaving the other streams of the sync untouched."""

    def no_partitions() -> Iterable[Any]:
        raise config_error(message)

    stream.generate_partitions = no_partitions


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _saved_time(state: Optional[list]) -> Optional[datetime]:
    for message in state or []:
        stream = getattr(message, "stream", None)
        if stream is None or stream.stream_descriptor.name != "status_changes" or stream.stream_state is None:
            continue
        value = getattr(stream.stream_state, "time", None)
        if isinstance(value, str):
            try:
                return _parse(value)
            except ValueError:
                return None
    return None
