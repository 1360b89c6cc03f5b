"""What the chat bots say: commands and questions, the same in Slack and Telegram.

The Slack and Telegram bots (``bot.slack_bot``, ``bot.telegram_bot``) only receive messages,
turn them into a ``Chat`` and a command or a question, and format the ``Reply`` for their
platform. Everything a user can ask for is decided here, once:

- ``today``: the latest report's title, date, counts and headlines by section (only the
  chat's sections when it has chosen some), with a link to the web archive;
- ``more <topic>`` and free text: a grounded answer from the stored items (``bot.answer.ask``);
- ``subscribe [sections]`` / ``unsubscribe`` / ``sections [list|all]``: the chat's own
  subscription, stored as ``aidaily subscriptions add slack:C…`` would store it (confirmed), with
  the user who subscribed it. Changing it (``sections`` with a choice too) is for whoever the
  platform says runs the chat (``Chat.admin``: a Telegram group's administrators, a Slack
  workspace's admins and owners, the one user of a private chat) and, in Slack, for the user who
  subscribed the channel; anyone else is told politely who can (``changes_subscription`` tells
  the bots when to ask the platform);
- ``help`` / ``start``; any other command gets the help text, never an error.

A question asked in a digest's thread (Slack) or as a reply to a digest message (Telegram)
carries a ``DigestContext`` found through the delivery ledger: the items of that section are
preferred, the items the replied-to message lists more so, and a bare "more?" shows them.

The class is synchronous (the store and the index are): bots call it with
``asyncio.to_thread``. Replies are plain text; the platform code escapes and formats them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from bot.answer import Answer, Answerer, ask, language_of
from bot.search import SearchIndex
from core.models import ITEM_SECTIONS, SECTION_BY_KEY, Channel, Report, Subscription, SubscriptionStatus
from core.store import Store
from core.store.report_items import ReportedItem
from core.subscriptions import parse_sections
from core.text import fold

#: The commands, in menu order, with their one-line English description (Telegram's menu).
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "What this bot does"),
    ("help", "The commands"),
    ("today", "Today's report: sections and headlines"),
    ("more", "More on a topic, e.g. /more GPT-5.2"),
    ("subscribe", "Deliver the daily digest here (optionally only some sections)"),
    ("unsubscribe", "Stop the daily digest here"),
    ("sections", "Show or choose the sections delivered here"),
)
COMMANDS_ZH: dict[str, str] = {
    "start": "這個機器人能做什麼",
    "help": "指令說明",
    "today": "今日報告：段落與標題",
    "more": "某個主題的更多內容，例如 /more GPT-5.2",
    "subscribe": "在這裡接收每日摘要（可只選部分段落）",
    "unsubscribe": "停止在這裡接收每日摘要",
    "sections": "查看或選擇這裡接收的段落",
}

#: How much a digest's own items are preferred when a question is asked in its context.
SECTION_BOOST = 1.5
QUOTED_BOOST = 3.0


@dataclass(frozen=True, slots=True)
class Chat:
    """Where a message came from, as a subscription would name it."""

    channel: Channel
    address: str  # Slack channel id, or Telegram chat id
    thread: str | None = None  # Telegram forum topic id
    language: str | None = None  # "zh" or "en": the user's interface language, when known
    user: str | None = None  # who wrote the message: Slack or Telegram user id
    admin: bool = False  # the platform says they run this chat (see the module docstring)
    workspace: str | None = None  # Slack: the team the chat belongs to (its installation posts there)


@dataclass(frozen=True, slots=True)
class DigestContext:
    """The delivered digest message a question refers to."""

    day: date
    section: str | None  # None for the day's header message
    quoted_text: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """Plain text for the chat, and the answer it carries when it answers a question."""

    text: str
    answer: Answer | None = None
    refused: bool = False  # a change the user may not make: say so to them alone


def changes_subscription(name: str, argument: str = "") -> bool:
    """Whether command ``name`` would change what the chat receives: the bots then ask the
    platform whether the user runs the chat (an API call saved on every other message)."""
    name = name.lower()
    return name in ("subscribe", "unsubscribe") or (name == "sections" and bool(argument.strip()))


def split_command(text: str) -> tuple[str, str]:
    """``"/more GPT-5.2"`` -> ``("more", "GPT-5.2")``; nothing at all asks for help."""
    name, _, argument = text.strip().partition(" ")
    name = name.lstrip("/").lower()
    return (name or "help"), argument.strip()


class Conversation:
    """Commands and questions of one bot, over one store."""

    def __init__(
        self,
        store: Store,
        index: Callable[[], SearchIndex],
        answerer: Answerer,
        *,
        public_url: str | None = None,
    ) -> None:
        self.store = store
        self.index = index
        self.answerer = answerer
        self.public_url = public_url.rstrip("/") if public_url else None
        self._commands: dict[str, Callable[[Chat, str, str], Reply]] = {
            "start": self._help,
            "help": self._help,
            "today": self._today,
            "more": self._more,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "sections": self._sections,
        }

    # --- entry points -----------------------------------------------------------------------------

    def command(self, chat: Chat, name: str, argument: str = "") -> Reply:
        language = _language(chat, argument)
        handler = self._commands.get(name.lower())
        if handler is None:
            unknown = _TEXT[language]["unknown"].format(name=_shown(name))
            return Reply(f"{unknown}\n\n{self._help(chat, '', language).text}")
        return handler(chat, argument, language)

    def question(self, chat: Chat, text: str, context: DigestContext | None = None) -> Reply:
        if context is None:
            answer = ask(self.index(), self.answerer, text)
            return Reply(answer.text, answer)
        quoted = _QuotedTitles(context.quoted_text)
        answer = ask(
            self.index(),
            self.answerer,
            text,
            prefer=_preference(context, quoted),
            fallback_items=self._quoted_items(context, quoted),
        )
        return Reply(answer.text, answer)

    def digest_context(self, chat: Chat, platform_id: str, quoted_text: str = "") -> DigestContext | None:
        record = self.store.find_sent(chat.channel, chat.address, platform_id)
        if record is None:
            return None
        return DigestContext(record.report_date, record.section, quoted_text)

    # --- commands ---------------------------------------------------------------------------------

    def _help(self, chat: Chat, argument: str, language: str) -> Reply:
        words = _TEXT[language]
        described = COMMANDS_ZH if language == "zh" else dict(COMMANDS)
        lines = [words["intro"], "", *(f"/{name} — {described[name]}" for name, _ in COMMANDS)]
        return Reply("\n".join([*lines, "", words["ask"]]))

    def _today(self, chat: Chat, argument: str, language: str) -> Reply:
        dates = self.store.report_dates()
        report = self.store.get_report(dates[0]) if dates else None
        if report is None:
            return Reply(_TEXT[language]["no_report"])
        subscription = self._subscription(chat)
        wanted = subscription.wants if subscription is not None else (lambda key: True)
        return Reply(self._headlines(report, wanted, language))

    def _headlines(self, report: Report, wanted: Callable[[str], bool], language: str) -> str:
        words = _TEXT[language]
        sections = [s for s in report.sections if s.items and wanted(s.key)]
        count = sum(len(s.items) for s in sections)
        lines = [f"{report.title} ({report.date.isoformat()})", words["count"].format(items=count)]
        for section in sections:
            lines += ["", _heading(section.key, language)]
            lines += [f"• {item.title}" for item in section.items]
        if self.public_url:
            lines += ["", words["full"].format(url=f"{self.public_url}/reports/{report.date.isoformat()}/")]
        lines += ["", words["ask"]]
        return "\n".join(lines)

    def _more(self, chat: Chat, argument: str, language: str) -> Reply:
        if not argument.strip():
            return Reply(_TEXT[language]["more_usage"])
        return self.question(chat, argument)

    def _subscribe(self, chat: Chat, argument: str, language: str) -> Reply:
        existing = self._subscription(chat)
        if not _may_change(chat, existing):
            return _refusal(chat, language)
        try:
            sections = parse_sections(_section_list(argument))
        except ValueError as exc:
            return Reply(str(exc))
        wanted = Subscription(
            chat.channel,
            chat.address,
            chat.thread,
            sections,
            status=SubscriptionStatus.CONFIRMED,
            subscribed_by=_subscriber(chat, existing),
            workspace=chat.workspace,
        )
        self.store.add_subscription(wanted)
        return Reply(_TEXT[language]["subscribed"].format(sections=_section_names(sections, language)))

    def _unsubscribe(self, chat: Chat, argument: str, language: str) -> Reply:
        subscription = self._subscription(chat)
        if subscription is None or subscription.status != SubscriptionStatus.CONFIRMED:
            return Reply(_TEXT[language]["not_subscribed"])
        if not _may_change(chat, subscription):
            return _refusal(chat, language)
        assert subscription.id is not None
        self.store.set_subscription_status(subscription.id, SubscriptionStatus.UNSUBSCRIBED)
        return Reply(_TEXT[language]["unsubscribed"])

    def _sections(self, chat: Chat, argument: str, language: str) -> Reply:
        words = _TEXT[language]
        subscription = self._subscription(chat)
        if subscription is None or subscription.status != SubscriptionStatus.CONFIRMED:
            return Reply(words["not_subscribed"])
        if not argument.strip():
            known = ", ".join(spec.key for spec in ITEM_SECTIONS)
            current = _section_names(subscription.sections, language)
            return Reply(words["sections"].format(sections=current, known=known))
        if not _may_change(chat, subscription):
            return _refusal(chat, language)
        try:
            sections = parse_sections(_section_list(argument))
        except ValueError as exc:
            return Reply(str(exc))
        self.store.add_subscription(replace(subscription, sections=sections))
        return Reply(words["sections_set"].format(sections=_section_names(sections, language)))

    def _subscription(self, chat: Chat) -> Subscription | None:
        return self.store.find_subscription(chat.channel, chat.address, chat.thread)

    # --- follow-ups on a digest message -----------------------------------------------------------

    def _quoted_items(self, context: DigestContext, quoted: _QuotedTitles) -> list[ReportedItem]:
        """The items the replied-to message lists, else every item of its section: what a bare
        "more?" about that message is answered with."""
        of_day = self.store.reported_items(context.day)
        in_section = [f for f in of_day if context.section is None or f.item.section == context.section]
        return [f for f in in_section if fold(f.item.title) in quoted] or in_section


# In Slack any member may add the bot to a channel and a workspace has few admins, so whoever
# subscribed a channel keeps it in hand; a Telegram group has administrators of its own for that.
_SUBSCRIBER_MAY_CHANGE = frozenset({Channel.SLACK})


def _may_change(chat: Chat, subscription: Subscription | None) -> bool:
    if chat.admin:
        return True
    if chat.channel not in _SUBSCRIBER_MAY_CHANGE or subscription is None or chat.user is None:
        return False
    return subscription.subscribed_by == chat.user


def _subscriber(chat: Chat, existing: Subscription | None) -> str | None:
    """Who subscribed the chat: whoever did it first keeps it while it stays subscribed (an
    admin choosing other sections does not take it over)."""
    if existing is not None and existing.status == SubscriptionStatus.CONFIRMED and existing.subscribed_by:
        return existing.subscribed_by
    return chat.user


def _refusal(chat: Chat, language: str) -> Reply:
    key = "not_allowed_slack" if chat.channel == Channel.SLACK else "not_allowed"
    return Reply(_TEXT[language][key], refused=True)


class _QuotedTitles:
    """Whether an item's (folded) title occurs in the folded text of a quoted message."""

    def __init__(self, quoted_text: str) -> None:
        self._text = fold(quoted_text) if quoted_text.strip() else ""

    def __contains__(self, folded_title: object) -> bool:
        return bool(self._text) and isinstance(folded_title, str) and folded_title in self._text


def _preference(context: DigestContext, quoted: _QuotedTitles) -> Callable[[ReportedItem], float]:
    def boost(found: ReportedItem) -> float:
        if found.date != context.day:
            return 1.0
        if fold(found.item.title) in quoted:
            return QUOTED_BOOST
        if context.section is None or found.item.section == context.section:
            return SECTION_BOOST
        return 1.0

    return boost


def _language(chat: Chat, text: str) -> str:
    if text.strip():
        return language_of(text)
    return "zh" if chat.language == "zh" else "en"


def _shown(name: str) -> str:
    """A command name as typed, cut short: it is echoed back to the user."""
    return "/" + name[:32]


def _section_list(argument: str) -> str:
    """``"research tools"``, ``"research, tools"`` or ``"all"`` -> what ``parse_sections`` reads."""
    words = [word for word in re.split(r"[\s,，、]+", argument.strip()) if word]
    return "" if [w.lower() for w in words] == ["all"] else ",".join(w.lower() for w in words)


def _heading(key: str, language: str) -> str:
    spec = SECTION_BY_KEY.get(key)
    if spec is None:
        return key
    return spec.heading if language == "zh" else spec.heading_en


def _section_names(sections: tuple[str, ...], language: str) -> str:
    if not sections:
        return _TEXT[language]["all_sections"]
    return ", ".join(_heading(key, language) for key in sections)


_TEXT = {
    "en": {
        "intro": "I am AI Daily: every morning's AI news report, and answers from it.",
        "ask": "Ask me anything the reports covered, e.g. “more on GPT-5.2”.",
        "unknown": "Unknown command {name}.",
        "no_report": "No report has been published yet.",
        "count": "{items} items",
        "full": "Full report: {url}",
        "more_usage": "Tell me the topic: /more GPT-5.2",
        "subscribed": "Subscribed: the daily digest will be delivered here ({sections}).",
        "unsubscribed": "Unsubscribed: no more daily digests here. /subscribe to start again.",
        "not_subscribed": "This chat is not subscribed. /subscribe to get the daily digest here.",
        "sections": (
            "Delivered here: {sections}.\nChoose with /sections research tools (or /sections all): {known}"
        ),
        "sections_set": "From now on delivered here: {sections}.",
        "all_sections": "every section",
        "not_allowed": "Sorry, only an administrator of this chat can change what it receives.",
        "not_allowed_slack": (
            "Sorry, only a workspace admin or the person who subscribed this channel can change what "
            "it receives."
        ),
    },
    "zh": {
        "intro": "我是 AI Daily：每天早上的 AI 新聞報告，並根據報告回答問題。",
        "ask": "可以問我報告裡的任何內容，例如「跟 GPT-5.2 相關的更多」。",
        "unknown": "不認識的指令 {name}。",
        "no_report": "還沒有發布任何報告。",
        "count": "共 {items} 則",
        "full": "完整報告：{url}",
        "more_usage": "請告訴我主題：/more GPT-5.2",
        "subscribed": "已訂閱：每日摘要會送到這裡（{sections}）。",
        "unsubscribed": "已取消訂閱：這裡不再收到每日摘要。輸入 /subscribe 可重新訂閱。",
        "not_subscribed": "這個對話尚未訂閱。輸入 /subscribe 在這裡接收每日摘要。",
        "sections": "這裡接收：{sections}。\n用 /sections research tools（或 /sections all）選擇：{known}",
        "sections_set": "之後這裡接收：{sections}。",
        "all_sections": "全部段落",
        "not_allowed": "抱歉，只有這個對話的管理員可以變更這裡接收的內容。",
        "not_allowed_slack": "抱歉，只有工作區管理員或訂閱這個頻道的人可以變更這裡接收的內容。",
    },
}
