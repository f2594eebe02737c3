"""The floor: the least work any client must do to read status changes, to compare the connector against.

Fetches a token, issues the same windowed, paged requests as the connector with one ``requests.Session``, decodes
each page with ``orjson`` and writes one Airbyte RECORD line per record and one STATE line per window. Nothing else:
no retries, no schema, no validation, no threads.

    python -m benchmarks.floor_client --info sim-info.json --start 2026-06-01T00:00:00.000Z \
        --end 2026-11-25T12:00:00.000Z --output floor.jsonl

``--info`` is the JSON the simulator prints (address, ca_path, account_id, client_id, client_secret). Hosts are
discovered through the Domain API like the connector does (one GET for every service of the account), so both make
the same requests: discovery + token + one request per page. ``--hosts info`` skips discovery and uses the info's
address for every service (one request fewer). Prints a one-line JSON summary on stdout.
"""

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, Iterator, Optional
from urllib.parse import parse_qs, urlsplit

import orjson
import requests

DAY_MS = 86_400_000
TIMEOUT = (15, 120)  # the connector's connect / read timeouts
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SERVICES = ("agentActivityDomain", "sentinel")
OUTPUT_BUFFER_BYTES = 1 << 20


def parse_ms(text: str) -> int:
    """UTC epoch milliseconds of an RFC 3339 date-time (naive means UTC), truncated to the millisecond."""
    moment = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def format_ms(ms: int) -> str:
    """``2026-11-25T08:15:30.123Z``: how the connector writes ``from`` and ``to``."""
    return (_EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def windows(start_ms: int, end_ms: int, step_ms: int) -> Iterator[tuple[int, int]]:
    """The connector's windows: ``[lower, lower + step - 1 ms]`` from start; the last one ends at ``end`` itself."""
    lower = start_ms
    while True:
        upper = min(lower + step_ms, end_ms)
        if upper >= end_ms:
            yield lower, end_ms
            return
        yield lower, upper - 1
        lower = upper


class FloorClient:
    def __init__(
        self,
        address: str,
        ca_path: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        source: str = "airbyte",
        discover: bool = True,
    ) -> None:
        self.session = requests.Session()
        # Without trust_env, REQUESTS_CA_BUNDLE (or a proxy) from the environment cannot override the simulator's CA.
        self.session.trust_env = False
        self.session.verify = ca_path
        self.account_id = account_id
        self.source = source
        self.requests = 0
        if discover:
            hosts = self._discover(address)
        else:
            hosts = dict.fromkeys(SERVICES, address)
        self.status_changes_url = f"https://{hosts['agentActivityDomain']}/api/v2/account/{account_id}/status-changes"
        token = self._token(hosts["sentinel"], client_id, client_secret)
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _get(self, url: str, params: dict[str, Any]) -> Any:
        self.requests += 1
        response = self.session.get(url, params=params, timeout=TIMEOUT)
        if response.status_code != 200:
            raise RuntimeError(f"GET {response.url} answered HTTP {response.status_code}: {response.text[:500]}")
        return orjson.loads(response.content)

    def _discover(self, address: str) -> dict[str, str]:
        url = f"https://{address}/api/account/{self.account_id}/service/baseURI.json"
        listed = {entry["service"]: entry["baseURI"] for entry in self._get(url, {"version": "1.0"})["baseURIs"]}
        return {service: listed[service] for service in SERVICES}

    def _token(self, sentinel_host: str, client_id: str, client_secret: str) -> str:
        url = f"https://{sentinel_host}/sentinel/api/v2/account/{self.account_id}/app/token"
        form = {"client_id": client_id, "client_secret": client_secret, "grant_type": "client_credentials"}
        self.requests += 1
        response = self.session.post(url, data=form, timeout=TIMEOUT)
        if response.status_code != 200:
            raise RuntimeError(f"POST {url} answered HTTP {response.status_code}: {response.text[:500]}")
        return orjson.loads(response.content)["access_token"]

    def read(self, start_ms: int, end_ms: int, window_days: int, page_size: int, out: BinaryIO) -> tuple[int, int]:
        """Write every record of ``[start, end]`` and a STATE per window to ``out``; return (records, windows)."""
        records = count = 0
        for lower, upper in windows(start_ms, end_ms, window_days * DAY_MS):
            window_to = format_ms(upper)
            params = {"v": "2", "source": self.source, "limit": page_size, "from": format_ms(lower), "to": window_to}
            offset: Optional[int] = None
            while True:
                if offset is not None:
                    params["offset"] = offset
                body = self._get(self.status_changes_url, params)
                emitted_at = time.time_ns() // 1_000_000
                for data in body["stateChanges"]:
                    record = {"stream": "status_changes", "data": data, "emitted_at": emitted_at}
                    out.write(orjson.dumps({"type": "RECORD", "record": record}, option=orjson.OPT_APPEND_NEWLINE))
                records += len(body["stateChanges"])
                next_offset = _next_offset(body)
                if next_offset is None:
                    break
                if next_offset <= (offset or 0):
                    raise RuntimeError(f"next link does not move forward (offset {next_offset})")
                offset = next_offset
            # A window is complete: its end is a safe cursor (windows are read in order, one at a time).
            stream = {"stream_descriptor": {"name": "status_changes"}, "stream_state": {"time": window_to}}
            state = {"type": "STATE", "state": {"type": "STREAM", "stream": stream}}
            out.write(orjson.dumps(state, option=orjson.OPT_APPEND_NEWLINE))
            count += 1
        return records, count


def _next_offset(body: dict) -> Optional[int]:
    for reference in (body.get("_metadata") or {}).get("references") or ():
        if reference.get("rel") == "next":
            return int(parse_qs(urlsplit(reference["href"]).query)["offset"][0])
    return None


def _arguments(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor_client", description=__doc__.split("\n\n")[0])
    parser.add_argument("--info", help="the simulator's info JSON file (address, ca_path, account_id, credentials)")
    parser.add_argument("--address", help="Domain API host:port (overrides --info)")
    parser.add_argument("--ca-path", help="CA bundle to trust (overrides --info)")
    parser.add_argument("--account-id", help="overrides --info")
    parser.add_argument("--client-id", help="overrides --info")
    parser.add_argument("--client-secret", help="overrides --info")
    parser.add_argument("--start", required=True, help="first instant, RFC 3339 (as the connector's start_date)")
    parser.add_argument("--end", required=True, help="last instant, RFC 3339 (as the connector's end_date)")
    parser.add_argument("--window-days", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--source", default="airbyte")
    parser.add_argument(
        "--hosts",
        choices=("discover", "info"),
        default="discover",
        help="discover hosts with the Domain API like the connector (default), or use the info's address",
    )
    parser.add_argument("--output", required=True, help="where the Airbyte messages go ('-' for stdout)")
    args = parser.parse_args(argv)
    info = orjson.loads(open(args.info, "rb").read()) if args.info else {}
    for name in ("address", "ca_path", "account_id", "client_id", "client_secret"):
        if getattr(args, name) is None:
            if name not in info:
                parser.error(f"--{name.replace('_', '-')} is required (or give --info)")
            setattr(args, name, info[name])
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = _arguments(argv)
    started = time.perf_counter()
    client = FloorClient(
        args.address,
        args.ca_path,
        args.account_id,
        args.client_id,
        args.client_secret,
        source=args.source,
        discover=args.hosts == "discover",
    )
    start_ms, end_ms = parse_ms(args.start), parse_ms(args.end)
    if args.output == "-":
        records, count = client.read(start_ms, end_ms, args.window_days, args.page_size, sys.stdout.buffer)
        sys.stdout.flush()
    else:
        with open(args.output, "wb", buffering=OUTPUT_BUFFER_BYTES) as out:
            records, count = client.read(start_ms, end_ms, args.window_days, args.page_size, out)
    summary = {"records": records, "windows": count, "requests": client.requests}
    summary["seconds"] = round(time.perf_counter() - started, 3)
    if args.output != "-":
        print(orjson.dumps(summary).decode(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
