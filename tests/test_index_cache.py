"""The cached search index: kept while the items are unchanged, rebuilt when they change, saved
to disk as arrays and JSON (never pickle) and loaded by the next process, corrupt files ignored."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.index_cache import FILE_NAME, IndexCache, read_state, write_state
from bot.search import ItemIndex
from core.models import FollowUp, Insight, Item, Reading, Report, Section, SourceLink
from core.report.importing.files import import_files
from core.store import Store
from core.store.report_items import ReportedItem

SAMPLES = sorted((Path(__file__).resolve().parent / "data" / "sample-reports").glob("*.md"))


def report(day: date, *titles: str) -> Report:
    """A report of one research item per title."""
    return report_of(
        day,
        *(
            Item(
                section="research",
                title=title,
                summary=f"{title} was announced.",
                sources=(SourceLink("Example", f"https://example.org/{day}/{n}"),),
            )
            for n, title in enumerate(titles)
        ),
    )


def report_of(day: date, *items: Item) -> Report:
    """A report of the given items, each section in the order its first item comes."""
    sections = {item.section: tuple(i for i in items if i.section == item.section) for item in items}
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return Report(
        date=day,
        title=f"AI Daily {day}",
        generated_at=moment,
        timezone="Asia/Taipei",
        window_start=moment - timedelta(days=1),
        window_end=moment,
        articles_count=len(items),
        topics_count=len(items),
        sections=tuple(Section(key, key, found) for key, found in sections.items()),
        insight=Insight(),
        reading=Reading(),
    )


class Counting:
    """The store, counting the full reads a build makes (the fingerprint query is not one)."""

    def __init__(self, store: Store, *, builds: bool = True) -> None:
        self.store, self.builds, self.reads = store, builds, 0

    def items_fingerprint(self):
        return self.store.items_fingerprint()

    def reported_items(self) -> list[ReportedItem]:
        if not self.builds:
            raise AssertionError("this cache was expected to load, not build")
        self.reads += 1
        return self.store.reported_items()

    def item_article_texts(self) -> dict[int, str]:
        return self.store.item_article_texts()


def titles(index: ItemIndex, question: str) -> list[str]:
    return [hit.found.item.title for hit in index.search(question).hits]


@pytest.fixture
def imported(store: Store) -> Store:
    assert all(outcome.ok for outcome in import_files(store, SAMPLES))
    return store


def test_the_index_is_kept_until_the_items_change(store):
    store.save_report(report(date(2025, 12, 1), "Zephyr robotics arm"), "")
    counting = Counting(store)
    cache = IndexCache(counting, None)
    first = cache.current()
    assert cache.current() is first and counting.reads == 1
    store.save_report(report(date(2025, 12, 2), "Quasar chip"), "")
    second = cache.current()
    assert second is not first and counting.reads == 2
    assert titles(second, "Quasar") == ["Quasar chip"]


def test_replacing_a_report_with_as_many_items_is_noticed(store):
    store.save_report(report(date(2025, 12, 1), "Zephyr robotics arm"), "")
    cache = IndexCache(store, None)
    assert titles(cache.current(), "Zephyr") == ["Zephyr robotics arm"]
    store.save_report(report(date(2025, 12, 1), "Nimbus cloud launch"), "")  # the same date again
    assert titles(cache.current(), "Nimbus") == ["Nimbus cloud launch"]
    assert not cache.current().search("Zephyr").found


def test_a_saved_index_is_loaded_by_the_next_process(imported, tmp_path):
    built = IndexCache(imported, tmp_path).current()
    assert (tmp_path / FILE_NAME).exists()
    loaded = IndexCache(Counting(imported, builds=False), tmp_path).current()
    assert list(loaded.state().items) == list(built.state().items)
    for name in ("days", "offsets", "docs", "values", "idf"):
        assert np.array_equal(getattr(loaded.state(), name), getattr(built.state(), name))
    for question in ("more on GPT-5.2", "通義千問", "ＧＰＴ－５．２", "FIFA World Cup"):
        assert loaded.search(question) == built.search(question)


def test_every_item_field_survives_the_file(tmp_path):
    item = Item(
        section="market",
        title="標題 “quoted” \u2028 line",
        summary="摘要",
        details=("a", "b"),
        use_cases=("c",),
        entities=("OpenAI",),
        importance_reason="why",
        sources=(SourceLink("來源1", "1", False), SourceLink("X", "https://x.example/?a=1&b=2")),
        follow_up=FollowUp(date(2025, 11, 1), "earlier", 7),
        writer="llm",
        topic_key="k",
        article_urls=("https://a.example/1",),
    )
    paired = Item(section="research", title="赫茲科技（Hertzion）發表晶片", summary="赫茲科技新晶片。")
    index = ItemIndex(
        [
            ReportedItem(9, date(2025, 12, 1), "AI Daily", item),
            ReportedItem(10, date(2025, 12, 1), "AI", paired),
        ]
    )
    write_state(tmp_path / FILE_NAME, index.state(), "fp")
    loaded = read_state(tmp_path / FILE_NAME, "fp")
    assert list(loaded.items) == list(index.state().items)
    # What the search reads beside the postings: the heads and the pairs mined from the items.
    assert loaded.mined == index.state().mined == (("hertzion", "赫兹科技"),)
    assert loaded.heads.dtype == bool and (loaded.heads == index.state().heads).all() and loaded.heads.any()
    assert read_state(tmp_path / FILE_NAME, "another") is None


def test_a_stale_file_is_rebuilt_and_replaced(imported, tmp_path):
    IndexCache(imported, tmp_path).current()
    imported.save_report(report(date(2026, 1, 5), "Quasar chip"), "")
    counting = Counting(imported)
    index = IndexCache(counting, tmp_path).current()
    assert counting.reads == 1 and titles(index, "Quasar") == ["Quasar chip"]
    assert titles(IndexCache(Counting(imported, builds=False), tmp_path).current(), "Quasar") == [
        "Quasar chip"
    ]


def _items_of_another_layout(path: Path) -> None:
    saved = dict(np.load(path, allow_pickle=False))
    saved["items"] = np.frombuffer(b"{" * len(saved["items"]), dtype=np.uint8)
    np.savez(path, **saved)


def _out_of_range(path: Path) -> None:
    """A well-formed file for the current items whose postings point past the last item."""
    saved = dict(np.load(path, allow_pickle=False))
    saved["docs"] = saved["docs"] + 10_000
    np.savez(path, **saved)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda path: path.write_bytes(b"not a zip file at all"),
        lambda path: path.write_bytes(path.read_bytes()[:200]),  # truncated
        lambda path: np.savez(path, meta=np.array([{"format": 1}], dtype=object)),  # pickled objects
        _out_of_range,
        _items_of_another_layout,
    ],
    ids=["garbage", "truncated", "pickle", "out-of-range", "item-layout"],
)
def test_a_corrupt_file_is_ignored_and_rebuilt(imported, tmp_path, spoil):
    expected = titles(IndexCache(imported, tmp_path).current(), "more on GPT-5.2")
    spoil(tmp_path / FILE_NAME)
    counting = Counting(imported)
    index = IndexCache(counting, tmp_path).current()
    assert counting.reads == 1 and titles(index, "more on GPT-5.2") == expected
    IndexCache(Counting(imported, builds=False), tmp_path).current()  # and the file was replaced


def test_a_cache_dir_that_cannot_be_written_only_costs_a_build(imported, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    index = IndexCache(imported, blocked).current()
    assert titles(index, "more on GPT-5.2")


def test_threads_wait_for_one_build(imported, tmp_path):
    counting = Counting(imported)
    cache = IndexCache(counting, tmp_path)
    start = threading.Barrier(8)
    got: list[ItemIndex] = []

    def ask() -> None:
        start.wait()
        got.append(cache.current())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counting.reads == 1 and len(got) == 8 and all(index is got[0] for index in got)
