"""The three kinds of failure a user can be shown, each with a message that says what to do."""

from typing import Optional

from airbyte_cdk.models import AirbyteMessage, FailureType, StreamDescriptor
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


class ConfigError(AirbyteTracedException):
    """A setting (or a permission) the user must change: the error trace carries the message and no stack trace.

    Nothing in the connector went wrong, so a Python stack trace would only bury the one line the user must read.
    """

    def as_airbyte_message(self, stream_descriptor: Optional[StreamDescriptor] = None) -> AirbyteMessage:
        message = super().as_airbyte_message(stream_descriptor=stream_descriptor)
        if message.trace is not None and message.trace.error is not None:
            message.trace.error.stack_trace = None
        return message


def config_error(message: str) -> AirbyteTracedException:
    """The user must change a setting (or a permission) before a retry can succeed."""
    return ConfigError(message=message, internal_message=message, failure_type=FailureType.config_error)


def transient_error(message: str) -> AirbyteTracedException:
    """Retrying the sync later is expected to work."""
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.transient_error)


def system_error(message: str) -> AirbyteTracedException:
    """LivePerson (or this connector) did something unexpected."""
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.system_error)
