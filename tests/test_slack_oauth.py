"""Installing the Slack bot into many workspaces: OAuth against the fake Slack, installations in our
database (tables from migration 0004, the same as slack_sdk's own), one bot token per workspace."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fakes.slack_server import SlackServer
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Constraint, Index, MetaData, Table, inspect
from test_slack_bot import Bot, make_conversation, mention, replies_to, run_bot, until

from bot.slack_bot import BOT_EVENTS, BOT_SCOPES, SLASH_COMMAND
from bot.slack_oauth import SlackOAuth

CLIENT_ID, CLIENT_SECRET = "1234567890.0987654321", "client-secret-for-tests"
WORKSPACES = {
    "T0ALPHA": ("xoxb-alpha", "U0ALPHA", "C0ALPHA01"),
    "T0BETA": ("xoxb-beta", "U0BETA", "C0BETA001"),
}
SLACK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}
MANIFEST = Path(__file__).resolve().parent.parent / "deploy" / "slack-app-manifest.json"


def slack_sdk_metadata() -> MetaData:
    """The tables as slack_sdk itself would create them."""
    metadata = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
    return metadata


def test_the_migration_builds_exactly_slack_sdks_tables(store):
    metadata = slack_sdk_metadata()
    with store.engine.connect() as conn:
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    assert [d for d in differences if _table_of(d) in SLACK_TABLES] == []
    inspector = inspect(store.engine)
    for table in metadata.sorted_tables:
        assert [c["name"] for c in inspector.get_columns(table.name)] == [c.name for c in table.columns]
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes(table.name)}
        assert indexes == {i.name: [c.name for c in i.columns] for i in table.indexes}


def _table_of(difference: Any) -> str:
    """The table an alembic difference is about (the rest of our schema is not slack_sdk's)."""
    if isinstance(difference, list):  # modify_type, modify_nullable...: [(op, schema, table, column, ...)]
        return difference[0][2]
    if isinstance(difference[1], Table):  # add_table, remove_table
        return difference[1].name
    if isinstance(difference[1], Index | Constraint):  # add_index, remove_index, constraints
        return difference[1].table.name
    return difference[2]  # add_column, remove_column: (op, schema, table, column)


def installation(team: str, token: str, bot_user: str, installed: int) -> Installation:
    return Installation(
        app_id="A0AIDAILY",
        enterprise_id=None,
        team_id=team,
        team_name=team.title(),
        bot_token=token,
        bot_id="B" + bot_user[1:],
        bot_user_id=bot_user,
        bot_scopes=list(BOT_SCOPES),
        user_id="U0INSTALLER",
        installed_at=datetime(2026, 11, 22, 8, installed, tzinfo=UTC).timestamp(),
    )


def test_installations_are_saved_and_found_per_workspace(store):
    installations = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=store.engine)
    for n, (team, (token, bot_user, _)) in enumerate(WORKSPACES.items()):
        installations.save(installation(team, token, bot_user, n))
    installations.save(installation("T0ALPHA", "xoxb-alpha-reinstalled", "U0ALPHA", 9))  # the newest wins
    found = {team: installations.find_bot(enterprise_id=None, team_id=team) for team in WORKSPACES}
    assert {team: bot.bot_token for team, bot in found.items()} == {
        "T0ALPHA": "xoxb-alpha-reinstalled",
        "T0BETA": "xoxb-beta",
    }
    assert installations.find_installation(enterprise_id=None, team_id="T0NOBODY") is None
    other_app = SQLAlchemyInstallationStore(client_id="another-app", engine=store.engine)
    assert other_app.find_bot(enterprise_id=None, team_id="T0BETA") is None


def test_oauth_states_are_single_use(store):
    states = SQLAlchemyOAuthStateStore(expiration_seconds=60, engine=store.engine)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False
    assert states.consume("made-up") is False


@pytest.fixture
def conversation(store):
    return make_conversation(store)


@pytest.fixture
def slack():
    with SlackServer("xoxb-unused", interval=0.001, tolerance=0.001) as server:
        server.enable_oauth(CLIENT_ID, CLIENT_SECRET)
        for team, (token, bot_user, channel) in WORKSPACES.items():
            server.add_workspace(team, token, bot_user_id=bot_user)
            server.add_channel(channel)
        yield server


async def install(bot: Bot, slack: SlackServer, team: str) -> httpx.Response:
    """What a workspace admin's browser does: open /slack/install, approve at Slack, come back."""
    page = await bot.http.get("/slack/install")
    assert page.status_code == 200
    state = re.search(r"state=([\w-]+)", page.text).group(1)  # in the "Add to Slack" link
    return await bot.http.get(
        "/slack/oauth_redirect", params={"code": slack.issue_code(team), "state": state}
    )


def test_two_workspaces_install_and_each_is_answered_with_its_own_token(slack, store, conversation):
    oauth = SlackOAuth(
        CLIENT_ID, CLIENT_SECRET, store.engine, "https://aidaily.example.org/slack/oauth_redirect"
    )

    async def test(bot: Bot) -> None:
        for team in WORKSPACES:
            assert (await install(bot, slack, team)).status_code == 200
        for team, (_, bot_user, channel) in WORKSPACES.items():
            posted, body = mention(slack, f"<@{bot_user}> more on GPT-5.2", channel, team=team, bot=bot_user)
            assert (await bot.event(body)).status_code == 200
            [answer] = await until(replies_to(slack, channel, posted.ts))
            assert (answer.team, answer.user) == (team, bot_user)

    run_bot(conversation, slack, test, token=None, oauth=oauth)
    saved = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=store.engine)
    assert saved.find_bot(enterprise_id=None, team_id="T0BETA").bot_token == "xoxb-beta"


def test_a_forged_or_replayed_oauth_redirect_installs_nothing(slack, store, conversation):
    oauth = SlackOAuth(CLIENT_ID, CLIENT_SECRET, store.engine)

    async def test(bot: Bot) -> None:
        forged = await bot.http.get(
            "/slack/oauth_redirect", params={"code": slack.issue_code("T0ALPHA"), "state": "x"}
        )
        assert forged.status_code == 400
        page = await bot.http.get("/slack/install")
        state = re.search(r"state=([\w-]+)", page.text).group(1)
        first = await bot.http.get(
            "/slack/oauth_redirect", params={"code": "code-never-issued", "state": state}
        )
        assert first.status_code == 401  # Slack refused the code (invalid_code)
        again = await bot.http.get(
            "/slack/oauth_redirect", params={"code": slack.issue_code("T0ALPHA"), "state": state}
        )
        assert again.status_code == 400  # the state was used up

    run_bot(conversation, slack, test, token=None, oauth=oauth)
    assert (
        SQLAlchemyInstallationStore(CLIENT_ID, store.engine).find_bot(enterprise_id=None, team_id="T0ALPHA")
        is None
    )


def test_an_event_from_a_workspace_that_never_installed_is_not_answered(slack, store, conversation):
    oauth = SlackOAuth(CLIENT_ID, CLIENT_SECRET, store.engine)

    async def test(bot: Bot) -> None:
        _, body = mention(slack, "<@U0ALPHA> GPT-5.2", "C0ALPHA01", team="T0ALPHA", bot="U0ALPHA")
        response = await bot.event(body)
        assert response.status_code == 200  # acknowledged (Slack would retry otherwise), not answered

    run_bot(conversation, slack, test, token=None, oauth=oauth)
    assert slack.bot_messages() == []


# --- the app manifest declares what the code handles -------------------------------------------


def test_the_manifest_declares_every_event_command_and_scope_the_bot_uses():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(BOT_EVENTS)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == SLASH_COMMAND
    for name in ("today", "more", "subscribe", "unsubscribe", "sections", "help"):
        assert name in command["usage_hint"]
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert command["url"].endswith("/slack/events")
    assert manifest["settings"]["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    assert manifest["features"]["bot_user"]["display_name"]
