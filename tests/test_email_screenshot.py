"""The newsletter as a browser draws it: headless Chromium at desktop and phone widths.

For each report (the realistic 60-item one, and a hostile one with endless URLs and words, CJK
text and markup in every field) Chromium loads the rendered HTML from ``tmp_path`` with the
viewport of a desktop (1024 px) and of a phone (375 px, mobile emulation), then:

- a script measures ``scrollWidth`` against the viewport and lists every element whose right
  edge passes it: nothing may overflow;
- a screenshot is taken (PNG checked: signature, width, not one flat colour); with
  ``AIDAILY_KEEP_SCREENSHOTS`` set the PNGs are also copied to ``out/screenshots/`` for a person
  to look at.

Chromium's command line cannot do this: its ``--window-size`` is at least 500 px wide, so the
phone width needs the DevTools protocol (``Emulation.setDeviceMetricsOverride``), spoken here
over aiohttp's websocket client to one Chromium started per module on a port it picks.

Feed text that tries to run script (``<img onerror>``, ``<script>``) would set a ``data-pwned``
marker; the marker must stay unset, and a control page with the same payload left unescaped shows
that the check does see a script that runs.

Chromium is Debian's ``chromium`` (``scripts/install-test-packages.sh``). Without it these tests
skip, unless ``AIDAILY_REQUIRE_CHROMIUM`` is set (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import shutil
import struct
import subprocess
import time
import urllib.request
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fakes.reports import synthetic_report

from core.models import Importance, Item, ReadingLink, Report, Section, SourceLink
from delivery.email_render import EmailRenderer

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = {"desktop": 1024, "phone": 375}
HEIGHT = 1400
PWN = "document.documentElement.setAttribute('data-pwned','1')"
HOSTILE = f'<img src=x onerror="{PWN}"><script>{PWN}</script>'
LONG_URL = (
    "https://news.example.org/"
    + "a-very-long-path-segment-" * 12
    + "?"
    + "&".join(f"param{n}=value{n}" * 3 for n in range(12))
)
LONG_WORD = "Supercalifragilistic" * 12
CJK = "人工智慧模型在今日發布了新的推理能力，產業界普遍認為這將改變企業部署大型語言模型的方式。" * 4

# ``width`` is the device's: on a phone a too-wide page makes ``innerWidth`` grow (zoomed out).
# A box can fit while its text does not (a long word in a block): ``scrollWidth`` shows that.
MEASURE = """(function (width) {
  var found = [];
  document.querySelectorAll("body *").forEach(function (el) {
    var box = el.getBoundingClientRect();
    var spills = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;  // text wider than its box
    if ((box.width > 0 && box.right > width + 0.5) || spills) {
      found.push(el.tagName + " " + Math.round(box.right) + " " + (el.textContent || "").slice(0, 50));
    }
  });
  var style = function (selector, prop) {
    var el = document.querySelector(selector);
    return el ? getComputedStyle(el)[prop] : null;
  };
  return {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    overflowing: found.slice(0, 10),
    dark: window.matchMedia("(prefers-color-scheme: dark)").matches,
    sectionBackground: style(".ad-sec", "backgroundColor"),
    headingColor: style("h1", "color"),
    pwned: document.documentElement.hasAttribute("data-pwned")
  };
})(%d)"""


# --- Chromium over the DevTools protocol ----------------------------------------------------------


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A headless Chromium for the module; yields its page's DevTools websocket URL."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        reason = "chromium is not installed (scripts/install-test-packages.sh installs it)"
        if os.environ.get("AIDAILY_REQUIRE_CHROMIUM"):
            pytest.fail(f"AIDAILY_REQUIRE_CHROMIUM is set but {reason}")
        pytest.skip(reason)
    profile = tmp_path_factory.mktemp("chromium-profile")
    command = [
        binary,
        "--headless",
        "--no-sandbox",  # tests may run as root in a container, where the sandbox cannot start
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",  # its own profile: parallel runs share no lock
        "--remote-debugging-port=0",  # the port it picks is written to DevToolsActivePort
        "about:blank",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield _page_websocket(profile / "DevToolsActivePort", process)
    finally:
        process.terminate()
        process.wait(10)


def _page_websocket(port_file: Path, process: subprocess.Popen, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
        assert process.poll() is None, f"chromium exited with {process.returncode}"
        assert time.monotonic() < deadline, "chromium did not open its DevTools port"
        time.sleep(0.05)
    port = port_file.read_text().split()[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
        targets = json.load(answer)
    return next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")


class Tab:
    """Commands to one page over its DevTools websocket; events are kept until waited for."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.next_id = 0
        self.events: list[str] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.socket.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = await self.socket.receive_json(timeout=60)
            if message.get("id") == self.next_id:
                assert "error" not in message, message["error"]
                return message["result"]
            if "method" in message:
                self.events.append(message["method"])

    async def event(self, name: str) -> None:
        while name not in self.events:
            message = await self.socket.receive_json(timeout=60)
            if "method" in message:
                self.events.append(message["method"])


@asynccontextmanager
async def tab_at(websocket: str, width: int, height: int = HEIGHT) -> AsyncIterator[Tab]:
    """The page at ``websocket`` with a viewport ``width`` wide (a phone below 600 px)."""
    async with aiohttp.ClientSession() as client, client.ws_connect(websocket, max_msg_size=0) as socket:
        tab = Tab(socket)
        await tab.call("Page.enable")
        await tab.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        yield tab


@dataclasses.dataclass(frozen=True)
class Look:
    facts: dict[str, Any]  # what MEASURE found
    png: bytes


def look(websocket: str, page: Path, width: int, *, dark: bool = False) -> Look:
    """Load ``page`` at ``width`` (a phone below 600 px), measure it, and screenshot it."""

    async def session() -> Look:
        async with tab_at(websocket, width) as tab:
            scheme = {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}
            await tab.call("Emulation.setEmulatedMedia", features=[scheme])
            tab.events.clear()
            await tab.call("Page.navigate", url=page.as_uri())
            await tab.event("Page.loadEventFired")  # after every image loaded or failed (onerror ran)
            evaluated = await tab.call("Runtime.evaluate", expression=MEASURE % width, returnByValue=True)
            shot = await tab.call("Page.captureScreenshot", format="png")
            return Look(evaluated["result"]["value"], base64.b64decode(shot["data"]))

    return asyncio.run(session())


# --- the reports ---------------------------------------------------------------------------------


def hostile_report() -> Report:
    """Endless URLs and words, CJK, and markup in every field, first in the report."""
    base = synthetic_report({"top_headlines": 2, "research": 2, "tools": 1}, nasty=True)
    items = (
        Item(
            section="top_headlines",
            title=f"{CJK[:40]} {LONG_WORD} {HOSTILE}",
            summary=f"{CJK} {LONG_URL} {LONG_WORD} {HOSTILE}",
            importance=Importance.CRITICAL,
            importance_reason=f"{LONG_WORD}{CJK[:30]}",
            sources=(SourceLink(LONG_URL, LONG_URL), SourceLink(HOSTILE, f"{LONG_URL}&q=<script>")),
        ),
        *base.section("top_headlines").items,
    )
    sections = tuple(
        Section(s.key, s.heading, items) if s.key == "top_headlines" else s for s in base.sections
    )
    reading = dataclasses.replace(
        base.reading, articles=(ReadingLink(LONG_WORD, LONG_URL, CJK), *base.reading.articles)
    )
    return dataclasses.replace(base, title=f"{CJK[:30]} {HOSTILE}", sections=sections, reading=reading)


REPORTS = {"realistic": synthetic_report, "hostile": hostile_report}


def newsletter(report: Report) -> str:
    compiled = EmailRenderer(
        archive_url=lambda r: f"https://daily.example.org/reports/{r.date}/"
    ).for_subscription(report, (), None)
    page, _text = compiled.personalize(
        {
            "unsubscribe_url": "https://daily.example.org/unsubscribe?token=" + "t0ken" * 20,
            "preferences_url": "https://daily.example.org/preferences?token=" + "t0ken" * 20,
            "address": "someone.with.a.rather.long.address@example.org",
        }
    )
    return page


# --- PNG checks without Pillow -------------------------------------------------------------------


def png_facts(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct pixel byte values) of a PNG, read with struct and zlib."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert data[12:16] == b"IHDR" and depth == 8 and colour in (2, 6), (depth, colour)
    idat, offset = bytearray(), 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        if data[offset + 4 : offset + 8] == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += length + 12
    raw = zlib.decompress(bytes(idat))
    stride = 1 + width * (3 if colour == 2 else 4)
    assert len(raw) == stride * height
    # Skip each row's filter-type byte: a blank image, whatever the filter, has almost no values.
    pixels = b"".join(raw[row * stride + 1 : (row + 1) * stride] for row in range(height))
    return width, height, len(set(pixels))


def keep(png: Path) -> None:
    if os.environ.get("AIDAILY_KEEP_SCREENSHOTS"):
        target = ROOT / "out" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(png, target / png.name)


# --- tests ---------------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, page_html: str) -> Path:
    page = tmp_path / f"{name}.html"
    page.write_text(page_html, encoding="utf-8")
    return page


def saved(seen: Look, path: Path) -> bytes:
    path.write_bytes(seen.png)
    keep(path)
    return seen.png


@pytest.mark.parametrize("device", list(WIDTHS))
@pytest.mark.parametrize("name", list(REPORTS))
def test_the_newsletter_fits_the_screen_and_draws_something(chromium, tmp_path, name, device):
    width = WIDTHS[device]
    page_html = newsletter(REPORTS[name]())
    assert len(page_html.encode("utf-8")) < 100_000
    seen = look(chromium, write(tmp_path, name, page_html), width)

    assert seen.facts["innerWidth"] == width
    assert seen.facts["scrollWidth"] <= width, seen.facts
    assert seen.facts["overflowing"] == [], seen.facts
    assert not seen.facts["pwned"]
    png = saved(seen, tmp_path / f"email-{name}-{device}.png")
    shot_width, shot_height, values = png_facts(png)
    assert (shot_width, shot_height) == (width, HEIGHT)
    assert len(png) > 10_000 and values > 32  # text on a background, not a flat page


def test_in_dark_mode_the_background_and_text_flip(chromium, tmp_path):
    page = write(tmp_path, "short", newsletter(synthetic_report({"top_headlines": 2, "research": 2})))
    light = look(chromium, page, 375)
    dark = look(chromium, page, 375, dark=True)
    assert not light.facts["dark"] and dark.facts["dark"]
    assert light.facts["sectionBackground"] == "rgb(255, 255, 255)"
    assert light.facts["headingColor"] == "rgb(31, 35, 40)"
    assert dark.facts["sectionBackground"] == "rgb(22, 24, 29)"
    assert dark.facts["headingColor"] == "rgb(230, 232, 235)"
    assert png_facts(saved(dark, tmp_path / "email-realistic-phone-dark.png"))[2] > 32


def test_the_checks_see_a_script_that_ran_and_a_box_that_overflows(chromium, tmp_path):
    """The controls: the payload left unescaped sets the marker, and a wide box is reported."""
    page_html = newsletter(synthetic_report({"top_headlines": 1}))
    wide = f'<p style="white-space:nowrap">{LONG_WORD}</p>'
    unsafe = page_html.replace("</body>", HOSTILE + wide + "</body>", 1)
    facts = look(chromium, write(tmp_path, "control", unsafe), 375).facts
    assert facts["pwned"]
    assert facts["scrollWidth"] > 375 and facts["overflowing"]
