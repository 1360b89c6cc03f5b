"""`aidaily serve` as composed from settings: the site and the bots run beside the schedule.

In process, with the real components (uvicorn serving the site on a free port, the Telegram bot
long-polling the fake Bot API) and the schedule, until the service is told to stop.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fakes.telegram_server import TelegramServer
from serving import free_port

from app.service.components import service_components
from app.service.serve import serve
from core.config import ConfigError, load_settings
from core.report.importing.files import import_files
from core.store import Store

pytestmark = [
    pytest.mark.usefixtures("clean_settings_env"),
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]
SAMPLES = sorted((Path(__file__).resolve().parent / "data" / "sample-reports").glob("*.md"))
CHAT = 5550002


def _settings(tmp_path: Path, telegram: TelegramServer, **values):
    an_hour_ago = (datetime.now(load_settings().zone) - timedelta(hours=1)).time().replace(microsecond=0)
    return load_settings(
        database_url=f"sqlite:///{tmp_path / 'aidaily.db'}",
        out_dir=tmp_path / "out",
        cache_dir=tmp_path / "cache",
        build_time=an_hour_ago,  # with a one-second grace: no run is due while the test lasts
        misfire_grace=1,
        leader_retry=0.05,
        web_port=free_port(),
        telegram_bot_token=telegram.token,
        telegram_api_url=telegram.base_url,
        slack_bot_token="xoxb-delivery-only",  # no app token: the Slack bot stays off
        secret_key="serve-site-test-key",  # the service refuses to sign links without one
        **values,
    )


def test_the_service_serves_the_site_and_answers_in_telegram(tmp_path):
    with TelegramServer(time_scale=0.01) as telegram:
        telegram.add_chat(CHAT, kind="private")
        settings = _settings(tmp_path, telegram)
        with Store.open(settings.database_url) as store:
            import_files(store, SAMPLES)
            components = service_components(settings, store)

            async def scenario() -> tuple[int, str, str]:
                stop = asyncio.Event()
                service = asyncio.create_task(serve(settings, components, stop=stop))
                base = f"http://127.0.0.1:{settings.web_port}"
                health = await _poll(f"{base}/healthz")
                page = await _poll(f"{base}/reports/2025-12-12/")
                asked = telegram.user_says(CHAT, "more on GPT-5.2")
                answers = await asyncio.to_thread(telegram.answers, CHAT, asked, timeout=30)
                stop.set()
                await asyncio.wait_for(service, 30)
                return health.status_code, page.text, answers[0].text

            status, page, answer = asyncio.run(scenario())
    assert status == 200
    assert "GPT-5.2" in page
    assert "GPT-5.2" in answer and "2025-12-12" in answer
    assert telegram.commands  # the menu was registered by the service's bot


def test_a_telegram_webhook_without_its_secret_stops_the_start(tmp_path):
    with TelegramServer() as telegram:
        settings = _settings(tmp_path, telegram, telegram_mode="webhook", public_url="https://d.example.org")
        with Store.open(settings.database_url) as store, pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
            service_components(settings, store)


async def _poll(url: str, timeout: float = 30) -> httpx.Response:
    """GET ``url`` once the site answers (uvicorn starts with the service)."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            try:
                return await client.get(url)
            except httpx.TransportError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.1)
