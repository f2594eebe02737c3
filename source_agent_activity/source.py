"""The source: the declarative manifest, plus a readable `check` answer."""

import ast
import logging
from typing import Any, Mapping

from airbyte_cdk.models import AirbyteConnectionStatus, Status
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

from source_agent_activity.hosts import SELECTED_STREAMS


class SourceAgentActivity(YamlDeclarativeSource):
    def __init__(self, catalog=None, config=None, state=None, **kwargs: Any) -> None:
        if config is not None and catalog is not None:
            # Tells host discovery which services this read needs (see hosts.ACCOUNT_CONFIG_STREAMS); not persisted.
            config = {**config, SELECTED_STREAMS: [configured.stream.name for configured in catalog.streams]}
        super().__init__(path_to_yaml="manifest.yaml", catalog=catalog, config=config, state=state, **kwargs)

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """The CDK returns a failure reason as the repr() of a string; give the user the string itself."""
        status = super().check(logger, config)
        if status.status == Status.FAILED and status.message and status.message[:1] in "'\"":
            try:
                status.message = str(ast.literal_eval(status.message))
            except (ValueError, SyntaxError):
                pass
        return status
