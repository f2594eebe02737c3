"""When LivePerson refuses a sync or keeps failing, the sync ends at once with one error; a 429 pauses every request.

Four one-day windows, read one at a time (num_workers 1), so which windows were requested is deterministic.
"""

import pytest
import requests
import urllib3
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpResponse
from freezegun import freeze_time

from unit_tests.support.config import AGENT_ACTIVITY_HOST, ConfigBuilder, state
from unit_tests.support.day_windows import (
    DAYS,
    STARTS,
    answer_by_day,
    four_days,
    given_token,
    requested_starts,
    window_start,
)
from unit_tests.support.entrypoint import NOW, read_status_changes, record_times, states, stream_errors
from unit_tests.support.request_builder import RequestBuilder
from unit_tests.support.response_builder import ErrorResponse, StatusChangesResponse, a_record

STATUS_CHANGES_URL = RequestBuilder.status_changes().url
TOO_OLD = {"causes": ["from: must not be more than 183 days in the past"], "message": "Bad Request"}


def _in_turn() -> ConfigBuilder:
    """The four one-day windows, read one at a time."""
    return four_days().with_num_workers(1)


def _answer(requests_mock, per_day: dict) -> None:
    """Status-changes answers per window day, given in turn; other windows get one record, at their start."""
    answer_by_day(
        requests_mock, per_day, otherwise=lambda start: StatusChangesResponse().with_record(a_record(start)).build()
    )


# What a host that accepts the connection and sends nothing back makes requests raise, before an answer or in the
# middle of its body; as requests' own adapter does, the exception carries the request that timed out.
SILENCE = "silence"
SILENCE_MID_BODY = "silence in the middle of the body"


def _answer_or_fall_silent(requests_mock, per_day: dict) -> None:
    """Like _answer, where SILENCE stands for a read timeout."""
    given_token(requests_mock)
    left = {day: list(answers) for day, answers in per_day.items()}

    def respond(request, context):
        start = window_start(request)
        queue = left.get(start[:10])
        answer = _one_record(start) if queue is None else queue.pop(0) if len(queue) > 1 else queue[0]
        if answer == SILENCE:
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=75)", request=request._request)
        if answer == SILENCE_MID_BODY:
            cause = urllib3.exceptions.ReadTimeoutError(None, request.url, "Read timed out.")
            raise requests.exceptions.ConnectionError(cause, request=request._request)
        context.status_code = answer.status_code
        return answer.body

    requests_mock.get(STATUS_CHANGES_URL, text=respond)


def _one_record(start: str) -> HttpResponse:
    return StatusChangesResponse().with_record(a_record(start)).build()


def _error(status: int, body: dict | None = None) -> HttpResponse:
    return ErrorResponse(status, body if body is not None else {"internalCode": "AA-5007"}).build()


@freeze_time(NOW)
class TestHistoryTooShort:
    def test_given_400_naming_from_when_read_then_one_config_error_naming_history_days_and_no_other_window(
        self, requests_mock
    ) -> None:
        _answer(requests_mock, {"2026-06-01": _error(400, TOO_OLD)})

        output = read_status_changes(_in_turn().with_history_days(395).build(), expect_failure=True)

        [error] = stream_errors(output)
        assert error.failure_type == FailureType.config_error
        assert "from: must not be more than 183 days in the past" in error.message
        assert "Lower history_days" in error.message and "(395 days)" in error.message
        assert requested_starts(requests_mock) == [STARTS[0]], "a refusal no retry changes is not retried"
        assert output.records == []

    def test_given_400_naming_from_when_read_incrementally_then_state_does_not_move(self, requests_mock) -> None:
        _answer(requests_mock, {"2026-06-01": _error(400, TOO_OLD)})
        config = _in_turn().with_history_days(395).with_lookback_minutes(120).build()

        output = read_status_changes(config, SyncMode.incremental, state("2026-06-01T02:00:00.000Z"), True)

        # The window that failed never finishes, so the stream saves no state: Airbyte keeps the saved one.
        assert states(output) == []


@freeze_time(NOW)
class TestRefusalHaltsTheSync:
    @pytest.mark.parametrize("status", [400, 403, 404])
    def test_given_refusal_in_the_second_window_when_read_then_later_windows_never_requested(
        self, requests_mock, status: int
    ) -> None:
        _answer(requests_mock, {"2026-06-02": _error(status)})

        output = read_status_changes(_in_turn().build(), expect_failure=True)

        assert requested_starts(requests_mock) == [STARTS[0], STARTS[1]]
        assert record_times(output) == [STARTS[0]]
        assert len(stream_errors(output)) == 1


@freeze_time(NOW)
class TestOutage:
    def test_given_500_on_every_attempt_of_the_first_window_when_read_then_no_other_window_and_one_error(
        self, requests_mock, sleeps
    ) -> None:
        """No strategy answers a wait for a 5xx, so the CDK's own pauses apply (1, 2, 4, 8, 16 s)."""
        _answer(requests_mock, {day: _error(500) for day in DAYS})

        output = read_status_changes(_in_turn().build(), expect_failure=True)

        assert requested_starts(requests_mock) == [STARTS[0]] * 6
        [error] = stream_errors(output)
        assert error.failure_type == FailureType.transient_error
        assert error.message.startswith(
            "LivePerson's Agent Activity API kept failing for account 12345678: HTTP 500 (internalCode AA-5007) on "
            "6 attempts over "
        )
        assert "retry the sync later" in error.message
        assert sleeps.waits == [1, 2, 4, 8, 16]

    def test_given_silent_host_twice_in_a_row_when_read_then_one_error_naming_host_and_no_other_window(
        self, requests_mock, sleeps
    ) -> None:
        _answer_or_fall_silent(requests_mock, {"2026-06-01": [SILENCE]})

        output = read_status_changes(_in_turn().build(), expect_failure=True)

        assert requested_starts(requests_mock) == [STARTS[0]] * 2, "two silences in a row are an outage"
        assert sleeps.waits == [1], "the CDK's one pause between them"
        [error] = stream_errors(output)
        assert error.failure_type == FailureType.transient_error
        assert error.message.startswith(
            f"LivePerson's Agent Activity API host {AGENT_ACTIVITY_HOST} accepted the connection but sent nothing "
            "back for 75 s, 2 times in a row (/api/v2/account/12345678/status-changes of account 12345678, "
        )
        assert ", 75 s in all): the host is not answering." in error.message, "the first attempt's 75 s counted"
        assert "retry the sync later" in error.message

    def test_given_silence_in_the_middle_of_a_body_when_read_then_counted_as_silence(self, requests_mock) -> None:
        _answer_or_fall_silent(requests_mock, {"2026-06-01": [SILENCE_MID_BODY]})

        output = read_status_changes(_in_turn().build(), expect_failure=True)

        assert requested_starts(requests_mock) == [STARTS[0]] * 2
        assert "sent nothing back for 75 s, 2 times in a row" in stream_errors(output)[0].message

    def test_given_one_silence_then_an_answer_when_read_then_every_window_read(self, requests_mock) -> None:
        _answer_or_fall_silent(requests_mock, {"2026-06-02": [SILENCE, _one_record(STARTS[1])]})

        output = read_status_changes(_in_turn().build())

        assert output.errors == []
        assert sorted(record_times(output)) == list(STARTS)

    def test_given_silences_that_are_not_consecutive_when_read_then_six_attempts_as_for_any_failure(
        self, requests_mock
    ) -> None:
        _answer_or_fall_silent(requests_mock, {"2026-06-01": [SILENCE, _error(503)] * 3})

        output = read_status_changes(_in_turn().build(), expect_failure=True)

        assert requested_starts(requests_mock) == [STARTS[0]] * 6
        assert ": HTTP 503 (internalCode AA-5007) on 6 attempts over " in stream_errors(output)[0].message

    def test_given_silent_host_after_a_finished_window_when_read_incrementally_then_its_state_is_kept(
        self, requests_mock
    ) -> None:
        _answer_or_fall_silent(requests_mock, {day: [SILENCE] for day in DAYS[1:]})
        config = _in_turn().with_lookback_minutes(0).build()

        output = read_status_changes(config, SyncMode.incremental, None, True)

        assert requested_starts(requests_mock) == [STARTS[0], STARTS[1], STARTS[1]]
        assert states(output) == [{"time": STARTS[0]}]

    def test_given_500_then_answers_when_read_then_every_window_read(self, requests_mock) -> None:
        ok = StatusChangesResponse().with_record(a_record(STARTS[1])).build()
        _answer(requests_mock, {"2026-06-02": [_error(500), _error(503), ok]})

        output = read_status_changes(_in_turn().build())

        assert sorted(record_times(output)) == list(STARTS)
        assert output.errors == []

    def test_given_retry_in_progress_when_log_read_then_each_retry_names_status_and_attempt(
        self, requests_mock
    ) -> None:
        _answer(requests_mock, {"2026-06-01": [_error(503), StatusChangesResponse().build()]})

        output = read_status_changes(_in_turn().build())

        assert output.is_in_logs(
            "HTTP 503 \\(internalCode AA-5007\\) for /api/v2/account/12345678/status-changes: attempt 1 of 6 failed"
        )
        assert not output.is_in_logs("Rate limit exceeded \\(HTTP 503\\)")


@freeze_time(NOW)
class TestRateLimitPause:
    def test_given_429_with_retry_after_when_read_then_the_next_windows_wait_for_the_pause_too(
        self, requests_mock, sleeps, halts_and_pauses
    ) -> None:
        too_many = ErrorResponse(429, {}).with_header("Retry-After", "7").build()
        _answer(requests_mock, {"2026-06-01": [too_many, StatusChangesResponse().build()]})

        output = read_status_changes(_in_turn().build())

        assert output.errors == []
        # Retry-After + the CDK's second, once: the later windows start after the pause, so they do not wait again.
        assert sleeps.waits == [8]
        assert output.is_in_logs("LivePerson is limiting the request rate \\(HTTP 429\\), Retry-After 7 s")

    def test_given_longer_pause_asked_by_another_request_when_429_then_wait_for_the_longer_one(
        self, requests_mock, sleeps, halts_and_pauses
    ) -> None:
        given_token(requests_mock)
        halts_and_pauses.ask(AGENT_ACTIVITY_HOST, 0.5)  # passes before the first request is sent

        def another_worker_told_to_wait_20_s(request, context):
            halts_and_pauses.ask(AGENT_ACTIVITY_HOST, 20)
            context.status_code = 429
            context.headers["Retry-After"] = "1"
            return "{}"

        requests_mock.get(
            STATUS_CHANGES_URL,
            [{"text": another_worker_told_to_wait_20_s}, {"text": StatusChangesResponse().build().body}],
        )

        output = read_status_changes(_in_turn().build())

        assert output.errors == []
        assert sleeps.waits == [0.5, 20]

    def test_given_pause_asked_by_another_request_when_sending_then_wait_for_what_is_left(
        self, requests_mock, sleeps, halts_and_pauses
    ) -> None:
        _answer(requests_mock, {})
        halts_and_pauses.ask(AGENT_ACTIVITY_HOST, 5)

        output = read_status_changes(_in_turn().build())

        assert sleeps.waits == [5]
        assert output.is_in_logs("Waiting 5.0 s before the next status_changes request")
