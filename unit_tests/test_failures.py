"""When LivePerson refuses a sync or keeps failing, the sync ends at once with one error; a 429 pauses every request.

Four one-day windows, read one at a time (num_workers 1), so which windows were requested is deterministic.
"""

import pytest
import requests
from airbyte_cdk.models import FailureType, SyncMode
from freezegun import freeze_time

from unit_tests.support.config import ConfigBuilder, state
from unit_tests.support.entrypoint import NOW, read_status_changes
from unit_tests.support.request_builder import RequestBuilder
from unit_tests.support.response_builder import ErrorResponse, StatusChangesResponse, TokenResponse, a_record

WINDOWS = [
    ("2026-06-01T00:00:00.000Z", "2026-06-01T23:59:59.999Z"),
    ("2026-06-02T00:00:00.000Z", "2026-06-02T23:59:59.999Z"),
    ("2026-06-03T00:00:00.000Z", "2026-06-03T23:59:59.999Z"),
    ("2026-06-04T00:00:00.000Z", "2026-06-04T23:59:59.999Z"),
]
STATUS_CHANGES_URL = RequestBuilder.status_changes().url
TOO_OLD = {"causes": ["from: must not be more than 183 days in the past"], "message": "Bad Request"}


def _four_windows(**settings) -> dict:
    config = ConfigBuilder().with_window_size_days(1).with_num_workers(1).with_end_date("2026-06-04T23:59:59.999Z")
    for name, value in settings.items():
        config = config.with_field(name, value)
    return config.build()


def _answer(requests_mock, per_window: dict[int, list[dict]]) -> None:
    """Status-changes answers per window index (a list of requests_mock responses); other windows get one record."""
    requests_mock.post(RequestBuilder.token().url, text=TokenResponse().build().body)

    def respond(request, context):
        window = next(i for i, (start, _) in enumerate(WINDOWS) if request.qs["from"][0] == start.lower())
        answers = per_window.get(window)
        if answers is None:
            return StatusChangesResponse().with_record(a_record(WINDOWS[window][0])).build().body
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        context.status_code = answer["status_code"]
        context.headers.update(answer.get("headers", {}))
        return answer["text"]

    requests_mock.get(STATUS_CHANGES_URL, text=respond)


def _error(status: int, body: dict | None = None, headers: dict | None = None) -> dict:
    response = ErrorResponse(status, body if body is not None else {"internalCode": "AA-5007"}).build()
    return {"status_code": status, "text": response.body, "headers": headers or {}}


def _windows_requested(requests_mock) -> list[int]:
    starts = [entry.qs["from"][0] for entry in requests_mock.request_history if entry.method == "GET"]
    return [next(i for i, (start, _) in enumerate(WINDOWS) if start.lower() == value) for value in starts]


@freeze_time(NOW)
class TestHistoryTooShort:
    def test_given_400_naming_from_when_read_then_one_config_error_naming_history_days_and_no_other_window(
        self, requests_mock
    ) -> None:
        _answer(requests_mock, {0: [_error(400, TOO_OLD)]})

        output = read_status_changes(_four_windows(history_days=395), expect_failure=True)

        [error] = [message.trace.error for message in output.errors if message.trace.error.stream_descriptor]
        assert error.failure_type == FailureType.config_error
        assert "from: must not be more than 183 days in the past" in error.message
        assert "Lower history_days" in error.message and "(395 days)" in error.message
        assert _windows_requested(requests_mock) == [0], "a refusal no retry changes is not retried"
        assert output.records == []

    def test_given_400_naming_from_when_read_incrementally_then_state_does_not_move(self, requests_mock) -> None:
        _answer(requests_mock, {0: [_error(400, TOO_OLD)]})
        saved = "2026-06-01T02:00:00.000Z"

        output = read_status_changes(
            _four_windows(history_days=395, lookback_minutes=120), SyncMode.incremental, state(saved), True
        )

        assert {message.state.stream.stream_state.time for message in output.state_messages} <= {saved}


@freeze_time(NOW)
class TestRefusalHaltsTheSync:
    @pytest.mark.parametrize("status", [400, 403, 404])
    def test_given_refusal_in_the_second_window_when_read_then_later_windows_never_requested(
        self, requests_mock, status: int
    ) -> None:
        _answer(requests_mock, {1: [_error(status)]})

        output = read_status_changes(_four_windows(), expect_failure=True)

        assert _windows_requested(requests_mock) == [0, 1]
        assert [message.record.data["time"] for message in output.records] == [WINDOWS[0][0]]
        assert len([m for m in output.errors if m.trace.error.stream_descriptor]) == 1


@freeze_time(NOW)
class TestOutage:
    def test_given_500_on_every_attempt_of_the_first_window_when_read_then_no_other_window_and_one_error(
        self, requests_mock, sleeps
    ) -> None:
        _answer(requests_mock, {i: [_error(500)] for i in range(4)})

        output = read_status_changes(_four_windows(), expect_failure=True)

        assert _windows_requested(requests_mock) == [0] * 6
        [error] = [message.trace.error for message in output.errors if message.trace.error.stream_descriptor]
        assert error.failure_type == FailureType.transient_error
        assert error.message.startswith(
            "LivePerson's Agent Activity API kept failing for account 12345678: HTTP 500 (internalCode AA-5007) on "
            "6 attempts over "
        )
        assert "retry the sync later" in error.message
        assert sleeps.waits == [1, 2, 4, 8, 16]

    def test_given_timeouts_on_every_attempt_when_read_then_error_names_the_exception(self, requests_mock) -> None:
        requests_mock.post(RequestBuilder.token().url, text=TokenResponse().build().body)

        def time_out(request, context):
            # As requests' own adapter does, the exception carries the request that timed out.
            raise requests.exceptions.ReadTimeout("read timed out", request=request._request)

        requests_mock.get(STATUS_CHANGES_URL, text=time_out)

        output = read_status_changes(_four_windows(), expect_failure=True)

        [error] = [message.trace.error for message in output.errors if message.trace.error.stream_descriptor]
        assert ": ReadTimeout on 6 attempts over " in error.message
        assert _windows_requested(requests_mock) == [0] * 6

    def test_given_500_then_answers_when_read_then_every_window_read(self, requests_mock) -> None:
        ok = {"status_code": 200, "text": StatusChangesResponse().with_record(a_record(WINDOWS[1][0])).build().body}
        _answer(requests_mock, {1: [_error(500), _error(503), ok]})

        output = read_status_changes(_four_windows())

        assert sorted(message.record.data["time"] for message in output.records) == [start for start, _ in WINDOWS]
        assert output.errors == []

    def test_given_retry_in_progress_when_log_read_then_each_retry_names_status_and_attempt(
        self, requests_mock
    ) -> None:
        ok = {"status_code": 200, "text": StatusChangesResponse().build().body}
        _answer(requests_mock, {0: [_error(503), ok]})

        output = read_status_changes(_four_windows())

        assert output.is_in_logs(
            "HTTP 503 \\(internalCode AA-5007\\) for /api/v2/account/12345678/status-changes: attempt 1 of 6 failed"
        )
        assert not output.is_in_logs("Rate limit exceeded \\(HTTP 503\\)")


@freeze_time(NOW)
class TestRateLimitPause:
    def test_given_429_with_retry_after_when_read_then_the_next_windows_wait_for_the_pause_too(
        self, requests_mock, sleeps, halts_and_pauses
    ) -> None:
        ok = {"status_code": 200, "text": StatusChangesResponse().build().body}
        _answer(requests_mock, {0: [_error(429, {}, {"Retry-After": "7"}), ok]})

        output = read_status_changes(_four_windows())

        assert output.errors == []
        # Retry-After + the CDK's second, once: the later windows start after the pause, so they do not wait again.
        assert sleeps.waits == [8]
        assert output.is_in_logs("LivePerson is limiting the request rate \\(HTTP 429\\), Retry-After 7 s")

    def test_given_longer_pause_asked_by_another_request_when_429_then_wait_for_the_longer_one(
        self, requests_mock, sleeps, halts_and_pauses
    ) -> None:
        ok = {"status_code": 200, "text": StatusChangesResponse().build().body}
        _answer(requests_mock, {0: [_error(429, {}, {"Retry-After": "1"}), ok]})
        config = _four_windows()
        halts_and_pauses.ask("va.agent-activity.liveperson.net", 0.5)  # passes before the first request is sent

        def another_worker_told_to_wait_20_s(request, context):
            halts_and_pauses.ask("va.agent-activity.liveperson.net", 20)
            context.status_code = 429
            context.headers["Retry-After"] = "1"
            return "{}"

        requests_mock.get(
            STATUS_CHANGES_URL,
            [{"text": another_worker_told_to_wait_20_s}, {"text": StatusChangesResponse().build().body}],
        )

        output = read_status_changes(config)

        assert output.errors == []
        assert sleeps.waits[:2] == [0.5, 20]

    def test_given_pause_asked_by_another_request_when_sending_then_wait_for_what_is_left(
        self, requests_mock, sleeps, halts_and_pauses
    ) -> None:
        _answer(requests_mock, {})
        halts_and_pauses.ask("va.agent-activity.liveperson.net", 5)

        output = read_status_changes(_four_windows())

        assert sleeps.waits == [5]
        assert output.is_in_logs("Waiting 5.0 s before the next status_changes request")
