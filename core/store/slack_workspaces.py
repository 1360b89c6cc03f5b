"""The Slack workspaces the app is installed in (OAuth), and which of them revoked it.

Installations live in slack_sdk's tables (``slack_bots``, ``slack_installations``: migration
0004), written by bolt's OAuth flow through slack_sdk's ``SQLAlchemyInstallationStore`` and read
here through the same class, so the two never disagree on what "the latest installation" is.
Our own table ``slack_revocations`` (migration 0012) keeps, per app and workspace, the moment
and the reason its installation stopped working. A workspace is revoked while no installation
was saved after that moment: installing the app again makes it active, with nothing to clear.

Tokens are stored as slack_sdk stores them, in ``slack_bots.bot_token``: in plain text, or
encrypted with ``AIDAILY_SLACK_TOKEN_KEY`` (``core.store.slack_tokens``). Nothing here logs them;
``SlackWorkspace`` keeps them out of its repr.
"""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.oauth.installation_store import Bot
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.models import SlackWorkspace
from core.store.slack_tokens import TokenStore
from core.store.tables import SlackRevocationRow


class SlackWorkspaces:
    """One Slack app's (``client_id``) installations and revocations, on the store's engine;
    ``token_key`` decrypts (and encrypts) the tokens."""

    def __init__(self, engine: Engine, client_id: str, token_key: str | None = None) -> None:
        self.engine = engine
        self.client_id = client_id
        self.installations = TokenStore(client_id, engine, token_key)

    def find(self, team_id: str) -> SlackWorkspace | None:
        """The workspace's latest installation with a bot token, None if it was never installed."""
        bot = self.installations.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            return None
        with self.engine.connect() as conn:
            return _workspace(bot, _revocation(conn, self.client_id, team_id))

    def all(self) -> list[SlackWorkspace]:
        """Every installed workspace, by team id (enterprise-wide installs are not listed)."""
        bots = self.installations.bots
        query = (
            bots.select()
            .where(bots.c.client_id == self.client_id, bots.c.bot_token.is_not(None))
            .where(bots.c.enterprise_id.is_(None), bots.c.team_id.is_not(None))
            .order_by(bots.c.team_id, bots.c.installed_at.desc())
        )
        latest: dict[str, Bot] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                if row["team_id"] not in latest:
                    latest[row["team_id"]] = self.installations.build_bot_entity(row)
            revoked = _revocations(conn, self.client_id)
        return [_workspace(bot, revoked.get(team)) for team, bot in latest.items()]

    def revoke(
        self, team_id: str, error: str, *, at: datetime | None = None, installed_at: datetime | None = None
    ) -> bool:
        """Record that the workspace's installation stopped working ``at`` (now) because of
        ``error``. With ``installed_at`` (the installation whose token failed), nothing changes
        when a newer one was saved meanwhile (a reinstall during the delivery): False then."""
        at = min(at or datetime.now(UTC), datetime.now(UTC))
        current = self.find(team_id)
        if installed_at is not None and current is not None and current.installed_at > installed_at:
            return False
        for _ in range(2):  # a concurrent first record wins the insert; ours then updates it
            try:
                with self.engine.begin() as conn:
                    _record(conn, self.client_id, team_id, error, at)
                return True
            except IntegrityError:
                continue
        return False


def _record(conn: Connection, client_id: str, team_id: str, error: str, at: datetime) -> None:
    where = (SlackRevocationRow.client_id == client_id, SlackRevocationRow.team_id == team_id)
    values = {"error": error, "revoked_at": at}
    if conn.execute(update(SlackRevocationRow).where(*where).values(values)).rowcount:
        return
    conn.execute(insert(SlackRevocationRow).values(client_id=client_id, team_id=team_id, **values))


def _revocation(conn: Connection, client_id: str, team_id: str) -> tuple[datetime, str] | None:
    query = select(SlackRevocationRow.revoked_at, SlackRevocationRow.error).where(
        SlackRevocationRow.client_id == client_id, SlackRevocationRow.team_id == team_id
    )
    row = conn.execute(query).first()
    return (row[0], row[1]) if row else None


def _revocations(conn: Connection, client_id: str) -> dict[str, tuple[datetime, str]]:
    query = select(SlackRevocationRow.team_id, SlackRevocationRow.revoked_at, SlackRevocationRow.error)
    rows = conn.execute(query.where(SlackRevocationRow.client_id == client_id))
    return {team: (at, error) for team, at, error in rows}


def _workspace(bot: Bot, revocation: tuple[datetime, str] | None) -> SlackWorkspace:
    installed_at = datetime.fromtimestamp(bot.installed_at, UTC)
    revoked = revocation is not None and revocation[0] >= installed_at
    return SlackWorkspace(
        team_id=str(bot.team_id),
        team_name=bot.team_name,
        installed_at=installed_at,
        bot_token=str(bot.bot_token),
        revoked_at=revocation[0] if revoked and revocation else None,
        revoked_error=revocation[1] if revoked and revocation else None,
    )
