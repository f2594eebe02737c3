"""Airbyte source for LivePerson's Agent Activity API."""

from source_agent_activity.source import SourceAgentActivity

__all__ = ["SourceAgentActivity"]
