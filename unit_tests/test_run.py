"""The console entry point `source-agent-activity`: what a user (or Airbyte) sees on stdout, and the exit code."""

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from freezegun import freeze_time
from requests_mock import ANY as ANY_URL

from source_agent_activity.run import GIL_SWITCH_INTERVAL_SECONDS, run
from unit_tests.support.config import SECRETS, ConfigBuilder, catalog
from unit_tests.support.entrypoint import NOW
from unit_tests.support.request_builder import RequestBuilder
from unit_tests.support.response_builder import ErrorResponse, StatusChangesResponse, TokenResponse, a_record


def _files(tmp_path: Path, config: dict) -> dict[str, str]:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(
        orjson.dumps(ConfiguredAirbyteCatalogSerializer.dump(catalog(SyncMode.full_refresh))).decode()
    )
    return {"config": str(config_path), "catalog": str(catalog_path)}


def _run(args: list[str]) -> int:
    """Run the command in this process; the exit code the process would end with.

    A failed sync ends with the CDK raising its closing summary, which the interpreter turns into exit code 1; a config
    `read` or `discover` starts with ends it with sys.exit(1) after its one error trace.
    """
    try:
        run(args)
    except AirbyteTracedException:
        return 1
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def _messages(out: str, message_type: str) -> list[dict[str, Any]]:
    messages = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [message for message in messages if message.get("type") == message_type]


@freeze_time(NOW)
class TestCheckWithBadConfig:
    def test_given_end_date_before_start_date_when_check_then_one_failed_status_naming_both(
        self, tmp_path: Path, capsys
    ) -> None:
        config = ConfigBuilder().with_start_date("2026-06-10T00:00:00Z").with_end_date("2026-06-05T00:00:00Z").build()
        files = _files(tmp_path, config)

        _run(["check", "--config", files["config"]])

        statuses = _messages(capsys.readouterr().out, "CONNECTION_STATUS")
        assert [status["connectionStatus"]["status"] for status in statuses] == ["FAILED"]
        assert statuses[0]["connectionStatus"]["message"] == (
            "end_date '2026-06-05T00:00:00Z' must be after start_date '2026-06-10T00:00:00Z'."
        )

    def test_given_value_outside_the_spec_range_when_check_then_failed_naming_the_field_and_the_range(
        self, tmp_path: Path, capsys
    ) -> None:
        """The CDK checks a config against the spec's JSON schema before the source's check runs; the entry point
        answers that check in words that name the field (jsonschema's own: `99 is greater than the maximum of 28`)."""
        files = _files(tmp_path, ConfigBuilder().with_window_size_days(99).build())

        _run(["check", "--config", files["config"]])

        statuses = _messages(capsys.readouterr().out, "CONNECTION_STATUS")
        assert [(s["connectionStatus"]["status"], s["connectionStatus"]["message"]) for s in statuses] == [
            ("FAILED", "window_size_days must be a whole number from 1 to 28, got 99.")
        ]

    def test_given_bad_config_when_check_then_exit_0_as_airbyte_expects(self, tmp_path: Path, capsys) -> None:
        files = _files(tmp_path, ConfigBuilder().with_window_size_days(99).build())

        assert _run(["check", "--config", files["config"]]) == 0

    def test_given_bad_config_when_check_then_no_error_trace(self, tmp_path: Path, capsys) -> None:
        files = _files(tmp_path, ConfigBuilder().with_account_id("12-34").build())

        _run(["check", "--config", files["config"]])

        assert _messages(capsys.readouterr().out, "TRACE") == []

    def test_given_missing_client_secret_when_check_then_no_secret_is_printed(self, tmp_path: Path, capsys) -> None:
        files = _files(tmp_path, ConfigBuilder().with_credential("client_secret", "").build())

        _run(["check", "--config", files["config"]])

        captured = capsys.readouterr()
        assert "credentials.client_secret" in captured.out
        assert not [secret for secret in SECRETS if secret in captured.out + captured.err]

    def test_given_domain_api_does_not_know_account_when_check_then_failed_naming_account_and_service(
        self, tmp_path: Path, capsys, http_mocker: HttpMocker
    ) -> None:
        # The run first asks for every service at once, then for the one it needs alone.
        http_mocker.get(RequestBuilder.domain_api_all().build(), ErrorResponse.of(404).build())
        http_mocker.get(RequestBuilder.domain_api("agentActivityDomain").build(), ErrorResponse.of(404).build())
        files = _files(tmp_path, ConfigBuilder().with_discovery().build())

        _run(["check", "--config", files["config"]])

        [status] = _messages(capsys.readouterr().out, "CONNECTION_STATUS")
        assert status["connectionStatus"]["status"] == "FAILED"
        assert status["connectionStatus"]["message"].startswith(
            "Stream status_changes is not available: Account 12345678 has no agentActivityDomain service"
        )

    def test_given_domain_api_unreachable_when_check_then_one_failed_status_saying_retry_later(
        self, tmp_path: Path, capsys, requests_mock
    ) -> None:
        requests_mock.get(ANY_URL, exc=requests.exceptions.ConnectionError("refused"))
        files = _files(tmp_path, ConfigBuilder().with_discovery().build())

        _run(["check", "--config", files["config"]])

        [status] = _messages(capsys.readouterr().out, "CONNECTION_STATUS")
        assert status["connectionStatus"]["status"] == "FAILED"
        assert "retry the sync later" in status["connectionStatus"]["message"]


@freeze_time(NOW)
class TestReadWithBadConfig:
    def test_given_bad_config_when_read_then_exit_1_with_one_config_error_naming_the_field_without_stack_trace(
        self, tmp_path: Path, capsys
    ) -> None:
        files = _files(tmp_path, ConfigBuilder().with_page_size(0).build())

        exit_code = _run(["read", "--config", files["config"], "--catalog", files["catalog"]])

        assert exit_code == 1
        out = capsys.readouterr().out
        [trace] = _messages(out, "TRACE")
        error = trace["trace"]["error"]
        assert (error["message"], error["failure_type"], error.get("stack_trace")) == (
            "page_size must be a whole number from 1 to 5000, got 0.",
            "config_error",
            None,
        )
        assert _messages(out, "RECORD") == _messages(out, "STATE") == []
        assert "Traceback" not in out

    def test_given_bad_config_when_read_then_no_secret_is_printed(self, tmp_path: Path, capsys) -> None:
        files = _files(tmp_path, ConfigBuilder().with_oauth1().with_account_id("not an id").build())

        _run(["read", "--config", files["config"], "--catalog", files["catalog"]])

        captured = capsys.readouterr()
        assert not [secret for secret in SECRETS if secret in captured.out + captured.err]


@freeze_time(NOW)
class TestGoodConfig:
    def test_given_any_command_when_run_then_gil_switch_interval_is_the_measured_one(self, capsys, monkeypatch) -> None:
        monkeypatch.setattr("sys.setswitchinterval", lambda seconds: calls.append(seconds))
        calls: list[float] = []

        assert _run(["spec"]) == 0

        assert calls == [GIL_SWITCH_INTERVAL_SECONDS] and GIL_SWITCH_INTERVAL_SECONDS == 0.05

    def test_given_spec_command_when_run_then_print_the_spec(self, capsys) -> None:
        assert _run(["spec"]) == 0

        [spec] = _messages(capsys.readouterr().out, "SPEC")
        assert spec["spec"]["connectionSpecification"]["title"] == "LivePerson Agent Activity"

    def test_given_valid_config_when_check_then_one_succeeded_status(
        self, tmp_path: Path, capsys, http_mocker: HttpMocker
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(
            RequestBuilder.status_changes()
            .with_limit(1)
            .with_window("2026-06-01T00:00:00.000Z", "2026-06-01T23:59:59.999Z")
            .build(),
            StatusChangesResponse().build(),
        )
        files = _files(tmp_path, ConfigBuilder().build())

        assert _run(["check", "--config", files["config"]]) == 0

        statuses = _messages(capsys.readouterr().out, "CONNECTION_STATUS")
        assert [status["connectionStatus"]["status"] for status in statuses] == ["SUCCEEDED"]

    def test_given_valid_config_when_read_then_print_records(
        self, tmp_path: Path, capsys, http_mocker: HttpMocker
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(
            RequestBuilder.status_changes().build(),
            StatusChangesResponse().with_record(a_record("2026-06-02T09:00:00.000Z")).build(),
        )
        files = _files(tmp_path, ConfigBuilder().build())

        assert _run(["read", "--config", files["config"], "--catalog", files["catalog"]]) == 0

        records = _messages(capsys.readouterr().out, "RECORD")
        assert [record["record"]["data"]["time"] for record in records] == ["2026-06-02T09:00:00.000Z"]

    def test_given_valid_config_when_read_then_no_secret_is_printed(
        self, tmp_path: Path, capsys, http_mocker: HttpMocker
    ) -> None:
        http_mocker.post(RequestBuilder.token().build(), TokenResponse().build())
        http_mocker.get(RequestBuilder.status_changes().build(), ErrorResponse.of(403).build())
        files = _files(tmp_path, ConfigBuilder().build())

        with pytest.raises(AirbyteTracedException):
            run(["read", "--config", files["config"], "--catalog", files["catalog"]])

        captured = capsys.readouterr()
        assert not [secret for secret in SECRETS if secret in captured.out + captured.err]
