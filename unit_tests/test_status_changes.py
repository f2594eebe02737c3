"""The status_changes stream, read through the Airbyte entrypoint against mocked LivePerson endpoints.

Every test freezes time at NOW (2026-06-15T12:00:00Z): windows are computed from it, and the oldest instant
LivePerson keeps (now - 180 days) is EARLIEST (2025-12-17T12:00:00Z).
"""

import logging
import re
import threading

import pytest
import requests
from airbyte_cdk.models import AirbyteStateMessageSerializer, FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from source_agent_activity.status_changes import LatestOfFinishedRun
from source_agent_activity.times import as_state_time
from unit_tests.support.config import AGENT_ACTIVITY_HOST, ConfigBuilder, state
from unit_tests.support.day_windows import given_token, requested_starts, window_start
from unit_tests.support.entrypoint import (
    EARLIEST,
    NOW,
    read_status_changes,
    record_times,
    state_time,
    states,
    stream_error,
)
from unit_tests.support.request_builder import RequestBuilder
from unit_tests.support.response_builder import (
    ErrorResponse,
    StatusChangesResponse,
    TokenResponse,
    V1StatusChangesResponse,
    a_record,
    raw_response,
)

STATUS_CHANGES_URL = RequestBuilder.status_changes().url


def _given_token(http_mocker: HttpMocker) -> None:
    http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())


@freeze_time(NOW)
class TestFullRefresh:
    def test_given_one_page_when_read_then_emit_its_records_as_sent(self, http_mocker: HttpMocker) -> None:
        record = a_record("2026-06-02T09:15:30.123Z").build()
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            StatusChangesResponse().with_record(record).build(),
        )

        output = read_status_changes(ConfigBuilder().build())

        assert [message.record.data for message in output.records] == [record]

    def test_given_page_size_when_read_then_send_it_as_limit(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_limit(250).build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T09:15:30.123Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().with_page_size(250).build())

        assert len(output.records) == 1

    def test_given_source_when_read_then_send_it_as_source_parameter(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_source("acme-wfm").build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T09:15:30.123Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().with_source("acme-wfm").build())

        assert len(output.records) == 1

    @pytest.mark.parametrize(
        "config_field, value, parameter, sent",
        [
            ("agent_id", 3811562610, "agentId", "3811562610"),
            ("employee_id", "EMP-1042", "empId", "EMP-1042"),
            ("agent_group_id", 2210, "groupId", "2210"),
        ],
    )
    def test_given_filter_when_read_then_send_it_as_its_api_parameter(
        self, http_mocker: HttpMocker, config_field: str, value: object, parameter: str, sent: str
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_query_param(parameter, sent).build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T09:15:30.123Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().with_field(config_field, value).build())

        assert len(output.records) == 1

    def test_given_bearer_token_when_read_then_send_it_in_authorization_header(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_bearer(TokenResponse.default_access_token()).build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T09:15:30.123Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().build())

        assert len(output.records) == 1

    def test_given_read_when_request_sent_then_it_has_connect_and_read_timeouts(self, requests_mock) -> None:
        requests_mock.post(RequestBuilder.token().url, text=TokenResponse().build().body)
        requests_mock.get(STATUS_CHANGES_URL, text=StatusChangesResponse().build().body)

        read_status_changes(ConfigBuilder().build())

        assert [sent.timeout for sent in requests_mock.request_history if sent.method == "GET"] == [(15, 75)]


@freeze_time(NOW)
class TestV1Format:
    def test_given_api_version_1_when_read_then_send_v1_and_at_most_100_agents_per_page(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_query_param("v", "1").with_limit(100).build(),
            V1StatusChangesResponse().with_agent(3811562610, "2026-06-02T09:00:00.000Z").build(),
        )

        output = read_status_changes(ConfigBuilder().with_field("api_version", "1").build())

        assert len(output.records) == 1

    def test_given_api_version_1_when_read_then_flatten_each_agents_history_with_its_fields(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_query_param("v", "1").with_limit(100).build(),
            V1StatusChangesResponse()
            .with_agent(1001, "2026-06-02T09:00:00.000Z", "2026-06-02T10:00:00.000Z")
            .with_agent(1002, "2026-06-03T09:00:00.000Z")
            .build(),
        )

        output = read_status_changes(ConfigBuilder().with_field("api_version", "1").build())

        assert [(message.record.data["agentId"], message.record.data["time"]) for message in output.records] == [
            (1001, "2026-06-02T09:00:00.000Z"),
            (1001, "2026-06-02T10:00:00.000Z"),
            (1002, "2026-06-03T09:00:00.000Z"),
        ]


@freeze_time(NOW)
class TestWindows:
    def test_given_16_days_when_read_then_request_consecutive_7_day_windows_without_gap_or_overlap(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        windows = [
            ("2026-05-20T00:00:00.000Z", "2026-05-26T23:59:59.999Z"),
            ("2026-05-27T00:00:00.000Z", "2026-06-02T23:59:59.999Z"),
            ("2026-06-03T00:00:00.000Z", "2026-06-05T00:00:00.000Z"),
        ]
        for start, end in windows:
            http_mocker.get(
                RequestBuilder.status_changes().with_window(start, end).build(),
                StatusChangesResponse().with_record(a_record(start)).build(),
            )

        output = read_status_changes(ConfigBuilder().with_start_date("2026-05-20T00:00:00Z").build())

        assert sorted(record_times(output)) == [start for start, _ in windows]

    def test_given_window_size_of_one_day_when_read_then_request_one_day_windows(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        windows = [
            ("2026-06-01T00:00:00.000Z", "2026-06-01T23:59:59.999Z"),
            ("2026-06-02T00:00:00.000Z", "2026-06-02T12:00:00.000Z"),
        ]
        for start, end in windows:
            http_mocker.get(
                RequestBuilder.status_changes().with_window(start, end).build(),
                StatusChangesResponse().with_record(a_record(start)).build(),
            )

        output = read_status_changes(
            ConfigBuilder().with_window_size_days(1).with_end_date("2026-06-02T12:00:00Z").build()
        )

        assert sorted(record_times(output)) == [start for start, _ in windows]

    def test_given_record_on_window_edge_when_read_then_exactly_one_window_covers_it(
        self, http_mocker: HttpMocker
    ) -> None:
        edge = "2026-06-01T00:00:00.000Z"
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window("2026-05-25T00:00:00.000Z", "2026-05-31T23:59:59.999Z").build(),
            StatusChangesResponse().build(),
        )
        http_mocker.get(
            RequestBuilder.status_changes().with_window(edge, "2026-06-05T00:00:00.000Z").build(),
            StatusChangesResponse().with_record(a_record(edge)).build(),
        )

        output = read_status_changes(ConfigBuilder().with_start_date("2026-05-25T00:00:00Z").build())

        assert record_times(output) == [edge]

    def test_given_start_date_older_than_180_days_when_read_then_start_180_days_ago(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window(EARLIEST, "2025-12-20T00:00:00.000Z").build(),
            StatusChangesResponse().with_record(a_record("2025-12-18T08:00:00.000Z")).build(),
        )

        output = read_status_changes(
            ConfigBuilder().with_start_date("2025-01-01T00:00:00Z").with_end_date("2025-12-20T00:00:00Z").build()
        )

        assert record_times(output) == ["2025-12-18T08:00:00.000Z"]

    def test_given_start_date_older_than_180_days_when_read_then_log_the_clamp(
        self, http_mocker: HttpMocker, caplog: pytest.LogCaptureFixture
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window(EARLIEST, "2025-12-20T00:00:00.000Z").build(),
            StatusChangesResponse().build(),
        )

        with caplog.at_level(logging.INFO, logger="airbyte"):
            read_status_changes(
                ConfigBuilder().with_start_date("2025-01-01T00:00:00Z").with_end_date("2025-12-20T00:00:00Z").build()
            )

        assert (
            "start_date 2025-01-01T00:00:00.000Z is older than the 180 days LivePerson keeps (history_days): "
            f"reading from {EARLIEST} instead."
        ) in caplog.messages

    def test_given_no_start_date_when_read_then_start_180_days_ago(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window(EARLIEST, "2025-12-20T00:00:00.000Z").build(),
            StatusChangesResponse().with_record(a_record("2025-12-18T08:00:00.000Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().without_start_date().with_end_date("2025-12-20T00:00:00Z").build())

        assert record_times(output) == ["2025-12-18T08:00:00.000Z"]

    def test_given_no_end_date_when_read_then_last_window_ends_now(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window("2026-06-14T00:00:00.000Z", "2026-06-15T12:00:00.000Z").build(),
            StatusChangesResponse().with_record(a_record("2026-06-15T11:59:00.000Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().with_start_date("2026-06-14T00:00:00Z").without_end_date().build())

        assert record_times(output) == ["2026-06-15T11:59:00.000Z"]

    def test_given_end_date_older_than_180_days_when_read_then_config_error_names_end_date(self) -> None:
        config = ConfigBuilder().with_start_date("2025-01-01T00:00:00Z").with_end_date("2025-02-01T00:00:00Z").build()

        output = read_status_changes(config, SyncMode.incremental, expect_failure=True)

        [error] = [message.trace.error for message in output.errors]
        assert error.failure_type == FailureType.config_error
        assert "end_date" in error.message
        assert output.records == [] and output.state_messages == []


@freeze_time(NOW)
class TestPagination:
    def test_given_two_pages_when_read_then_follow_next_offset(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_limit(2).build(),
            StatusChangesResponse()
            .with_records(a_record("2026-06-02T09:00:00.000Z"), a_record("2026-06-02T10:00:00.000Z"))
            .with_next_offset(2)
            .build(),
        )
        http_mocker.get(
            RequestBuilder.status_changes().with_limit(2).with_offset(2).build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T11:00:00.000Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().with_page_size(2).build())

        assert record_times(output) == [
            "2026-06-02T09:00:00.000Z",
            "2026-06-02T10:00:00.000Z",
            "2026-06-02T11:00:00.000Z",
        ]

    def test_given_next_link_to_another_host_over_http_when_read_then_request_known_host_over_https(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            StatusChangesResponse()
            .with_record(a_record("2026-06-02T09:00:00.000Z"))
            .with_next_offset(5000, host="attacker.example.com")
            .build(),
        )
        http_mocker.get(
            RequestBuilder.status_changes(host=AGENT_ACTIVITY_HOST).with_offset(5000).build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T11:00:00.000Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().build())

        assert record_times(output) == ["2026-06-02T09:00:00.000Z", "2026-06-02T11:00:00.000Z"]

    def test_given_next_link_without_v_when_read_then_every_page_sends_v2(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        next_href = (
            f"http://{AGENT_ACTIVITY_HOST}/api/v2/account/12345678/status-changes?offset=5000&limit=5000&source=airbyte"
        )
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).with_next_href(next_href).build(),
        )
        second_page = RequestBuilder.status_changes().with_offset(5000).with_query_param("v", "2").build()
        http_mocker.get(second_page, StatusChangesResponse().with_record(a_record("2026-06-02T11:00:00.000Z")).build())

        read_status_changes(ConfigBuilder().build())

        http_mocker.assert_number_of_calls(second_page, 1)

    def test_given_no_next_link_when_read_then_request_one_page(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        only_page = RequestBuilder.status_changes().build()
        http_mocker.get(only_page, StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build())

        output = read_status_changes(ConfigBuilder().build())

        http_mocker.assert_number_of_calls(only_page, 1)
        assert output.errors == []

    def test_given_next_link_that_does_not_move_forward_when_read_then_fail_instead_of_looping(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).with_next_offset(0).build(),
        )

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert "does not move forward (offset 0)" in stream_error(output).message

    def test_given_next_link_without_offset_when_read_then_fail_with_system_error(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            StatusChangesResponse()
            .with_record(a_record("2026-06-02T09:00:00.000Z"))
            .with_next_href(f"http://{AGENT_ACTIVITY_HOST}/api/v2/account/12345678/status-changes?page=2")
            .build(),
        )

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert stream_error(output).failure_type == FailureType.system_error


@freeze_time(NOW)
class TestIncremental:
    def test_given_state_saved_by_version_0_1_0_when_read_then_resume_from_it_and_save_the_same_shape(
        self, http_mocker: HttpMocker
    ) -> None:
        """The STATE message 0.1.0 printed, as Airbyte hands it back (its recordCount included)."""
        saved = AirbyteStateMessageSerializer.load(
            {
                "type": "STREAM",
                "stream": {
                    "stream_descriptor": {"name": "status_changes"},
                    "stream_state": {"time": "2026-06-03T10:00:00.123Z"},
                },
                "sourceStats": {"recordCount": 1710.0},
            }
        )
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window("2026-06-03T08:00:00.123Z", "2026-06-05T00:00:00.000Z").build(),
            StatusChangesResponse().with_record(a_record("2026-06-04T09:00:00.000Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().build(), SyncMode.incremental, [saved])

        assert states(output) == [{"time": "2026-06-04T09:00:00.000Z"}]

    def test_given_windows_finishing_out_of_order_then_state_waits_for_the_earlier_ones(self) -> None:
        run = LatestOfFinishedRun("2026-06-01T00:00:00.000Z")

        moves = [
            run.finish(1, "2026-06-09T00:00:00.000Z"),
            run.finish(2, None),
            run.finish(0, "2026-06-03T00:00:00.000Z"),
            run.finish(4, "2026-06-30T00:00:00.000Z"),
        ]

        assert moves == [None, None, "2026-06-09T00:00:00.000Z", None]

    @pytest.mark.parametrize(
        "value, expected",
        [
            ("2026-06-04T09:00:00.000Z", "2026-06-04T09:00:00.000Z"),
            ("2026-06-04T09:00:00Z", "2026-06-04T09:00:00.000Z"),
            ("2026-06-04T11:00:00.5+02:00", "2026-06-04T09:00:00.500Z"),
        ],
    )
    def test_given_record_time_in_any_shape_then_compared_as_the_instant_it_is(self, value, expected) -> None:
        assert as_state_time(value) == expected

    def test_given_unsorted_records_when_read_then_state_is_the_latest_record_time(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            StatusChangesResponse()
            .with_records(
                a_record("2026-06-03T10:00:00.000Z"),
                a_record("2026-06-04T18:30:00.250Z"),
                a_record("2026-06-02T07:00:00.000Z"),
            )
            .build(),
        )

        output = read_status_changes(ConfigBuilder().build(), SyncMode.incremental)

        assert state_time(output) == "2026-06-04T18:30:00.250Z"

    def test_given_state_when_read_then_start_at_state_minus_lookback(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window("2026-06-03T09:30:00.000Z", "2026-06-05T00:00:00.000Z").build(),
            StatusChangesResponse().with_record(a_record("2026-06-04T09:00:00.000Z")).build(),
        )

        output = read_status_changes(
            ConfigBuilder().with_lookback_minutes(30).build(),
            SyncMode.incremental,
            state("2026-06-03T10:00:00.000Z"),
        )

        assert record_times(output) == ["2026-06-04T09:00:00.000Z"]

    def test_given_state_and_default_lookback_when_read_then_reread_two_hours(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window("2026-06-03T08:00:00.000Z", "2026-06-05T00:00:00.000Z").build(),
            StatusChangesResponse().with_record(a_record("2026-06-04T09:00:00.000Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().build(), SyncMode.incremental, state("2026-06-03T10:00:00.000Z"))

        assert record_times(output) == ["2026-06-04T09:00:00.000Z"]

    def test_given_state_and_no_lookback_when_read_then_start_at_state(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window("2026-06-03T10:00:00.000Z", "2026-06-05T00:00:00.000Z").build(),
            StatusChangesResponse().with_record(a_record("2026-06-04T09:00:00.000Z")).build(),
        )

        output = read_status_changes(
            ConfigBuilder().with_lookback_minutes(0).build(), SyncMode.incremental, state("2026-06-03T10:00:00.000Z")
        )

        assert record_times(output) == ["2026-06-04T09:00:00.000Z"]

    def test_given_lookback_finds_only_records_before_the_state_when_read_then_state_does_not_go_back(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window("2026-06-03T08:00:00.000Z", "2026-06-05T00:00:00.000Z").build(),
            StatusChangesResponse().with_record(a_record("2026-06-03T09:00:00.000Z")).build(),
        )

        output = read_status_changes(ConfigBuilder().build(), SyncMode.incremental, state("2026-06-03T10:00:00.000Z"))

        assert state_time(output) == "2026-06-03T10:00:00.000Z"

    def test_given_state_older_than_180_days_when_read_then_start_180_days_ago(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window(EARLIEST, "2025-12-20T00:00:00.000Z").build(),
            StatusChangesResponse().with_record(a_record("2025-12-18T08:00:00.000Z")).build(),
        )

        output = read_status_changes(
            ConfigBuilder().with_start_date("2025-01-01T00:00:00Z").with_end_date("2025-12-20T00:00:00Z").build(),
            SyncMode.incremental,
            state("2025-06-01T00:00:00.000Z"),
        )

        assert record_times(output) == ["2025-12-18T08:00:00.000Z"]

    def test_given_windows_when_read_then_state_is_latest_record_of_completed_windows(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().with_window("2026-05-27T00:00:00.000Z", "2026-06-02T23:59:59.999Z").build(),
            StatusChangesResponse().with_record(a_record("2026-05-30T12:00:00.000Z")).build(),
        )
        http_mocker.get(
            RequestBuilder.status_changes().with_window("2026-06-03T00:00:00.000Z", "2026-06-05T00:00:00.000Z").build(),
            StatusChangesResponse()
            .with_records(a_record("2026-06-04T23:00:00.000Z"), a_record("2026-06-03T01:00:00.000Z"))
            .build(),
        )

        output = read_status_changes(
            ConfigBuilder().with_start_date("2026-05-27T00:00:00Z").build(), SyncMode.incremental
        )

        assert state_time(output) == "2026-06-04T23:00:00.000Z"


@freeze_time(NOW)
class TestErrors:
    def test_given_400_when_read_then_config_error_shows_causes(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(RequestBuilder.status_changes().build(), ErrorResponse.of(400).build())

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert stream_error(output).failure_type == FailureType.config_error
        assert "limit: must be less than or equal to 5000" in stream_error(output).message

    def test_given_400_when_read_then_causes_read_as_plain_text(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(RequestBuilder.status_changes().build(), ErrorResponse.of(400).build())

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert "(HTTP 400): limit: must be less than or equal to 5000." in stream_error(output).message

    def test_given_403_when_read_then_config_error_names_permission_and_account(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(RequestBuilder.status_changes().build(), ErrorResponse.of(403).build())

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert stream_error(output).failure_type == FailureType.config_error
        message = stream_error(output).message
        assert "Data → Workforce Management → Agent Status Changes" in message
        assert "Account 12345678" in message

    def test_given_404_when_read_then_config_error_names_account(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(RequestBuilder.status_changes().build(), ErrorResponse.of(404).build())

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert stream_error(output).failure_type == FailureType.config_error
        assert "account 12345678" in stream_error(output).message

    def test_given_429_with_retry_after_when_read_then_wait_and_retry(self, http_mocker: HttpMocker, sleeps) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            [
                ErrorResponse.of(429).with_header("Retry-After", "7").build(),
                StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
            ],
        )

        output = read_status_changes(ConfigBuilder().build())

        assert record_times(output) == ["2026-06-02T09:00:00.000Z"]
        assert sleeps.waits == [8]  # Retry-After, plus the CDK's one second for rounding

    def test_given_429_without_retry_after_when_read_then_wait_and_retry(self, http_mocker: HttpMocker, sleeps) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            [
                ErrorResponse.of(429).build(),
                StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
            ],
        )

        output = read_status_changes(ConfigBuilder().build())

        assert record_times(output) == ["2026-06-02T09:00:00.000Z"]
        assert sleeps.waits == [2 + 1]  # LivePerson asks for at least 1 s; the first pause is 2 s

    def test_given_retry_after_longer_than_five_minutes_when_read_then_wait_five_minutes(
        self, http_mocker: HttpMocker, sleeps
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            [
                ErrorResponse.of(429).with_header("Retry-After", "3600").build(),
                StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
            ],
        )

        read_status_changes(ConfigBuilder().build())

        assert sleeps.waits == [301]

    def test_given_connection_reset_then_page_when_read_then_retry_and_emit_records(self, requests_mock) -> None:
        requests_mock.post(RequestBuilder.token().url, text=TokenResponse().build().body)
        requests_mock.get(
            STATUS_CHANGES_URL,
            [
                {"exc": requests.exceptions.ConnectionError("connection reset by peer")},
                {"text": StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build().body},
            ],
        )

        output = read_status_changes(ConfigBuilder().build())

        assert record_times(output) == ["2026-06-02T09:00:00.000Z"]

    def test_given_500_then_200_when_read_then_retry_and_emit_records(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            [
                ErrorResponse.of(500).build(),
                StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
            ],
        )

        output = read_status_changes(ConfigBuilder().build())

        assert record_times(output) == ["2026-06-02T09:00:00.000Z"]

    def test_given_500_on_every_attempt_when_read_then_fail_quoting_internal_code(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(RequestBuilder.status_changes().build(), [ErrorResponse.of(500).build()] * 6)

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert "AA-5007" in stream_error(output).message

    def test_given_500_on_every_attempt_when_read_then_try_six_times(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        request = RequestBuilder.status_changes().build()
        http_mocker.get(request, [ErrorResponse.of(500).build()] * 6)

        read_status_changes(ConfigBuilder().build(), expect_failure=True)

        http_mocker.assert_number_of_calls(request, 6)

    def test_given_503_without_body_on_every_attempt_when_read_then_message_names_the_status(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(RequestBuilder.status_changes().build(), [ErrorResponse(503).build()] * 6)

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert "HTTP 503" in stream_error(output).message

    def test_given_200_with_invalid_json_then_valid_page_when_read_then_retry_and_emit_records(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            [
                raw_response('{"_metadata": {"references": []}, "stateChanges": [{"agentId": 38'),
                StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
            ],
        )

        output = read_status_changes(ConfigBuilder().build())

        assert record_times(output) == ["2026-06-02T09:00:00.000Z"]

    def test_given_200_without_state_changes_then_valid_page_when_read_then_retry_and_emit_records(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            [
                StatusChangesResponse().without_field("stateChanges").build(),
                StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
            ],
        )

        output = read_status_changes(ConfigBuilder().build())

        assert record_times(output) == ["2026-06-02T09:00:00.000Z"]

    def test_given_200_with_invalid_record_time_then_valid_page_when_read_then_retry_and_emit_records(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            [
                StatusChangesResponse().with_record(a_record("yesterday")).build(),
                StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
            ],
        )

        output = read_status_changes(ConfigBuilder().build())

        assert record_times(output) == ["2026-06-02T09:00:00.000Z"]

    def test_given_invalid_json_on_every_attempt_when_read_then_fail(self, http_mocker: HttpMocker) -> None:
        _given_token(http_mocker)
        http_mocker.get(RequestBuilder.status_changes().build(), [raw_response("<html>gateway</html>")] * 6)

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert "not valid JSON" in stream_error(output).message

    def test_given_invalid_json_on_every_attempt_when_read_then_final_message_does_not_promise_a_retry(
        self, http_mocker: HttpMocker
    ) -> None:
        _given_token(http_mocker)
        http_mocker.get(RequestBuilder.status_changes().build(), [raw_response("<html>gateway</html>")] * 6)

        output = read_status_changes(ConfigBuilder().build(), expect_failure=True)

        assert "retrying" not in stream_error(output).message

    def test_given_a_window_that_keeps_failing_when_read_incrementally_then_state_stays_before_it(
        self, requests_mock, sleeps
    ) -> None:
        """The window after the failing one is read to its last page first; still no state moves past the one that
        failed."""
        given_token(requests_mock)
        later_window_done = threading.Event()

        class WindowDone(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if re.match(r"status_changes window \d+ of \d+ \(2026-06-03T00:00:00.000Z to ", record.getMessage()):
                    later_window_done.set()

        def respond(request, context) -> str:
            if window_start(request) == "2026-06-03T00:00:00.000Z":
                return StatusChangesResponse().with_record(a_record("2026-06-04T09:00:00.000Z")).build().body
            return StatusChangesResponse().without_field("stateChanges").build().body

        requests_mock.get(STATUS_CHANGES_URL, text=respond)

        def until_later_window_done() -> None:
            # The first window's retries wait until the later window has taken its last page (the sync log says
            # so), whatever the threads' speeds: the first window then fails after the later one finished.
            assert later_window_done.wait(timeout=60), "the later window was never read"

        sleeps.until = until_later_window_done
        handler = WindowDone()
        logging.getLogger("airbyte").addHandler(handler)
        try:
            output = read_status_changes(
                ConfigBuilder().with_start_date("2026-05-20T00:00:00Z").with_lookback_minutes(0).build(),
                SyncMode.incremental,
                state("2026-05-27T00:00:00.000Z"),
                expect_failure=True,
            )
        finally:
            logging.getLogger("airbyte").removeHandler(handler)

        assert sorted(requested_starts(requests_mock)) == ["2026-05-27T00:00:00.000Z"] * 6 + [
            "2026-06-03T00:00:00.000Z"
        ]
        # No state moves past the window that failed (the one after it finished), so the stream saves none: Airbyte
        # keeps the saved one.
        assert states(output) == []
