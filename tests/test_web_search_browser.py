"""The search page in a real browser: headless Chromium, driven over the DevTools protocol, on
the archive and search served by uvicorn on 127.0.0.1 (the sample reports, the bot's index).

A reader's path: open ``/search`` (a form), type a question and press Enter, read the results
(marked words), click the first one and land on the report page scrolled to that item. Then a
hostile question in the URL (markup that would set a ``data-pwned`` marker if it ran) must stay
text, and the results must fit a phone and a desktop screen (nothing wider than the viewport);
screenshots are checked for content and, with ``AIDAILY_KEEP_SCREENSHOTS``, kept under
``out/screenshots/``.

Chromium and its DevTools helpers come from ``test_email_screenshot`` (Debian's ``chromium``,
``scripts/install-test-packages.sh``): without it these tests skip, unless
``AIDAILY_REQUIRE_CHROMIUM`` is set (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from asgi_client import UvicornThread
from starlette.applications import Starlette
from test_email_screenshot import HOSTILE, MEASURE, Tab, chromium, keep, png_facts, tab_at
from test_web_archive import archive_app, import_samples

from bot.index_cache import IndexCache
from core.store import Store
from web.ratelimit import SlidingWindowLimiter
from web.search_page import search_routes

__all__ = ["chromium"]  # the module-scoped fixture, shared with the newsletter's screenshots
HEIGHT = 1200
QUESTION = "Opus 4.5"
RESULT = """(function () {
  var links = Array.prototype.map.call(document.querySelectorAll("ol.results a.title"), function (a) {
    return a.getAttribute("href");
  });
  var first = document.querySelector("ol.results a.title");
  var box = first ? first.getBoundingClientRect() : null;
  var input = document.querySelector("input[name=q]");
  return {
    url: location.pathname + location.search,
    links: links,
    marks: Array.prototype.map.call(document.querySelectorAll("mark"), function (m) {
      return m.textContent;
    }),
    value: input ? input.value : null,
    first: box ? {x: box.left + Math.min(box.width, 40) / 2, y: box.top + box.height / 2} : null,
    pwned: document.documentElement.hasAttribute("data-pwned")
  };
})()"""
LANDED = """(function () {
  var target = document.getElementById(location.hash.slice(1));
  return {
    path: location.pathname,
    hash: location.hash,
    found: !!target,
    tag: target ? target.tagName : null,
    top: target ? target.getBoundingClientRect().top : null,
    scrolled: window.scrollY
  };
})()"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The archive and its search over the sample reports, on a port the OS picks."""
    path = tmp_path_factory.mktemp("browser-site") / "aidaily.db"
    with Store.open(f"sqlite:///{path}") as store:
        import_samples(store)
        searcher = IndexCache(store, None).current
        routes = [*search_routes(searcher, SlidingWindowLimiter(1000, 60)), *archive_app(store).routes]
        with UvicornThread(Starlette(routes=routes)) as server:
            yield server.origin


class Browser:
    """One tab at one viewport width, with the few gestures a reader makes."""

    def __init__(self, tab: Tab, width: int) -> None:
        self.tab = tab
        self.width = width

    async def open(self, url: str) -> None:
        await self._until_loaded(self.tab.call("Page.navigate", url=url))

    async def type_and_enter(self, selector: str, text: str) -> None:
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        await self.tab.call("Input.insertText", text=text)
        enter = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
        pressed = self.tab.call("Input.dispatchKeyEvent", type="keyDown", text="\r", **enter)
        await self._until_loaded(pressed)
        await self.tab.call("Input.dispatchKeyEvent", type="keyUp", **enter)

    async def click(self, x: float, y: float) -> None:
        async def press() -> None:
            for kind in ("mousePressed", "mouseReleased"):
                await self.tab.call(
                    "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
                )

        await self._until_loaded(press())

    async def evaluate(self, expression: str) -> Any:
        answer = await self.tab.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return answer["result"].get("value")

    async def screenshot(self) -> bytes:
        shot = await self.tab.call("Page.captureScreenshot", format="png")
        return base64.b64decode(shot["data"])

    async def _until_loaded(self, action: Any) -> None:
        self.tab.events.clear()
        await action
        await self.tab.event("Page.loadEventFired")


def in_browser(websocket: str, width: int, steps: Any) -> Any:
    """Run ``steps(browser)`` in the module's Chromium at ``width`` (a phone below 600 px)."""

    async def session() -> Any:
        async with tab_at(websocket, width, HEIGHT) as tab:
            return await steps(Browser(tab, width))

    return asyncio.run(session())


def test_a_reader_searches_and_lands_on_the_item(chromium, site):
    async def steps(browser: Browser) -> dict[str, Any]:
        await browser.open(f"{site}/search")
        form = await browser.evaluate(RESULT)
        await browser.type_and_enter("input[name=q]", QUESTION)
        results = await browser.evaluate(RESULT)
        await browser.click(results["first"]["x"], results["first"]["y"])
        return {"form": form, "results": results, "landed": await browser.evaluate(LANDED)}

    seen = in_browser(chromium, 1024, steps)
    assert seen["form"]["value"] == "" and seen["form"]["links"] == []
    results = seen["results"]
    assert results["url"] == "/search?q=Opus+4.5" and results["value"] == QUESTION
    assert results["links"] and results["links"][0].startswith("/reports/2025-11-25/#item-")
    assert QUESTION in results["marks"]
    landed = seen["landed"]
    assert (
        landed["path"] == "/reports/2025-11-25/" and "#" + results["links"][0].split("#")[1] == landed["hash"]
    )
    assert landed["found"] and landed["tag"] == "H3"
    assert landed["scrolled"] > 0 and 0 < landed["top"] < 50  # scrolled to the item, a margin above it


def test_a_hostile_question_stays_text_in_the_page(chromium, site):
    question = f'"><b>x</b>{HOSTILE} Opus'

    async def steps(browser: Browser) -> dict[str, Any]:
        await browser.open(f"{site}/search?q={quote(question)}")
        return await browser.evaluate(RESULT)

    seen = in_browser(chromium, 1024, steps)
    assert not seen["pwned"]
    assert seen["value"] == question  # the form shows what was asked, as text


@pytest.mark.parametrize("width", [375, 1024])
def test_results_fit_the_screen_and_draw_something(chromium, site, tmp_path, width):
    async def steps(browser: Browser) -> tuple[dict[str, Any], bytes]:
        await browser.open(f"{site}/search?q={quote('輝達 Nvidia')}")
        return await browser.evaluate(MEASURE % width), await browser.screenshot()

    facts, png = in_browser(chromium, width, steps)
    assert facts["scrollWidth"] <= width and facts["overflowing"] == [], facts
    shot = tmp_path / f"search-{width}.png"
    shot.write_bytes(png)
    keep(shot)
    shot_width, shot_height, values = png_facts(png)
    assert (shot_width, shot_height) == (width, HEIGHT) and values > 32
