"""The three kinds of failure a user can be shown, each with a message that says what to do."""

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


def _traced(message: str, failure_type: FailureType) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=message, failure_type=failure_type)


def config_error(message: str) -> AirbyteTracedException:
    """The user must change a setting (or a permission) before a retry can succeed."""
    return _traced(message, FailureType.config_error)


def transient_error(message: str) -> AirbyteTracedException:
    """Retrying the sync later is expected to work."""
    return _traced(message, FailureType.transient_error)


def system_error(message: str) -> AirbyteTracedException:
    """LivePerson (or this connector) did something unexpected."""
    return _traced(message, FailureType.system_error)
