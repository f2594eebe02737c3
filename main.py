"""`python main.py spec|check|discover|read ...`: the same as the `source-agent-activity` command."""

from source_agent_activity.run import run

if __name__ == "__main__":
    run()
