"""Check the Airbyte messages one connector command printed inside the image.

    python docker/check_messages.py COMMAND OUTPUT_FILE EXIT_CODE [--min-records N] [--secret VALUE ...]

COMMAND is spec, check, discover or read; OUTPUT_FILE holds the container's stdout. Prints a one-line
summary and exits 0 when the output is what Airbyte expects from that command, 1 (with the reasons)
otherwise. Standard library only: it runs on the host, outside the image.
"""

import argparse
import json
import sys

STREAM = "status_changes"


def parse(path: str) -> tuple[list[dict], list[str]]:
    """Airbyte messages (one JSON object a line) and the lines that are not messages."""
    messages, other = [], []
    with open(path, encoding="utf-8") as output:
        for line in output:
            line = line.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                other.append(line)
                continue
            if isinstance(message, dict) and "type" in message:
                messages.append(message)
            else:
                other.append(line)
    return messages, other


def of_type(messages: list[dict], kind: str) -> list[dict]:
    return [m for m in messages if m["type"] == kind]


def error_traces(messages: list[dict]) -> list[str]:
    return [
        m["trace"]["error"].get("message", "?")
        for m in of_type(messages, "TRACE")
        if m.get("trace", {}).get("type") == "ERROR"
    ]


def check_spec(messages: list[dict], args: argparse.Namespace) -> tuple[list[str], str]:
    specs = of_type(messages, "SPEC")
    if len(specs) != 1:
        return [f"expected one SPEC message, got {len(specs)}"], ""
    connection = specs[0]["spec"].get("connectionSpecification") or {}
    properties = connection.get("properties") or {}
    problems = []
    if "account_id" not in properties:
        problems.append(f"connectionSpecification has no account_id property: {sorted(properties)}")
    if "account_id" not in connection.get("required", []):
        problems.append("account_id is not required")
    return problems, f"{len(properties)} properties, title {connection.get('title')!r}"


def check_check(messages: list[dict], args: argparse.Namespace) -> tuple[list[str], str]:
    statuses = of_type(messages, "CONNECTION_STATUS")
    if len(statuses) != 1:
        return [f"expected exactly one CONNECTION_STATUS, got {len(statuses)}"], ""
    status = statuses[0]["connectionStatus"]
    if status.get("status") != "SUCCEEDED":
        return [f"connection status {status.get('status')}: {status.get('message')}"], ""
    return [], "SUCCEEDED"


def check_discover(messages: list[dict], args: argparse.Namespace) -> tuple[list[str], str]:
    catalogs = of_type(messages, "CATALOG")
    if len(catalogs) != 1:
        return [f"expected one CATALOG message, got {len(catalogs)}"], ""
    streams = {s["name"]: s for s in catalogs[0]["catalog"]["streams"]}
    if STREAM not in streams:
        return [f"{STREAM} is not in the catalog: {sorted(streams)}"], ""
    problems = []
    if "incremental" not in streams[STREAM].get("supported_sync_modes", []):
        problems.append(f"{STREAM} does not support incremental sync")
    return problems, f"streams {', '.join(sorted(streams))}"


def check_read(messages: list[dict], args: argparse.Namespace) -> tuple[list[str], str]:
    records = of_type(messages, "RECORD")
    ours = [r for r in records if r["record"]["stream"] == STREAM]
    others = sorted({r["record"]["stream"] for r in records} - {STREAM})
    states = [
        m
        for m in of_type(messages, "STATE")
        if m["state"].get("stream", {}).get("stream_descriptor", {}).get("name") == STREAM
    ]
    problems = []
    if len(ours) < args.min_records:
        problems.append(f"{len(ours)} RECORD messages for {STREAM}, expected at least {args.min_records}")
    if others:
        problems.append(f"records of streams that were not selected: {others}")
    if not states:
        problems.append(f"no STATE message for {STREAM}")
    missing_keys = [r for r in ours if not {"agentId", "time", "statusType"} <= set(r["record"]["data"])]
    if missing_keys:
        example = missing_keys[0]["record"]["data"]
        problems.append(f"{len(missing_keys)} records lack a primary-key field, e.g. {example}")
    final_state = states[-1]["state"]["stream"].get("stream_state") if states else None
    return problems, f"{len(ours)} records, {len(states)} state messages, final state {json.dumps(final_state)}"


CHECKS = {"spec": check_spec, "check": check_check, "discover": check_discover, "read": check_read}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=sorted(CHECKS))
    parser.add_argument("output_file")
    parser.add_argument("exit_code", type=int)
    parser.add_argument("--min-records", type=int, default=1, help="read: fewest records of the stream")
    parser.add_argument("--secret", action="append", default=[], help="a value that must not appear in the output")
    args = parser.parse_args(argv)

    messages, other_lines = parse(args.output_file)
    problems, summary = CHECKS[args.command](messages, args)
    if args.exit_code != 0:
        problems.insert(0, f"exit code {args.exit_code}")
    problems += [f"error trace: {message}" for message in error_traces(messages)]
    if other_lines:
        problems.append(f"{len(other_lines)} stdout lines are not Airbyte messages, e.g. {other_lines[0][:200]!r}")
    with open(args.output_file, encoding="utf-8") as output:
        text = output.read()
    leaked = [secret for secret in args.secret if secret and secret in text]
    problems += [f"{len(leaked)} secret(s) from the config appear unmasked in the output"] if leaked else []

    if problems:
        print(f"FAIL {args.command}: " + "; ".join(problems))
        return 1
    print(f"ok   {args.command}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
