"""Self-tests of the LivePerson simulator, over real HTTPS: if these fail, integration tests lie."""

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from liveperson_simulator import Simulator, SimulatorConfig
from liveperson_simulator.config import ALL_PERMISSIONS
from liveperson_simulator.data import AGENT_FIELDS
from liveperson_simulator.oauth1 import (
    authorization_header,
    base_string_uri,
    hmac_sha1_signature,
    signature_base_string,
)
from liveperson_simulator.stats import RequestRecord
from liveperson_simulator.times import DAY_MS, format_ms, parse_rfc3339

# A fixed simulator start (a Wednesday afternoon) for tests whose assertions depend on the data.
PINNED_START = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)
REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("agentActivityDomain", "sentinel", "accountConfigReadOnly")


def get(sim: Simulator, path: str, token: str | None = None, **params: object) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"{sim.base_url}{path}"
    return requests.get(url, params=params, headers=headers, verify=sim.ca_path, timeout=10)


def fetch_token(sim: Simulator, client_secret: str | None = None) -> requests.Response:
    form = {
        "client_id": sim.client_id,
        "client_secret": client_secret or sim.client_secret,
        "grant_type": "client_credentials",
    }
    path = f"/sentinel/api/v2/account/{sim.account_id}/app/token"
    return requests.post(f"{sim.base_url}{path}", data=form, verify=sim.ca_path, timeout=10)


def status_changes(sim: Simulator, token: str, **params: object) -> requests.Response:
    return get(sim, f"/api/v2/account/{sim.account_id}/status-changes", token, **params)


def window(sim: Simulator, days: float, end_ms: int | None = None) -> dict[str, str]:
    end = sim.now_ms() if end_ms is None else end_ms
    return {"from": format_ms(end - int(days * DAY_MS)), "to": format_ms(end)}


def read_all_v2(sim: Simulator, token: str, limit: int, **params: object) -> list[list[dict]]:
    pages, offset = [], 0
    while True:
        body = status_changes(sim, token, v=2, source="test", limit=limit, offset=offset, **params).json()
        pages.append(body["stateChanges"])
        if not any(ref["rel"] == "next" for ref in body["_metadata"]["references"]):
            return pages
        offset += limit


def primary_key(record: dict) -> tuple:
    return record["agentId"], record["time"], record["statusType"], record["sequenceNumber"]


@pytest.fixture
def token(simulator: Simulator) -> str:
    return simulator.issue_token()


# Domain API


@pytest.mark.parametrize("service", SERVICES)
def test_given_known_service_when_domain_api_then_answers_simulator_host(simulator, service):
    path = f"/api/account/{simulator.account_id}/service/{service}/baseURI.json"

    response = get(simulator, path, version="1.0")

    assert response.status_code == 200
    assert response.json() == {
        "service": service,
        "account": simulator.account_id,
        "baseURI": simulator.address,
    }


def test_given_all_services_form_when_domain_api_then_lists_every_service(simulator):
    response = get(simulator, f"/api/account/{simulator.account_id}/service/baseURI.json", version="1.0")

    services = {entry["service"]: entry["baseURI"] for entry in response.json()["baseURIs"]}
    assert services == dict.fromkeys(SERVICES, simulator.address)


@pytest.mark.parametrize(
    "account, service",
    [("99999999", "agentActivityDomain"), ("12345678", "agentactivitydomain")],
)
def test_given_unknown_account_or_service_when_domain_api_then_404(simulator, account, service):
    response = get(simulator, f"/api/account/{account}/service/{service}/baseURI.json", version="1.0")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"


def test_given_domain_override_when_domain_api_then_serves_that_value(make_simulator):
    sim = make_simulator(domain_overrides={"sentinel": "https://evil.example/x"})

    response = get(sim, f"/api/account/{sim.account_id}/service/sentinel/baseURI.json", version="1.0")

    assert response.json()["baseURI"] == "https://evil.example/x"


# OAuth 2.0


def test_given_client_credentials_when_token_then_bearer_token_with_expiry(simulator):
    response = fetch_token(simulator)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert status_changes(simulator, body["access_token"], v=2, source="test").status_code == 200


def test_given_wrong_secret_when_token_then_401_invalid_client(simulator):
    response = fetch_token(simulator, client_secret="not-the-secret")

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize("token", [None, "made-up-token"])
def test_given_no_or_unknown_token_when_api_call_then_401(simulator, token):
    response = status_changes(simulator, token, v=2, source="test")

    assert response.status_code == 401
    assert response.json()["message"] == "Unauthorized"


def test_given_token_when_clock_passes_its_lifetime_then_token_rejected(make_simulator):
    sim = make_simulator(token_ttl_seconds=60)
    token = fetch_token(sim).json()["access_token"]
    assert status_changes(sim, token, v=2, source="test").status_code == 200

    sim.advance(61)

    response = status_changes(sim, token, v=2, source="test")
    assert response.status_code == 401
    assert response.json() == {"reason": "oauth_problem=token_rejected", "message": "Unauthorized"}
    assert sim.calls_with_outlived_tokens() == 1
    # That call repeated one made while the token was valid (as a retry does); a call never made before is counted
    # as first sent with an outlived token.
    assert sim.first_sends_with_outlived_tokens() == 0
    assert status_changes(sim, token, v=2, source="other").status_code == 401
    assert (sim.calls_with_outlived_tokens(), sim.first_sends_with_outlived_tokens()) == (2, 1)


# OAuth 1.0a


def test_rfc5849_section_3_4_1_1_signature_base_string_is_reproduced():
    query = parse_qsl("b5=%3D%253D&a3=a&c%40=&a2=r%20b", keep_blank_values=True)
    body = parse_qsl("c2&a3=2+q", keep_blank_values=True)
    oauth = [
        ("oauth_consumer_key", "9djdj82h48djs9d2"),
        ("oauth_token", "kkk9d7dh3k39sjv7"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131201"),
        ("oauth_nonce", "7d8f3e4a"),
    ]

    uri = base_string_uri("http", "example.com", "/request")

    base = signature_base_string("POST", uri, query + body + oauth)

    assert base == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da"
        "%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2"
        "%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp"
        "%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
    )


def test_rfc5849_section_1_2_signature_is_reproduced():
    params = [
        ("file", "vacation.jpg"),
        ("size", "original"),
        ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131202"),
        ("oauth_nonce", "chapoH"),
    ]
    base = signature_base_string("GET", base_string_uri("http", "photos.example.net:80", "/photos"), params)

    assert hmac_sha1_signature(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00") == "MdpQcU8iPSUjWoN/UDMsK2sui9I="


def signed_status_changes(sim: Simulator, nonce: str | None = None, timestamp: int | None = None, **changes):
    credentials = {
        "consumer_key": sim.app_key,
        "consumer_secret": sim.app_secret,
        "token": sim.access_token,
        "token_secret": sim.access_token_secret,
        **changes,
    }
    params = {"v": "2", "source": "oauth1 test", "limit": "3"}
    url = f"{sim.base_url}/api/v2/account/{sim.account_id}/status-changes"
    signing = {"query": params.items(), "nonce": nonce, "timestamp": timestamp, **credentials}
    header = authorization_header("GET", url, **signing)
    return requests.get(url, params=params, headers={"Authorization": header}, verify=sim.ca_path, timeout=10)


def test_given_app_key_signature_when_api_call_then_200(simulator):
    response = signed_status_changes(simulator)

    assert response.status_code == 200
    assert simulator.requests[-1].auth == "OAuth"


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"consumer_secret": "wrong-secret"}, "signature_invalid"),
        ({"token_secret": "wrong-token-secret"}, "signature_invalid"),
        ({"consumer_key": "someone-else"}, "consumer_key_rejected"),
        ({"timestamp": int(time.time()) - 301}, "timestamp_refused"),
    ],
)
def test_given_bad_app_key_signature_when_api_call_then_401_naming_problem(simulator, changes, problem):
    response = signed_status_changes(simulator, **changes)

    assert response.status_code == 401
    assert response.json()["reason"] == f"oauth_problem={problem}"


def test_given_reused_nonce_when_api_call_then_401_nonce_used(simulator):
    assert signed_status_changes(simulator, nonce="once-only").status_code == 200

    response = signed_status_changes(simulator, nonce="once-only")

    assert response.status_code == 401
    assert response.json()["reason"] == "oauth_problem=nonce_used"


# Status changes: validation and permissions


@pytest.mark.parametrize(
    "params, cause",
    [
        ({"v": 2}, "source: must be provided"),
        ({"v": 2, "source": "x" * 21}, "source: size must be between 1 and 20"),
        ({"v": 2, "source": "t", "from": "2026-06-01T00:00:00Z"}, "from and to: must be provided together"),
        (
            {"v": 2, "source": "t", "from": "yesterday", "to": "2026-06-01T00:00:00Z"},
            "from: 'yesterday' is not",
        ),
        ({"v": 3, "source": "t"}, "v: must be 1 or 2"),
        ({"v": 2, "source": "t", "limit": 5001}, "limit: must be less than or equal to 5000"),
        ({"v": 2, "source": "t", "limit": 0}, "limit: must be greater than or equal to 1"),
        ({"v": 1, "source": "t", "limit": 101}, "limit: must be less than or equal to 100"),
        ({"source": "t", "limit": 101}, "limit: must be less than or equal to 100"),
        ({"v": 2, "source": "t", "offset": -1}, "offset: must be greater than or equal to 0"),
        ({"v": 2, "source": "t", "offset": "ten"}, "offset: must be an integer"),
        (
            {"v": 2, "source": "t", "agentId": 1, "groupId": 2},
            "agentId, empId, groupId: only one may be given",
        ),
    ],
)
def test_given_invalid_parameter_when_status_changes_then_400_with_cause(simulator, token, params, cause):
    response = status_changes(simulator, token, **params)

    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Bad Request"
    assert any(c.startswith(cause) for c in body["causes"]), body["causes"]


def test_given_range_rules_broken_when_status_changes_then_400_naming_each(simulator, token):
    now = simulator.now()
    too_old = {"from": (now - timedelta(days=190)).isoformat(), "to": (now - timedelta(days=170)).isoformat()}
    too_long = {"from": (now - timedelta(days=40)).isoformat(), "to": now.isoformat()}
    reversed_ = {"from": now.isoformat(), "to": (now - timedelta(days=1)).isoformat()}
    cases = (too_old, too_long, reversed_)

    causes = [status_changes(simulator, token, v=2, source="t", **p).json()["causes"] for p in cases]

    assert causes == [
        ["from: must not be more than 6 months in the past"],
        ["to: must not be more than 31 days after from"],
        ["from: must not be after to"],
    ]


@pytest.mark.parametrize("retention_days, allowed_days, refused_days", [(395, 394, 396), (30, 29, 31)])
def test_given_retention_days_when_status_changes_then_from_may_go_that_far_back_only(
    make_simulator, retention_days, allowed_days, refused_days
):
    sim = make_simulator(retention_days=retention_days, history_days=retention_days + 5)
    token = sim.issue_token()
    now = sim.now()

    def causes(days_back: int) -> list[str]:
        params = {
            "from": (now - timedelta(days=days_back)).isoformat(),
            "to": (now - timedelta(days=days_back - 1)).isoformat(),
        }
        return status_changes(sim, token, v=2, source="t", **params).json().get("causes", [])

    assert causes(allowed_days) == []
    assert causes(refused_days) == [f"from: must not be more than {retention_days} days in the past"]


def test_given_429_fault_when_retry_after_seconds_set_then_header_says_so(make_simulator):
    sim = make_simulator(retry_after_seconds=3)
    sim.add_fault("429")

    response = status_changes(sim, sim.issue_token(), v=2, source="t")

    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")


def test_given_exactly_31_days_when_status_changes_then_accepted(simulator, token):
    assert status_changes(simulator, token, v=2, source="t", **window(simulator, 31)).status_code == 200


@pytest.mark.parametrize(
    "endpoint, path, params",
    [
        ("status_changes", "/api/v2/account/{acct}/status-changes", {"v": 2, "source": "t"}),
        ("users", "/api/account/{acct}/configuration/le-users/users", {"v": "4.0"}),
    ],
)
def test_given_missing_permission_when_api_call_then_403(make_simulator, endpoint, path, params):
    sim = make_simulator(permissions=ALL_PERMISSIONS - {endpoint})

    response = get(sim, path.format(acct=sim.account_id), sim.issue_token(), **params)

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden", "reason": "missing permission"}


# Status changes: pages, links and ground truth


def test_given_window_when_paging_v2_then_pages_match_ground_truth_and_are_not_time_sorted(simulator, token):
    params = window(simulator, 10)

    pages = read_all_v2(simulator, token, limit=200, **params)

    records = [record for page in pages for record in page]
    expected = simulator.ground_truth(params["from"], params["to"])
    assert len(pages) > 2
    assert len({primary_key(r) for r in records}) == len(records) == len(expected)
    assert sorted(records, key=primary_key) == sorted(expected, key=primary_key)
    assert [r["time"] for r in pages[0]] != sorted(r["time"] for r in pages[0])


def test_given_same_page_requested_twice_then_same_records(simulator, token):
    params = {"v": 2, "source": "t", "limit": 50, "offset": 50, **window(simulator, 5)}

    first, second = (status_changes(simulator, token, **params) for _ in range(2))

    assert first.json()["stateChanges"] == second.json()["stateChanges"]
    assert int(first.headers["Content-Length"]) == len(first.content)


def test_given_middle_page_then_links_are_http_without_v_and_point_to_neighbours(simulator, token):
    params = window(simulator, 10)
    body = status_changes(simulator, token, v=2, source="t", limit=100, offset=100, **params).json()

    links = {ref["rel"]: urlsplit(ref["href"]) for ref in body["_metadata"]["references"]}

    assert set(links) == {"self", "first", "previous", "next", "last"}
    assert all(link.scheme == "http" and link.netloc == simulator.address for link in links.values())
    next_query = dict(parse_qsl(links["next"].query))
    assert next_query == {**params, "offset": "200", "limit": "100", "source": "t"}
    assert dict(parse_qsl(links["previous"].query))["offset"] == "0"
    assert body["timeframe"]["startTimeL"] == str(parse_rfc3339(params["from"]))


def test_given_first_and_last_page_then_only_applicable_links(simulator, token):
    params = {"v": 2, "source": "t", "limit": 300, **window(simulator, 10)}
    first = status_changes(simulator, token, **params).json()
    last_href = next(ref["href"] for ref in first["_metadata"]["references"] if ref["rel"] == "last")
    last_offset = dict(parse_qsl(urlsplit(last_href).query))["offset"]

    last = status_changes(simulator, token, **{**params, "offset": last_offset}).json()

    assert {ref["rel"] for ref in first["_metadata"]["references"]} == {"self", "first", "next", "last"}
    assert {ref["rel"] for ref in last["_metadata"]["references"]} == {"self", "first", "previous"}


def test_given_next_link_host_then_links_point_to_that_host(make_simulator):
    sim = make_simulator(next_link_host="127.0.0.1:9999")

    body = status_changes(sim, sim.issue_token(), v=2, source="t", limit=10, **window(sim, 5)).json()

    assert {urlsplit(ref["href"]).netloc for ref in body["_metadata"]["references"]} == {"127.0.0.1:9999"}


def test_given_records_exactly_at_window_edges_then_both_edges_included(simulator, token):
    end = simulator.now_ms() - DAY_MS
    start = end - DAY_MS
    agent = {"agentId": 2_900_000_001, "statusType": 1, "agentGroupId": -1}
    times = [start - 1, start, start, end, end + 1]  # two records in the same millisecond at the start
    simulator.add_records([{**agent, "sequenceNumber": n, "time": format_ms(t)} for n, t in enumerate(times)])
    params = {"from": format_ms(start), "to": format_ms(end), "agentId": agent["agentId"]}

    body = status_changes(simulator, token, v=2, source="t", limit=5000, **params).json()

    assert sorted(r["time"] for r in body["stateChanges"]) == [format_ms(start)] * 2 + [format_ms(end)]


def test_given_no_v_then_v1_format_grouped_by_agent(simulator, token):
    body = status_changes(simulator, token, source="t", **window(simulator, 3)).json()

    assert "stateChanges" not in body
    agent = body["agentsInfo"][0]
    assert set(agent) == {*AGENT_FIELDS, "statusChangeHistory"}
    assert "agentId" not in agent["statusChangeHistory"][0]


def test_given_v1_page_over_20_changes_per_agent_day_then_silently_cut(make_simulator):
    sim = make_simulator(agents=1, changes_per_session=60, start_at=PINNED_START)
    day = {"from": "2026-06-08T00:00:00Z", "to": "2026-06-08T23:59:59.999Z"}
    assert sim.ground_truth_count(day["from"], day["to"]) > 20

    body = status_changes(sim, sim.issue_token(), v=1, source="t", limit=1, **day).json()

    assert len(body["agentsInfo"][0]["statusChangeHistory"]) == 20


@pytest.mark.parametrize(
    "param, field",
    [("agentId", "agentId"), ("groupId", "agentGroupId"), ("empId", "employeeId")],
)
def test_given_filter_then_only_matching_records(simulator, token, param, field):
    params = window(simulator, 10)
    some = simulator.ground_truth(params["from"], params["to"])
    value = next(r[field] for r in some if r["employeeId"])

    records = [r for page in read_all_v2(simulator, token, 1000, **params, **{param: value}) for r in page]

    assert records and all(r[field] == value for r in records)
    assert len(records) == simulator.ground_truth_count(params["from"], params["to"], **{param: value})


# Data shape


def test_sessions_look_like_liveperson_sessions(make_simulator):
    sim = make_simulator(start_at=PINNED_START)
    records = sim.ground_truth("2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z")
    logins = [r for r in records if r["statusType"] == 3]
    defaults = [r for r in records if r["statusType"] == 1 and r["sequenceNumber"] == 1]
    sessions: dict[tuple, list[dict]] = {}
    for record in records:
        if record["sessionId"] != -1:
            sessions.setdefault((record["agentId"], record["sessionId"]), []).append(record)
    login_times = {(r["agentId"], r["time"]) for r in logins}
    whole_sessions = [
        session
        for session in sessions.values()
        if (session[0]["agentId"], session[0]["prevStatusChangeTime"]) in login_times
    ]

    assert logins and all(r["sequenceNumber"] == -1 and r["sessionId"] == -1 for r in logins)
    assert login_times == {(r["agentId"], r["time"]) for r in defaults}
    assert all(r["sessionId"] == -1 and r["prevStatusChangeTime"] is None for r in defaults)
    assert len(whole_sessions) > 10
    for session in whole_sessions:
        changes = [r for r in session if r["statusType"] == 1]
        assert [r["sequenceNumber"] for r in changes] == list(range(2, len(changes) + 2))
        assert all(b["prevStatusChangeTime"] == a["time"] for a, b in zip(changes, changes[1:], strict=False))
        assert all(r["statusType"] == 1 for r in session[:-1])  # a logout, if in range, comes last
    logouts = [r for r in records if r["statusType"] == 4]
    assert logouts and all(r["statusSubType"] == 0 and r["prevStatusChangeTime"] is None for r in logouts)
    assert all(r["agentId"] > 2**31 for r in records)
    assert all(r["statusReasonId"] > 0 for r in records if r["statusSubType"] == 4 and r["statusReasonText"])
    assert any(r["agentGroupId"] == -1 for r in records) and any(r["employeeId"] == "" for r in records)


def test_every_day_has_records_exactly_at_midnight(make_simulator):
    sim = make_simulator(start_at=PINNED_START)

    times = {r["time"] for r in sim.ground_truth("2026-05-20T00:00:00Z", "2026-06-09T00:00:00Z")}

    days = [datetime(2026, 5, 20, tzinfo=UTC) + timedelta(days=n) for n in range(21)]
    assert all(day.strftime("%Y-%m-%dT00:00:00.000Z") in times for day in days)


def test_every_id_in_history_resolves_only_with_include_deleted(make_simulator):
    sim = make_simulator(start_at=PINNED_START)
    token = sim.issue_token()
    records = sim.ground_truth(PINNED_START - timedelta(days=45), PINNED_START)
    acct = sim.account_id

    def ids(path: str, **params) -> set[int]:
        return {int(item["id"]) for item in get(sim, path.format(acct=acct), token, v="4.0", **params).json()}

    users, groups, reasons = (
        "/api/account/{acct}/configuration/le-users/users",
        "/api/account/{acct}/configuration/le-users/agentGroups",
        "/api/account/{acct}/configuration/le-agents/status-reasons",
    )
    used_agents = {r["agentId"] for r in records}
    used_groups = {r["agentGroupId"] for r in records}
    used_reasons = {r["statusReasonId"] for r in records if r["statusReasonId"] > 0}
    assert used_agents <= ids(users, include_deleted="true") and not used_agents <= ids(users)
    assert used_groups <= ids(groups, include_deleted="true") and not used_groups <= ids(groups)
    assert used_reasons <= ids(reasons, include_deleted="true") and not used_reasons <= ids(reasons)


def test_same_seed_same_data_other_seed_other_data():
    day = ("2026-06-01T00:00:00Z", "2026-06-03T00:00:00Z")
    first, again, other = (Simulator(seed=seed, agents=4, start_at=PINNED_START) for seed in (7, 7, 8))

    assert first.ground_truth(*day) == again.ground_truth(*day) != other.ground_truth(*day)


def test_for_volume_sizes_account_to_about_the_requested_records():
    config = SimulatorConfig.for_volume(20_000, days=30, start_at=PINNED_START)

    count = Simulator(config).ground_truth_count(PINNED_START - timedelta(days=30), PINNED_START)

    assert 17_000 <= count <= 23_000


# Clock and late data


def test_given_clock_advances_then_later_records_appear(make_simulator):
    sim = make_simulator(start_at=PINNED_START)
    next_day = (PINNED_START, PINNED_START + timedelta(days=1))
    assert sim.ground_truth_count(*next_day) == 0

    sim.advance(86_400)

    assert sim.ground_truth_count(*next_day) > 0


def test_given_late_share_then_late_records_appear_only_after_delay(make_simulator):
    sim = make_simulator(start_at=PINNED_START, late_share=0.5, late_delay_seconds=3600)
    params = window(sim, days=4 / 24)

    def served() -> int:
        body = status_changes(sim, sim.issue_token(), v=2, source="t", limit=5000, **params).json()
        return len(body["stateChanges"])

    served_before = served()
    assert served_before == sim.ground_truth_count(params["from"], params["to"])

    sim.advance(3601)

    assert served() == sim.ground_truth_count(params["from"], params["to"]) > served_before


# Faults


@pytest.mark.parametrize(
    "kind, status, content_type, body_part",
    [
        ("429", 429, "application/json", b"Too Many Requests"),
        ("429_no_retry_after", 429, "application/json", b"Too Many Requests"),
        ("500", 500, "application/json", b'"internalCode":"AA-500-17"'),
        ("503", 503, "application/json", b"Service Unavailable"),
        ("html_error", 502, "text/html", b"<html>"),
        ("400", 400, "application/json", b'"causes"'),
        ("401", 401, "application/json", b"token_rejected"),
        ("403", 403, "application/json", b"Forbidden"),
        ("404", 404, "application/json", b"Not Found"),
    ],
)
def test_given_fault_when_next_request_then_fault_once_then_normal(
    simulator, token, kind, status, content_type, body_part
):
    simulator.add_fault(kind)

    faulted = status_changes(simulator, token, v=2, source="t")
    normal = status_changes(simulator, token, v=2, source="t")

    assert (faulted.status_code, faulted.headers["Content-Type"]) == (status, content_type)
    assert body_part in faulted.content
    assert faulted.headers.get("Retry-After") == ("1" if kind == "429" else None)
    assert normal.status_code == 200


def test_given_drop_fault_then_connection_closes_without_answer(simulator, token):
    simulator.add_fault("drop")

    with pytest.raises(requests.ConnectionError):
        status_changes(simulator, token, v=2, source="t")

    assert status_changes(simulator, token, v=2, source="t").status_code == 200
    assert simulator.requests[-2].status is None


def test_given_truncate_fault_then_200_with_cut_json_and_matching_length(simulator, token):
    simulator.add_fault("truncate")

    response = status_changes(simulator, token, v=2, source="t", **window(simulator, 5))

    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content) > 0
    with pytest.raises(ValueError):
        json.loads(response.content)


def test_given_body_faults_then_200_with_damaged_body(simulator, token):
    simulator.add_fault("empty_body")
    simulator.add_fault("no_state_changes")
    simulator.add_fault("bad_record_time")

    params = {"v": 2, "source": "t", **window(simulator, 5)}

    empty, missing, bad = (status_changes(simulator, token, **params) for _ in range(3))

    assert (empty.status_code, empty.content) == (200, b"")
    assert "stateChanges" not in missing.json() and "_metadata" in missing.json()
    assert [r["time"] for r in bad.json()["stateChanges"]].count("not-a-date") == 1


def test_given_expire_token_fault_then_that_token_stays_rejected_and_new_one_works(simulator):
    """A revoked token is not counted as one that outlived its lifetime."""
    token = fetch_token(simulator).json()["access_token"]
    simulator.add_fault("expire_token")

    assert status_changes(simulator, token, v=2, source="t").status_code == 401
    assert status_changes(simulator, token, v=2, source="t").status_code == 401
    new_token = fetch_token(simulator).json()["access_token"]
    assert status_changes(simulator, new_token, v=2, source="t").status_code == 200
    assert simulator.calls_with_outlived_tokens() == 0


def test_given_fault_for_other_endpoint_then_only_that_endpoint_fails(simulator, token):
    simulator.add_fault("500", count=2, endpoint="users")
    users = f"/api/account/{simulator.account_id}/configuration/le-users/users"

    assert status_changes(simulator, token, v=2, source="t").status_code == 200
    assert [get(simulator, users, token, v="4.0").status_code for _ in range(3)] == [500, 500, 200]


def test_given_fault_mix_then_seeded_random_faults_until_cleared(simulator, token):
    def statuses() -> list[int]:
        return [status_changes(simulator, token, v=2, source="t").status_code for _ in range(12)]

    simulator.set_fault_mix({"503": 0.5}, seed=3)
    first = statuses()
    simulator.set_fault_mix({"503": 0.5}, seed=3)
    second = statuses()
    simulator.clear_faults()

    assert first == second and {200, 503} == set(first)
    assert set(statuses()) == {200}


def test_given_latency_then_each_request_takes_at_least_that_long(simulator, token):
    simulator.set_latency(150)

    started = time.perf_counter()
    status_changes(simulator, token, v=2, source="t")

    assert time.perf_counter() - started >= 0.15


def test_given_windows_held_from_an_instant_then_later_windows_wait_until_released_and_earlier_ones_pass(
    simulator, token
):
    now_ms = simulator.now_ms()
    earlier, later = window(simulator, 2, end_ms=now_ms - DAY_MS), window(simulator, 0.5)
    simulator.hold_windows_from(datetime.fromtimestamp((now_ms - DAY_MS) / 1000, UTC))
    answers: list[requests.Response] = []
    held = threading.Thread(target=lambda: answers.append(status_changes(simulator, token, v=2, source="t", **later)))
    held.start()

    assert simulator.wait_until_holding(1, timeout=30)
    assert status_changes(simulator, token, v=2, source="t", **earlier).status_code == 200
    assert answers == [] and simulator.held_requests == 1

    simulator.hold_windows_from(None)
    held.join(timeout=30)
    assert [answer.status_code for answer in answers] == [200] and simulator.held_requests == 0


def test_given_windows_held_in_a_span_then_only_windows_starting_in_it_wait_and_a_waiter_sees_the_others_answered(
    simulator, token
):
    now_ms = simulator.now_ms()
    held_window = window(simulator, 1, end_ms=now_ms - 2 * DAY_MS)
    earlier, later = window(simulator, 1, end_ms=now_ms - 3 * DAY_MS), window(simulator, 1)
    simulator.hold_windows_from(held_window["from"], until=format_ms(now_ms - 2 * DAY_MS + 1))
    answers: list[requests.Response] = []
    held = threading.Thread(
        target=lambda: answers.append(status_changes(simulator, token, v=2, source="t", **held_window))
    )
    held.start()

    assert simulator.wait_until_holding(1, timeout=30)
    for passing in (earlier, later):
        assert status_changes(simulator, token, v=2, source="t", **passing).status_code == 200
    assert simulator.wait_for_request(lambda entry: entry.query.get("from") == later["from"], timeout=30)
    assert not simulator.wait_for_request(lambda entry: entry.query.get("from") == held_window["from"], timeout=0)
    assert answers == [] and simulator.held_requests == 1

    simulator.hold_windows_from(None)
    held.join(timeout=30)
    assert [answer.status_code for answer in answers] == [200]
    assert simulator.wait_for_request(lambda entry: entry.query.get("from") == held_window["from"], timeout=30)


# Counters, control endpoints, CLI


def test_request_log_records_endpoint_query_auth_and_status(simulator, token):
    status_changes(simulator, token, v=2, source="t", limit=7)
    fetch_token(simulator, client_secret="wrong")

    log = simulator.requests

    assert log[0].received_at <= log[0].answered_at <= log[1].received_at
    assert log[0]._replace(received_at=0.0, answered_at=0.0) == RequestRecord(
        endpoint="status_changes",
        method="GET",
        path=f"/api/v2/account/{simulator.account_id}/status-changes",
        query={"v": "2", "source": "t", "limit": "7"},
        auth="Bearer",
        status=200,
    )
    assert (log[1].endpoint, log[1].auth, log[1].status) == ("token", None, 401)
    assert simulator.request_count() == 2 and simulator.request_count("token", status=401) == 1
    assert simulator.stats()["by_endpoint_status"] == {"status_changes": {"200": 1}, "token": {"401": 1}}


def test_control_endpoints_steer_a_running_simulator(simulator, token):
    def control(method: str, name: str, **kwargs) -> requests.Response:
        url = f"{simulator.base_url}/_simulator/{name}"
        return requests.request(method, url, verify=simulator.ca_path, timeout=10, **kwargs)

    params = window(simulator, 3)
    count = control("GET", "ground-truth", params={**params, "count_only": "1"}).json()["count"]
    records = control("GET", "ground-truth", params=params).json()
    control("POST", "faults", json={"kind": "500", "count": 1})
    before = simulator.now_ms()
    control("POST", "advance", json={"seconds": 3600})

    assert count == len(records) == simulator.ground_truth_count(params["from"], params["to"])
    assert status_changes(simulator, token, v=2, source="t").status_code == 500
    assert simulator.now_ms() - before >= 3_600_000
    assert control("GET", "stats").json()["by_endpoint_status"] == {"status_changes": {"500": 1}}
    assert control("POST", "reset-stats").json()["total"] == 0


def test_cli_prints_connection_info_and_stops_on_sigterm(tmp_path):
    info_file = tmp_path / "info.json"
    command = [
        sys.executable,
        "-m",
        "liveperson_simulator",
        "--agents",
        "3",
        "--info-file",
        str(info_file),
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(process.stdout.readline())
        response = requests.get(
            f"https://{info['address']}/api/account/{info['account_id']}/service/sentinel/baseURI.json",
            params={"version": "1.0"},
            verify=info["ca_path"],
            timeout=10,
        )
        assert response.json()["baseURI"] == info["address"]
        assert json.loads(info_file.read_text()) == info
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
