"""Agents, agent groups and status reasons, and the v1 response format, through the real CLI and the simulator."""

from integration_tests.support import Connector, catalog, fixed_range, key_of, rfc3339

NAME_STREAMS = ("agents", "agent_groups", "status_reasons")


def by_id(records: list[dict]) -> dict[str, dict]:
    return {str(record["id"]): record for record in records}


def test_given_account_when_name_streams_read_then_they_equal_the_api_lists_deleted_included(simulator, tmp_path):
    config = simulator.connector_config()

    output = Connector(tmp_path, simulator.ca_path).read(config, catalog(*NAME_STREAMS))

    assert output.exit_code == 0, output.errors
    assert by_id(output.records("agents")) == by_id(simulator.users(include_deleted=True))
    assert by_id(output.records("agent_groups")) == by_id(simulator.agent_groups(include_deleted=True))
    assert by_id(output.records("status_reasons")) == by_id(simulator.status_reasons(include_deleted=True))
    assert any(user.get("deleted") for user in output.records("agents"))
    requests = [entry for entry in simulator.requests if entry.endpoint in ("users", "agent_groups", "status_reasons")]
    assert {entry.query.get("include_deleted") for entry in requests} == {"true"}


def test_given_status_changes_when_joined_with_name_streams_then_every_id_resolves(simulator, tmp_path):
    start, end = fixed_range(simulator, 40)
    config = simulator.connector_config(start_date=rfc3339(start), end_date=rfc3339(end))

    output = Connector(tmp_path, simulator.ca_path).read(config, catalog("status_changes", *NAME_STREAMS))

    agents, groups, reasons = (by_id(output.records(name)) for name in NAME_STREAMS)
    changes = output.records()
    assert changes
    assert {str(change["agentId"]) for change in changes} <= set(agents)
    assert {str(change["agentGroupId"]) for change in changes if change["agentGroupId"] != -1} <= set(groups)
    assert {str(change["statusReasonId"]) for change in changes if change["statusReasonId"] > 0} <= set(reasons)
    assert any(change["statusReasonId"] > 0 for change in changes)


def test_given_only_status_changes_permission_when_check_and_read_then_status_changes_syncs_and_agents_fail_clearly(
    make_simulator, tmp_path
):
    sim = make_simulator(permissions={"status_changes"})
    start, end = fixed_range(sim, 5)
    config = sim.connector_config(start_date=rfc3339(start), end_date=rfc3339(end))
    connector = Connector(tmp_path, sim.ca_path)

    check = connector.run("check", config)
    output = connector.read(config, catalog("status_changes", "agents"))

    assert check.connection_status == {"status": "SUCCEEDED"}
    assert {key_of(r) for r in output.records()} == {key_of(r) for r in sim.ground_truth(start, end)}
    agent_errors = [error["message"] for error in output.errors if "agents" in error["message"]]
    assert agent_errors and "HTTP 403" in agent_errors[0] and "users.read" in agent_errors[0]
    assert output.exit_code != 0


def test_given_api_version_1_when_synced_then_same_records_as_v2(simulator, tmp_path):
    start, end = fixed_range(simulator, 20)
    connector = Connector(tmp_path, simulator.ca_path)
    config = simulator.connector_config(start_date=rfc3339(start), end_date=rfc3339(end))

    v2 = connector.read(config)
    v1 = connector.read({**config, "api_version": "1", "page_size": 3})

    assert v1.exit_code == 0, v1.errors
    v1_pages = [entry for entry in simulator.requests if entry.endpoint == "status_changes" and entry.query["v"] == "1"]
    assert len(v1_pages) > 3 and {entry.query["limit"] for entry in v1_pages} == {"3"}
    assert sorted(v1.records(), key=key_of) == sorted(v2.records(), key=key_of)
    assert len(v2.records()) == len(simulator.ground_truth(start, end))


def test_given_v1_page_at_liveperson_cut_off_when_synced_then_warning_names_the_window(make_simulator, tmp_path):
    sim = make_simulator(agents=2, changes_per_session=40)
    start, end = fixed_range(sim, 3)
    config = sim.connector_config(
        start_date=rfc3339(start), end_date=rfc3339(end), api_version="1", page_size=1, window_size_days=1
    )

    output = Connector(tmp_path, sim.ca_path).read(config)

    warnings = [log for log in output.logs if "cut-off" in log]
    assert warnings, "a v1 page at 20 × limit × days records must be reported"
    assert "window" in warnings[0] and rfc3339(start)[:10] in " ".join(warnings)
    assert len(output.records()) < len(sim.ground_truth(start, end)), "the simulator cuts v1 pages like LivePerson"
