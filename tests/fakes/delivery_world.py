"""Every delivery platform at once, on loopback: fake Slack, fake Telegram and aiosmtpd.

For the queue and worker tests and ``bench/serve.py``::

    with DeliveryWorld(scale=0.01) as world:     # platform limits 100 times faster
        subscribe(store, world, email=200, telegram=50, slack=50)
        env = world.env()                        # AIDAILY_* settings pointing at the fakes
        ...
        arrived(world)                           # Counter of (target, message) that arrived

``scale`` is real seconds per platform second (Slack's 1 message per second per channel, and
Telegram's 1 per second per chat and 20 per minute per group); 1 is real time.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Self

from core.config import Settings, load_settings
from core.models import Channel, Subscription
from core.store import Store
from fakes.slack_server import SlackServer
from fakes.smtp_server import SmtpServer
from fakes.telegram_server import TelegramServer

SLACK_TOKEN = "xoxb-world-test"
TELEGRAM_TOKEN = "123456:world-test-token"
SECRET_KEY = "world-test-secret-key"
PUBLIC_URL = "https://daily.example.org"


class DeliveryWorld:
    """See the module docstring."""

    def __init__(self, *, scale: float = 1.0) -> None:
        self.scale = scale
        self.slack = SlackServer(SLACK_TOKEN, interval=scale, tolerance=min(0.05, 0.25 * scale))
        self.telegram = TelegramServer(token=TELEGRAM_TOKEN, time_scale=scale)
        self.smtp = SmtpServer()

    def __enter__(self) -> Self:
        for server in (self.slack, self.telegram, self.smtp):
            server.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for server in (self.smtp, self.telegram, self.slack):
            server.__exit__(kind, exc, tb)

    def env(self) -> dict[str, str]:
        """The settings that send every channel to these fakes."""
        return {
            "AIDAILY_SLACK_BOT_TOKEN": SLACK_TOKEN,
            "AIDAILY_SLACK_API_URL": self.slack.api_url,
            "AIDAILY_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "AIDAILY_TELEGRAM_API_URL": self.telegram.base_url,
            "AIDAILY_SMTP_HOST": "127.0.0.1",
            "AIDAILY_SMTP_PORT": str(self.smtp.port),
            "AIDAILY_SMTP_TLS": "none",
            "AIDAILY_SECRET_KEY": SECRET_KEY,
            "AIDAILY_PUBLIC_URL": PUBLIC_URL,
        }

    def settings(self, database_url: str, out_dir: Path, **extra: object) -> Settings:
        """Settings that deliver from ``database_url`` to these fakes (``extra`` on top)."""
        env = {k.removeprefix("AIDAILY_").lower(): v for k, v in self.env().items()}
        return load_settings(database_url=database_url, out_dir=out_dir, **env | extra)

    def messages(self) -> int:
        return len(self.slack.messages) + len(self.telegram.messages) + len(self.smtp.messages)


def subscribe(
    store: Store, world: DeliveryWorld, *, email: int, telegram: int, slack: int
) -> list[Subscription]:
    """Confirmed subscriptions on each channel, with their chats known to the fakes."""
    added = [
        store.add_subscription(Subscription(Channel.EMAIL, f"reader{n}@example.org"))[0] for n in range(email)
    ]
    for n in range(telegram):
        chat = -1001000000000 - n
        world.telegram.add_chat(chat)
        added.append(store.add_subscription(Subscription(Channel.TELEGRAM, str(chat)))[0])
    for n in range(slack):
        channel = f"C{n:08d}"
        world.slack.add_channel(channel)
        added.append(store.add_subscription(Subscription(Channel.SLACK, channel))[0])
    return added


def arrived(world: DeliveryWorld) -> Counter[tuple[str, str]]:
    """How often each (subscription target, message) arrived: the text Slack shows, the HTML
    Telegram was sent, or the email's recipient (one newsletter each)."""
    counts: Counter[tuple[str, str]] = Counter()
    for m in world.slack.messages:
        counts[(f"slack:{m.channel}", m.text)] += 1
    for t in world.telegram.messages:
        counts[(f"telegram:{t.chat_id}", t.html)] += 1
    for e in world.smtp.messages:
        for recipient in e.rcpt_tos:
            counts[(f"email:{recipient}", "email")] += 1
    return counts
