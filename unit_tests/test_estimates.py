"""The progress bar: what a window learns of its size from LivePerson's pages (progress.py), each stream's estimate
built from the windows and when it is sent (estimates.py), then the ESTIMATE messages of reads with mocked pages."""

from typing import Optional

import pytest
from airbyte_cdk.models import EstimateType, SyncMode, TraceType, Type
from freezegun import freeze_time

from source_agent_activity.estimates import IntervalsEstimate, StatusChangesEstimate
from source_agent_activity.progress import LastPage, WindowsProgress, last_page_of
from unit_tests.support.config import catalog
from unit_tests.support.day_windows import DAYS, answer_by_day, four_days
from unit_tests.support.entrypoint import NOW, read_catalog
from unit_tests.support.response_builder import StatusChangesResponse, a_record

CHANGES = "status_changes"
INTERVALS = "agent_status_intervals"
DAY_MS = 86_400_000
PAGE_URL = "http://va.agent-activity.liveperson.net/api/v2/account/12345678/status-changes"


def references(next_offset: Optional[int] = None, last_href: Optional[str] = None) -> list[dict]:
    """A page's `_metadata.references`: `next` and `last` when given."""
    found = [{"rel": "self", "href": f"{PAGE_URL}?offset=0&limit=1000"}]
    if next_offset is not None:
        found.append({"rel": "next", "href": f"{PAGE_URL}?offset={next_offset}&limit=1000"})
    if last_href is not None:
        found.append({"rel": "last", "href": last_href})
    return found


def last(offset: int, limit: int = 1000) -> str:
    return f"{PAGE_URL}?from=2026-06-01T00:00:00.000Z&offset={offset}&limit={limit}&source=airbyte"


def days(count: int, hours_of_last: int = 24) -> WindowsProgress:
    """The progress of `count` one-day windows, the last `hours_of_last` hours long."""
    bounds = [(day * DAY_MS, (day + 1) * DAY_MS - 1) for day in range(count)]
    first, _ = bounds[-1]
    bounds[-1] = (first, first + hours_of_last * 3_600_000 - 1)
    return WindowsProgress(CHANGES, bounds, [f"day {day}" for day in range(count)])


def rows(messages) -> list[int]:
    return [message.trace.estimate.row_estimate for message in messages]


class TestWindowSize:
    def test_given_a_single_page_when_read_then_the_window_holds_its_records(self) -> None:
        window = days(1).window(0)

        window.page(730, 730, references())

        assert window.bounds == (730, 730) and window.exact and window.news

    def test_given_first_page_with_last_when_read_then_last_offset_plus_half_a_page(self) -> None:
        window = days(1).window(0)

        window.page(1000, 1000, references(next_offset=1000, last_href=last(39_000)))

        # The last page holds 1 to 1000 records.
        assert window.bounds == (39_001, 40_000) and not window.exact

    def test_given_many_pages_when_read_to_the_last_then_exactly_the_records_read(self) -> None:
        window = days(1).window(0)
        window.page(1000, 1000, references(next_offset=1000, last_href=last(2000)))
        window.page(1000, 1000, references(next_offset=2000, last_href=last(2000)))
        window.news = False

        window.page(417, 417, references())
        window.last_page()

        assert window.bounds == (2417, 2417) and window.news and window.exact

    def test_given_pages_after_the_first_with_the_same_last_when_read_then_no_news(self) -> None:
        window = days(1).window(0)
        window.page(1000, 1000, references(next_offset=1000, last_href=last(3000)))
        window.news = False

        window.page(1000, 1000, references(next_offset=2000, last_href=last(3000)))

        assert window.bounds == (3001, 4000) and not window.news

    def test_given_v1_page_when_last_counts_agents_then_agents_times_records_per_agent(self) -> None:
        window = days(1).window(0)

        # 50 agents holding 1,200 state changes; the last page of agents starts at agent 150.
        window.page(1200, 50, references(next_offset=50, last_href=last(150, limit=50)))

        assert window.bounds == pytest.approx(((150 + 1) * 24, (150 + 50) * 24))

    @pytest.mark.parametrize(
        "last_href",
        [
            f"{PAGE_URL}?offset=abc&limit=1000",
            f"{PAGE_URL}?offset=-5&limit=1000",
            f"{PAGE_URL}?limit=1000",
            f"{PAGE_URL}?offset=1&offset=2",
            "not a link",
            None,
        ],
    )
    def test_given_malformed_last_when_read_then_size_unknown_and_nothing_fails(self, last_href) -> None:
        windows = days(2)
        page = references(next_offset=1000)
        page.append({"rel": "last", "href": last_href})

        windows.window(0).page(1000, 1000, page)

        assert windows.window(0).bounds is None and windows.sizes() is None

    def test_given_no_last_reference_but_a_next_when_read_then_size_unknown_until_the_last_page(self) -> None:
        window = days(1).window(0)
        window.page(1000, 1000, references(next_offset=1000))
        assert window.bounds is None

        window.page(12, 12, references())

        assert window.bounds == (1012, 1012)

    def test_given_window_grows_while_read_then_size_follows_the_latest_last_and_exceeds_what_was_read(self) -> None:
        window = days(1).window(0)
        window.page(1000, 1000, references(next_offset=1000, last_href=last(1000)))
        assert window.bounds == (1001, 2000)

        # Late records: the second page is full, and its `last` moved a page further.
        window.page(1000, 1000, references(next_offset=2000, last_href=last(2000)))
        assert window.bounds == (2001, 3000) and window.news
        # More late records than even that `last` said: more than was read, up to a page more.
        window.page(1000, 1000, references(next_offset=3000, last_href=last(2000)))
        assert window.bounds == (3001, 4000) and not window.exact

        window.page(5, 5, references())
        assert window.bounds == (3005, 3005)

    def test_given_last_href_without_limit_when_read_then_the_full_page_is_the_limit(self) -> None:
        assert last_page_of(references(next_offset=10, last_href=f"{PAGE_URL}?offset=40")) == LastPage(40, None)
        window = days(1).window(0)

        window.page(10, 10, references(next_offset=10, last_href=f"{PAGE_URL}?offset=40"))

        assert window.bounds == (41, 50)


class TestExtrapolation:
    def test_given_one_window_told_its_size_when_estimated_then_others_by_the_time_they_cover(self) -> None:
        windows = days(4, hours_of_last=6)

        windows.window(1).page(1000, 1000, references(next_offset=1000, last_href=last(9000)))

        assert windows.sizes() == pytest.approx([9500.5, 9500.5, 9500.5, 9500.5 / 4])

    def test_given_only_a_window_of_two_pages_told_its_size_when_estimated_then_not_extrapolated_from(self) -> None:
        windows = days(3, hours_of_last=2)
        # 1,000 to 2,000 records in two hours: too rough (up to a quarter off) to say what the days hold.
        windows.window(2).page(1000, 1000, references(next_offset=1000, last_href=last(1000)))
        assert windows.window(2).bounds == (1001, 2000) and windows.sizes() is None

        windows.window(2).page(310, 310, references())

        assert windows.sizes() == pytest.approx([1310 * 12, 1310 * 12, 1310])

    def test_given_a_window_read_to_the_end_then_windows_that_told_bounds_guessed_at_its_rate_within_them(self) -> None:
        windows = days(4)
        windows.window(1).page(1000, 1000, references(next_offset=1000, last_href=last(9000)))
        windows.window(2).page(1000, 1000, references(next_offset=1000, last_href=last(8000)))
        assert windows.sizes() == pytest.approx([9000.5, 9500.5, 8500.5, 9000.5])

        windows.window(0).page(9200, 9200, references())

        # 9,200 a day, within window 1's bounds (9,001 to 10,000) but past window 2's (8,001 to 9,000).
        assert windows.sizes() == pytest.approx([9200, 9200, 9000, (9200 + 9200 + 9000) / 3])

    def test_given_no_window_told_its_size_when_estimated_then_no_estimate(self) -> None:
        windows = days(3)

        windows.window(0).page(1000, 1000, references(next_offset=1000))

        assert windows.sizes() is None and windows.records_and_total() == (1000, 1000.0)

    def test_given_window_of_unknown_size_read_past_the_extrapolation_then_at_least_what_was_read(self) -> None:
        windows = days(2)
        windows.window(0).page(100, 100, references())

        windows.window(1).page(1000, 1000, references(next_offset=1000))

        assert windows.sizes() == [100, 1000]


class TestStatusChangesEstimate:
    def test_given_first_window_told_its_size_when_due_then_every_window_estimated_from_it(self) -> None:
        windows = days(4)
        estimate = StatusChangesEstimate(CHANGES, windows, {index: 1.0 for index in range(4)})
        assert estimate.due() == []

        windows.window(0).page(1000, 1000, references(next_offset=1000, last_href=last(9000)))
        [message] = estimate.due()

        assert message.type == Type.TRACE and message.trace.type == TraceType.ESTIMATE
        assert (message.trace.estimate.name, message.trace.estimate.type) == (CHANGES, EstimateType.STREAM)
        assert message.trace.estimate.row_estimate == 38_002

    def test_given_estimate_moved_less_than_5_percent_when_due_then_nothing_sent(self) -> None:
        windows = days(2)
        estimate = StatusChangesEstimate(CHANGES, windows, {0: 1.0, 1: 1.0})
        windows.window(0).page(1000, 1000, references(next_offset=1000, last_href=last(9000)))
        assert rows(estimate.due()) == [19_001]

        windows.window(1).page(1000, 1000, references(next_offset=1000, last_href=last(9800)))

        assert estimate.due() == []

    def test_given_estimate_moved_5_percent_or_more_when_due_then_sent_again(self) -> None:
        windows = days(2)
        estimate = StatusChangesEstimate(CHANGES, windows, {0: 1.0, 1: 1.0})
        windows.window(0).page(1000, 1000, references(next_offset=1000, last_href=last(9000)))
        estimate.due()

        windows.window(1).page(1000, 1000, references(next_offset=1000, last_href=last(11_000)))

        assert rows(estimate.due()) == [21_001]

    def test_given_last_window_finished_then_final_estimate_is_the_records_emitted(self) -> None:
        windows = days(2)
        estimate = StatusChangesEstimate(CHANGES, windows, {0: 1.0, 1: 1.0})
        windows.window(0).page(1000, 1000, references(next_offset=1000, last_href=last(9000)))
        estimate.due()

        assert estimate.finished(1, 9100) == []
        assert rows(estimate.finished(0, 9700)) == [18_800]
        assert estimate.due() == []

    def test_given_final_equal_to_the_last_sent_then_not_sent_twice(self) -> None:
        windows = days(1)
        estimate = StatusChangesEstimate(CHANGES, windows, {0: 1.0})
        windows.window(0).page(250, 250, references())
        assert rows(estimate.due()) == [250]

        assert estimate.finished(0, 250) == []

    def test_given_only_empty_windows_known_when_due_then_nothing_until_the_final(self) -> None:
        windows = days(2)
        estimate = StatusChangesEstimate(CHANGES, windows, {0: 1.0, 1: 1.0})
        windows.window(0).page(0, 0, references())

        assert estimate.due() == [] and estimate.finished(0, 0) == []
        assert rows(estimate.finished(1, 0)) == [0]

    def test_given_first_window_partly_before_the_stream_start_then_weighted_by_its_share(self) -> None:
        windows = days(2)
        estimate = StatusChangesEstimate(CHANGES, windows, {0: 0.25, 1: 1.0})

        windows.window(0).page(100, 100, references())

        assert estimate.rows() == pytest.approx(125)


class TestIntervalsEstimate:
    def test_given_a_window_read_then_open_intervals_plus_type_1_share_of_every_window(self) -> None:
        windows = days(3)
        estimate = IntervalsEstimate(INTERVALS, windows, {0: 1.0, 1: 1.0, 2: 1.0}, open_before=7)
        windows.window(0).page(1000, 1000, references())
        assert estimate.due() == []

        estimate.read(0, changes=1000, starts=800)

        # 7 open + 800 starts counted + 80 % of the two windows extrapolated (1,000 each).
        assert rows(estimate.due()) == [2407]

    def test_given_last_window_emitted_then_final_estimate_is_the_intervals_emitted(self) -> None:
        windows = days(2)
        estimate = IntervalsEstimate(INTERVALS, windows, {0: 1.0, 1: 1.0}, open_before=0)
        windows.window(0).page(1000, 1000, references())
        estimate.read(0, changes=1000, starts=800)
        estimate.due()

        assert estimate.emitted(790, last=False) == []
        assert rows(estimate.emitted(815, last=True)) == [1605]
        assert "1,605 of about 1,605 intervals written" == estimate.written()


# Reads: four one-day windows (2026-06-01 to 2026-06-04), each of six pages of one record (limit=1), the first of
# which tells the window's size within half a page.
PAGES_PER_WINDOW = 6


def _pages(day: str, last_href: Optional[str] = "valid") -> list:
    pages = []
    for n in range(PAGES_PER_WINDOW):
        record = a_record(f"{day}T{8 + n:02d}:00:00.000Z").with_sequence_number(n).with_agent_id(2800001001)
        page = StatusChangesResponse().with_record(record)
        if n < PAGES_PER_WINDOW - 1:
            page = page.with_next_offset(n + 1)
            if last_href == "valid":
                page = page.with_last_offset(PAGES_PER_WINDOW - 1, limit=1)
            elif last_href is not None:
                page = page.with_last_href(last_href)
        pages.append(page.build())
    return pages


def _read(requests_mock, streams: list[str], last_href: Optional[str] = "valid"):
    answer_by_day(requests_mock, {day: _pages(day, last_href) for day in DAYS})
    config = four_days().with_num_workers(2).build()
    return read_catalog(config, catalog(SyncMode.full_refresh, streams))


def _story(output, stream: str) -> list[str]:
    """The stream's ESTIMATEs (with their rows), RECORDs and statuses, in order."""
    story = []
    for message in output.get_message_iterator():
        if message.type == Type.RECORD and message.record.stream == stream:
            story.append("RECORD")
        elif message.type == Type.TRACE and message.trace.estimate and message.trace.estimate.name == stream:
            story.append(f"ESTIMATE {message.trace.estimate.row_estimate}")
        elif (
            message.type == Type.TRACE
            and message.trace.stream_status
            and message.trace.stream_status.stream_descriptor.name == stream
        ):
            story.append(message.trace.stream_status.status.name)
    return story


@freeze_time(NOW)
class TestReadWithEstimates:
    @pytest.mark.parametrize("streams", [[CHANGES], [CHANGES, INTERVALS]])
    def test_given_windows_of_pages_when_read_then_status_changes_estimated_before_its_records_and_exact(
        self, requests_mock, streams
    ) -> None:
        output = _read(requests_mock, streams)

        story = _story(output, CHANGES)
        # Each first page says 6 records (the last page starts at offset 5 and holds 1): right on the first page.
        assert [step for step in story if step.startswith("ESTIMATE")] == ["ESTIMATE 24"]
        assert story.index("ESTIMATE 24") < story.index("RECORD")
        assert story.count("RECORD") == 24 and story[-1] == "COMPLETE"

    @pytest.mark.parametrize("streams", [[INTERVALS], [CHANGES, INTERVALS]])
    def test_given_windows_of_pages_when_read_then_intervals_estimated_before_its_records_and_exact(
        self, requests_mock, streams
    ) -> None:
        output = _read(requests_mock, streams)

        story = _story(output, INTERVALS)
        # One interval per status change of type 1 (every record here), the last one open: 24, known once the first
        # window is read to the end and the others told their size, so that estimate is also the final one.
        assert [step for step in story if step.startswith("ESTIMATE")] == ["ESTIMATE 24"]
        assert story.index("ESTIMATE 24") < story.index("RECORD")
        assert story.count("RECORD") == 24 and story[-1] == "COMPLETE"

    @pytest.mark.parametrize("last_href", [None, f"{PAGE_URL}?offset=three&limit=3", "://"])
    def test_given_pages_without_a_usable_last_when_read_then_every_record_and_an_exact_final_estimate(
        self, requests_mock, last_href
    ) -> None:
        output = _read(requests_mock, [CHANGES, INTERVALS], last_href)

        for stream in (CHANGES, INTERVALS):
            story = _story(output, stream)
            assert story.count("RECORD") == 24
            assert [step for step in story if step.startswith("ESTIMATE")][-1] == "ESTIMATE 24"
            assert story[-1] == "COMPLETE"

    def test_given_windows_read_when_logged_then_each_line_says_records_read_of_the_estimate(
        self, requests_mock
    ) -> None:
        output = _read(requests_mock, [CHANGES])

        lines = [message.log.message for message in output.logs if " done: " in message.log.message]
        assert len(lines) == 4
        assert any(line.endswith("4 window(s) finished, 0 to go; 24 of about 24 records read.") for line in lines)
        assert all(line.startswith("status_changes window ") and " of 4 (2026-06-0" in line for line in lines)
