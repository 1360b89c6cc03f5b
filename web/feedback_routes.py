"""The page the 👍 / 👎 link under each newsletter item opens: ``/feedback?token=...&item=KEY``.

The link is ``core.links.Links.feedback`` plus the item's topic key; its vote token names the
reader (their email subscription) and the newsletter's day, and is the only authority, as for
the other links in mail. ``GET`` only shows the story's title and two buttons: link scanners and
mail previews open GET links, and must not vote. ``POST`` (a button, field ``vote=up|down``)
records the vote (``Store.record_vote``): a first vote, or a change; the same vote again keeps
it (a mail link may be followed twice, so it never toggles), and the page says what was saved
and offers the other button.

Refused with a page that says why: a token that was altered or made with another key (400), one
whose newsletter is more than ``max_days`` old (400), an item key that cannot be one (400), a
reader whose subscription is gone (400), an item that day's stored report does not have (404),
and a vote that is neither ``up`` nor ``down`` (400).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from core.links import BadToken, ExpiredToken, VoteClaims, verify_vote_token
from core.models import Channel, ItemRef, Vote, VoteOutcome, VoteReceipt, VoteValue
from core.platforms.votes import ITEM_KEY
from core.store import Store
from web.pages import Pages

#: Our vote tokens are about sixty characters; a much longer one is not worth verifying.
MAX_TOKEN = 200
_SAVED = {
    VoteOutcome.RECORDED: "Thanks: your vote is saved.",
    VoteOutcome.CHANGED: "Thanks: your vote is changed.",
    VoteOutcome.UNCHANGED: "Your vote was saved already.",
}


@dataclass(frozen=True, slots=True)
class _Ballot:
    """What a vote link names, once checked."""

    reader: int  # the email subscription's id
    item: ItemRef


@dataclass(frozen=True, slots=True)
class FeedbackEndpoints:
    store: Store
    pages: Pages
    secret: str
    max_days: int
    today: Callable[[], date] = lambda: datetime.now(UTC).date()

    async def show(self, request: Request) -> Response:
        ballot, problem = await self._ballot(request)
        if ballot is None:
            return self._bad(problem)
        title = await run_in_threadpool(self._title, ballot.item)
        if title is None:
            return self._gone()
        return self._page(request, ballot, title)

    async def vote(self, request: Request) -> Response:
        ballot, problem = await self._ballot(request)
        if ballot is None:
            return self._bad(problem)
        form = await request.form(max_files=0, max_fields=4)
        try:
            value = VoteValue(str(form.get("vote", "")))
        except ValueError:
            return self._bad("Please choose 👍 or 👎.")
        vote = Vote(ballot.item, Channel.EMAIL, str(ballot.reader), value, toggle=False)
        receipt = await run_in_threadpool(self.store.record_vote, vote, datetime.now(UTC))
        if receipt.outcome is VoteOutcome.UNKNOWN_ITEM:
            return self._gone()
        return self._page(request, ballot, receipt.title, receipt)

    async def _ballot(self, request: Request) -> tuple[_Ballot | None, str]:
        """The checked reader and item of the link, or None and what is wrong with it."""
        token, key = request.query_params.get("token", ""), request.query_params.get("item", "")
        if not token or len(token) > MAX_TOKEN or not ITEM_KEY.fullmatch(key):
            return None, "This vote link is not valid."
        claims = self._claims(token)
        if isinstance(claims, str):
            return None, claims
        subscription = await run_in_threadpool(self.store.get_subscription, claims.subscription_id)
        if subscription is None or subscription.channel is not Channel.EMAIL:
            return None, "This vote link belongs to a subscription that no longer exists."
        return _Ballot(claims.subscription_id, ItemRef(claims.day, key)), ""

    def _claims(self, token: str) -> VoteClaims | str:
        try:
            return verify_vote_token(self.secret, token, today=self.today(), max_days=self.max_days)
        except ExpiredToken:
            return (
                f"This vote link has expired: votes are taken for {self.max_days} days after each newsletter."
            )
        except BadToken:
            return "This vote link is not valid."

    def _title(self, ref: ItemRef) -> str | None:
        return next((v.title for v in self.store.item_votes(ref.date) if v.item == ref and v.title), None)

    def _page(
        self, request: Request, ballot: _Ballot, title: str, receipt: VoteReceipt | None = None
    ) -> Response:
        return self.pages.render(
            "feedback.html",
            title=title,
            day=ballot.item.date.isoformat(),
            action=f"{request.url.path}?{request.url.query}",
            saved=_SAVED.get(receipt.outcome) if receipt else None,
            chosen=receipt.value.value if receipt and receipt.value else None,
        )

    def _bad(self, message: str) -> Response:
        return self.pages.render("bad_link.html", 400, message=message, hours=None)

    def _gone(self) -> Response:
        return self.pages.render(
            "bad_link.html", 404, message="This story is no longer in that day's report.", hours=None
        )
