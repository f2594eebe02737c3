"""A sync of four one-day windows, 2026-06-01 to 2026-06-04, with LivePerson's answers mocked per window day.

`answer_by_day(requests_mock, {"2026-06-02": ErrorResponse.of(403).build()})` mocks the token and every window;
`requested_starts(requests_mock)` then says which windows were asked for, in the order they were.
"""

import threading
from typing import Callable, Mapping, Sequence, Union
from urllib.parse import parse_qs, urlsplit

from airbyte_cdk.test.mock_http import HttpResponse

from unit_tests.support.config import ConfigBuilder
from unit_tests.support.request_builder import RequestBuilder
from unit_tests.support.response_builder import StatusChangesResponse, TokenResponse, a_record

DAYS = ("2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04")
# The `from` of each window, in order.
STARTS = tuple(f"{day}T00:00:00.000Z" for day in DAYS)


# One agent's status changes, a session a day (SESSION_PAGES).
AGENT = 2800001001


def event(time: str, status_type: int, sequence: int, sub_type: int = 2) -> dict:
    """A status change of AGENT in session 77."""
    return (
        a_record(time)
        .with_agent_id(AGENT)
        .with_sequence_number(sequence)
        .with_field("sessionId", 77)
        .with_field("statusType", status_type)
        .with_field("statusSubType", sub_type)
        .build()
    )


# A session per day: login and default state at 08:00, away at 12:00, logout at 17:00 (the last day stays open).
SESSION_PAGES = {
    day: [
        event(f"{day}T08:00:00.000Z", 3, -1, 0),
        event(f"{day}T08:00:00.000Z", 1, 1),
        event(f"{day}T12:00:00.000Z", 1, 2, 4),
    ]
    + ([event(f"{day}T17:00:00.000Z", 4, 3, 0)] if day != DAYS[-1] else [])
    for day in DAYS
}


def four_days() -> ConfigBuilder:
    """The default config, read in one-day windows up to the last millisecond of 2026-06-04."""
    return ConfigBuilder().with_window_size_days(1).with_end_date("2026-06-04T23:59:59.999Z")


def given_token(requests_mock) -> None:
    requests_mock.post(RequestBuilder.token().url, text=TokenResponse().build().body)


def _empty_page(start: str) -> HttpResponse:
    return StatusChangesResponse().build()


def answer_by_day(
    requests_mock,
    answers: Mapping[str, Union[HttpResponse, Sequence[HttpResponse]]],
    otherwise: Callable[[str], HttpResponse] = _empty_page,
) -> None:
    """Mock the token, and answer each status-changes request by the day its window starts ("2026-06-02").

    A day's answers are given in turn, the last one again on every later request of that day. A day without answers
    gets `otherwise(start)`, `start` being the window's `from` as sent: an empty page unless the test says otherwise.
    """
    given_token(requests_mock)
    left = {day: [answer] if isinstance(answer, HttpResponse) else list(answer) for day, answer in answers.items()}
    lock = threading.Lock()

    def respond(request, context) -> Union[str, bytes]:
        start = window_start(request)
        with lock:
            queue = left.get(start[:10])
            answer = otherwise(start) if queue is None else queue.pop(0) if len(queue) > 1 else queue[0]
        context.status_code = answer.status_code
        context.headers.update(answer.headers)
        return answer.body

    requests_mock.get(RequestBuilder.status_changes().url, text=respond)


def requested_starts(requests_mock) -> list[str]:
    """The window (`from`) of every status-changes request, in the order sent."""
    return [window_start(request) for request in requests_mock.request_history if request.method == "GET"]


def window_start(request) -> str:
    # The URL as sent: requests_mock lower-cases its `qs`.
    return parse_qs(urlsplit(request.url).query)["from"][0]
