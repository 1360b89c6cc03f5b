"""The bot's search index, kept in memory and on disk, rebuilt only when the stored items change.

Building ``bot.search.ItemIndex`` over a year of reports takes seconds; answering from it takes
milliseconds. ``IndexCache.current()`` returns the index for the items stored now:

* **In memory**: the built index is kept, and each call first asks the store for a cheap
  fingerprint of its items (``Store.items_fingerprint``: their count and highest id, the highest
  article id, the last time a report was saved). Unchanged: the same index, at once. Changed (a
  new report was built or imported): a new index. A long-running bot thus picks up the morning's
  report with its next question.
* **On disk** (when ``cache_dir`` is given: ``AIDAILY_CACHE_DIR``, default ``data/cache``): the
  built index is saved as one ``.npz`` file of plain arrays (the postings and their heads, the
  items' dates) and UTF-8 JSON (the items, one document each; the terms; the mined pairs; the
  fingerprint and ``FORMAT``), read
  with ``allow_pickle=False``: never pickle, so a cache file cannot run code. The next process
  (``aidaily ask``) loads it in well under a second instead of building for seconds
  (bench/ask.py); an item is decoded only when a question first reads it. A file that is stale (another
  fingerprint or format), truncated, corrupt or inconsistent is ignored and replaced; a cache
  directory that cannot be written only costs the next process a build. Files are written to a
  temporary name and renamed, so a reader never sees half a file.
* **Thread-safe**: the bots call it from worker threads; one lock makes concurrent callers wait
  for a single build instead of building alike.

The directory holds only rebuildable data: deleting it is always safe.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol, overload

import numpy as np

from bot.search import IndexState, ItemIndex
from core.models import FollowUp, Importance, Item, SourceLink
from core.store.report_items import ReportedItem

log = logging.getLogger(__name__)

#: Part of the file name and checked inside: change it whenever the saved layout or the index's
#: weighing changes, so that no index built by older code is served.
FORMAT = 2  # 2: the heads of the postings and the mined (Latin, Chinese) pairs
FILE_NAME = f"search-index-v{FORMAT}.npz"
_ARRAYS = ("days", "offsets", "docs", "values", "heads", "idf")


class ItemSource(Protocol):
    """What the cache reads from the store (``core.store.Store`` is one)."""

    def items_fingerprint(self) -> Any: ...

    def reported_items(self) -> list[ReportedItem]: ...

    def item_article_texts(self) -> dict[int, str]: ...


class IndexCache:
    """See the module docstring."""

    def __init__(self, store: ItemSource, cache_dir: Path | None) -> None:
        self._store = store
        self._path = cache_dir / FILE_NAME if cache_dir is not None else None
        self._lock = threading.Lock()
        self._index: ItemIndex | None = None
        self._fingerprint: str | None = None

    def current(self) -> ItemIndex:
        """The index of the items stored now: kept, loaded from disk, or built."""
        with self._lock:
            fingerprint = _key(self._store.items_fingerprint())
            if self._index is None or fingerprint != self._fingerprint:
                self._index = self._load(fingerprint) or self._build(fingerprint)
                self._fingerprint = fingerprint
            return self._index

    def _build(self, fingerprint: str) -> ItemIndex:
        index = ItemIndex(self._store.reported_items(), self._store.item_article_texts())
        # Items stored while building make this index newer than its fingerprint: kept in memory
        # (the next call sees the new fingerprint and builds again) but not saved under the old one.
        if self._path is not None and _key(self._store.items_fingerprint()) == fingerprint:
            self._save(index.state(), fingerprint)
        return index

    def _load(self, fingerprint: str) -> ItemIndex | None:
        if self._path is None or not self._path.exists():
            return None
        try:
            state = read_state(self._path, fingerprint)
        except Exception as exc:  # corrupt in any way: rebuild, and overwrite it
            log.warning("ignoring the search index cache %s: %s", self._path, exc)
            return None
        return ItemIndex.from_state(state) if state is not None else None

    def _save(self, state: IndexState, fingerprint: str) -> None:
        assert self._path is not None
        try:
            write_state(self._path, state, fingerprint)
        except OSError as exc:
            log.warning("could not save the search index cache %s: %s", self._path, exc)


def _key(fingerprint: Any) -> str:
    return json.dumps([FORMAT, fingerprint], default=str)


# --- the file ---------------------------------------------------------------------------------


def write_state(path: Path, state: IndexState, fingerprint: str) -> None:
    """Save ``state`` under ``fingerprint`` to ``path`` (atomically: a temporary file, renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {name: getattr(state, name) for name in _ARRAYS}
    arrays["unseen_idf"] = np.array(state.unseen_idf, dtype=np.float64)
    arrays["meta"] = _json_bytes({"format": FORMAT, "fingerprint": fingerprint})
    arrays["terms"] = _json_bytes(list(state.terms))
    arrays["mined"] = _json_bytes([list(pair) for pair in state.mined])
    encoded = [json.dumps(_item_json(found), ensure_ascii=False).encode("utf-8") for found in state.items]
    arrays["items"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    arrays["item_offsets"] = np.concatenate(([0], np.cumsum([len(e) for e in encoded]))).astype(np.int64)
    handle, temporary = tempfile.mkstemp(prefix=".search-index-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_state(path: Path, fingerprint: str) -> IndexState | None:
    """The state saved at ``path``, or None when it was saved for other items or another format.

    Raises (``ValueError``, ``KeyError``, ``OSError``, ...) when the file is corrupt; an item
    that does not decode raises when it is first read.
    """
    with np.load(path, allow_pickle=False) as saved:
        meta = json.loads(saved["meta"].tobytes())
        if meta != {"format": FORMAT, "fingerprint": fingerprint}:
            return None
        state = IndexState(
            items=SavedItems(saved["items"].tobytes(), saved["item_offsets"].astype(np.int64, copy=False)),
            days=saved["days"].astype(np.int64, copy=False),
            terms=tuple(json.loads(saved["terms"].tobytes())),
            offsets=saved["offsets"].astype(np.int64, copy=False),
            docs=saved["docs"].astype(np.int32, copy=False),
            values=saved["values"].astype(np.float32, copy=False),
            heads=saved["heads"].astype(bool, copy=False),
            idf=saved["idf"].astype(np.float64, copy=False),
            unseen_idf=float(saved["unseen_idf"]),
            mined=tuple((str(a), str(b)) for a, b in json.loads(saved["mined"].tobytes())),
        )
    _check(state)
    if len(state.items):
        state.items[0], state.items[-1]  # items written in another layout fail here, not in a search
    return state


class SavedItems(Sequence[ReportedItem]):
    """The items of a saved index, each decoded from its JSON when first read.

    Decoding a year of items up front would cost more than the rest of loading together; a
    question reads only its hits (and the bots' ``prefer``, the items that matched).
    """

    def __init__(self, blob: bytes, offsets: np.ndarray) -> None:
        if len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(blob) or np.any(np.diff(offsets) < 0):
            raise ValueError("the item offsets do not fit the items")
        self._blob = blob
        self._offsets = offsets
        self._decoded: dict[int, ReportedItem] = {}  # filled by readers in any thread: same values

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, n: int) -> ReportedItem: ...

    @overload
    def __getitem__(self, n: slice) -> list[ReportedItem]: ...

    def __getitem__(self, n: int | slice) -> ReportedItem | list[ReportedItem]:
        if isinstance(n, slice):
            return [self[i] for i in range(*n.indices(len(self)))]
        n = range(len(self))[n]  # IndexError out of range, as a sequence should
        found = self._decoded.get(n)
        if found is None:
            start, end = int(self._offsets[n]), int(self._offsets[n + 1])
            found = self._decoded[n] = _item_from_json(json.loads(self._blob[start:end]))
        return found


def _check(state: IndexState) -> None:
    """A loaded state must index within itself, or a search would fail or read wrong items."""
    terms, postings = len(state.terms), len(state.docs)
    if len(state.days) != len(state.items):
        raise ValueError("the item dates do not fit the items")
    if len(state.offsets) != terms + 1 or len(state.idf) != terms or len(state.values) != postings:
        raise ValueError("the arrays do not fit each other")
    if len(state.heads) != postings:
        raise ValueError("the arrays do not fit each other")
    if terms and (
        state.offsets[0] != 0 or state.offsets[-1] != postings or np.any(np.diff(state.offsets) < 0)
    ):
        raise ValueError("the term offsets are out of order")
    if postings and (int(state.docs.min()) < 0 or int(state.docs.max()) >= len(state.items)):
        raise ValueError("a posting names an item that is not there")


def _json_bytes(value: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _item_json(found: ReportedItem) -> list[Any]:
    item = found.item
    follow_up = item.follow_up
    return [
        found.id,
        found.date.isoformat(),
        found.report_title,
        [item.section, item.title, item.summary, item.details, item.use_cases, item.entities],
        [item.importance.value, item.importance_reason, item.writer, item.topic_key, item.article_urls],
        [[s.name, s.url, s.valid] for s in item.sources],
        [follow_up.date.isoformat(), follow_up.title, follow_up.item_id] if follow_up else None,
    ]


def _item_from_json(data: list[Any]) -> ReportedItem:
    id_, day, report_title, text, meta, sources, follow_up = data
    section, title, summary, details, use_cases, entities = text
    importance, reason, writer, topic_key, article_urls = meta
    item = Item(
        section=section,
        title=title,
        summary=summary,
        details=tuple(details),
        use_cases=tuple(use_cases),
        entities=tuple(entities),
        importance=Importance(importance),
        importance_reason=reason,
        sources=tuple(SourceLink(name, url, valid) for name, url, valid in sources),
        follow_up=FollowUp(date.fromisoformat(follow_up[0]), follow_up[1], follow_up[2])
        if follow_up
        else None,
        writer=writer,
        topic_key=topic_key,
        article_urls=tuple(article_urls),
    )
    return ReportedItem(id_, date.fromisoformat(day), report_title, item)


def _follow_up(data: list[Any] | None) -> FollowUp | None:
    return FollowUp(date.fromisoformat(data[0]), data[1], data[2]) if data else None
