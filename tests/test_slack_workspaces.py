"""Digests to every Slack workspace installed through OAuth, each posted with its own installation's
token (checked per request by the fake Slack), and what a revoked installation leaves behind."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.reports import DAY, synthetic_report
from fakes.slack_server import SlackServer
from slack_sdk.oauth.installation_store import Installation
from test_slack_bot import Bot, command_form, event_body, make_conversation, run_bot, until
from test_slack_oauth import CLIENT_SECRET, install

from app.channels import deliver_channels
from bot.slack_oauth import SlackOAuth
from core.config import load_settings
from core.models import Channel, Report, Subscription
from core.report.rendering.markdown import render_markdown
from core.store import Store

CLIENT_ID = "1234567890.0987654321"
ALPHA = ("T0ALPHA", "xoxb-alpha-secret-token", "C0ALPHA01")
BETA = ("T0BETA", "xoxb-beta-secret-token", "C0BETA001")
ENV_TOKEN = "xoxb-single-workspace-token"
MESSAGES = 3  # a header, one section, its one reply


def report_of(day_offset: int) -> Report:
    return replace(synthetic_report({"research": 1}, extras=False), date=DAY + timedelta(days=day_offset))


def save_installation(store: Store, team: str, token: str, at: datetime) -> None:
    """What bolt's OAuth flow saves for a workspace (``bot.slack_oauth``)."""
    store.slack_workspaces(CLIENT_ID).installations.save(
        Installation(
            app_id="A0AIDAILY",
            enterprise_id=None,
            team_id=team,
            team_name=team.title(),
            bot_token=token,
            bot_id="B" + team[1:],
            bot_user_id="U" + team[1:],
            bot_scopes=["chat:write"],
            user_id="U0INSTALLER",
            installed_at=at.timestamp(),
        )
    )


def slack_world(*teams: tuple[str, str, str]) -> SlackServer:
    """A fake Slack where each workspace's channel takes only that workspace's token."""
    server = SlackServer(ENV_TOKEN, interval=0.001, tolerance=0.001)
    for team, token, channel in teams:
        server.add_workspace(team, token, bot_user_id="U" + team[1:])
        server.add_channel(channel, team=team)
    return server


def settings_for(store: Store, slack: SlackServer, tmp_path: Path, **extra: str):
    values = {
        "database_url": store.engine.url.render_as_string(hide_password=False),
        "slack_client_id": CLIENT_ID,
        "slack_api_url": slack.api_url,
        "out_dir": tmp_path / "out",
    }
    return load_settings(**(values | extra))


def deliver(store: Store, settings, report: Report):
    store.save_report(report, render_markdown(report))
    [run] = asyncio.run(deliver_channels(store, report, settings, [Channel.SLACK]))
    return {r.subscription.target: r for r in run.results}


@pytest.fixture
def two_workspaces(store):
    earlier = datetime.now(UTC) - timedelta(hours=1)
    for team, token, channel in (ALPHA, BETA):
        save_installation(store, team, token, earlier)
        store.add_subscription(Subscription(Channel.SLACK, channel, workspace=team))
    return store


def test_each_workspace_gets_its_digest_with_its_own_token_and_a_revoked_one_stops_alone(
    two_workspaces, tmp_path, clean_settings_env
):
    store = two_workspaces
    with slack_world(ALPHA, BETA) as slack:
        settings = settings_for(store, slack, tmp_path)
        day1 = deliver(store, settings, report_of(0))
        assert all(r.complete and r.sent == MESSAGES for r in day1.values())
        for team, _, channel in (ALPHA, BETA):
            assert {m.team for m in slack.top_level(channel)} == {team}
            assert len([m for m in slack.messages if m.channel == channel]) == MESSAGES
        assert slack.posts == {"T0ALPHA": MESSAGES, "T0BETA": MESSAGES}

        slack.revoke("T0BETA", "token_revoked")
        before = datetime.now(UTC)
        day2 = deliver(store, settings, report_of(1))
        assert day2["slack:C0ALPHA01"].complete
        beta = day2["slack:C0BETA001"]
        assert beta.permanent and beta.sent == 0
        assert beta.error.startswith("token_revoked: the app's installation in workspace T0BETA")
        assert slack.posts["T0BETA"] == MESSAGES + 1  # one refused attempt, then it stopped
        revoked = store.slack_workspaces(CLIENT_ID).find("T0BETA")
        assert revoked.revoked and revoked.revoked_error == "token_revoked"
        assert before <= revoked.revoked_at <= datetime.now(UTC)
        assert not store.slack_workspaces(CLIENT_ID).find("T0ALPHA").revoked

        day3 = deliver(store, settings, report_of(2))
        assert day3["slack:C0ALPHA01"].complete
        assert day3["slack:C0BETA001"].error.startswith(
            "not attempted: the app's installation in workspace T0BETA was revoked"
        )
        assert slack.posts["T0BETA"] == MESSAGES + 1  # not one call with the dead token
        assert slack.posts["T0ALPHA"] == 3 * MESSAGES


def test_installed_through_oauth_and_subscribed_in_slack_then_uninstalled(
    store, tmp_path, clean_settings_env
):
    """The whole path: two workspaces install the app (OAuth against the fake Slack), an admin of
    each runs ``/aidaily subscribe`` there, each gets its digest with its own token; one
    uninstalls the app (``app_uninstalled``), and from then on only the other is attempted."""
    teams = (ALPHA, BETA)
    with slack_world(*teams) as slack:
        slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
        for team, _, _ in teams:
            slack.add_user("U0BOSS", team_id=team, admin=True)
        oauth = SlackOAuth(CLIENT_ID, CLIENT_SECRET, store.engine)
        conversation = make_conversation(store)

        async def installing(bot: Bot) -> None:
            for team, _, channel in teams:
                assert (await install(bot, slack, team)).status_code == 200
                form, tag = command_form(slack, "subscribe", channel, team=team, user="U0BOSS")
                assert (await bot.command(form)).status_code == 200
                [answer] = await until(lambda tag=tag: slack.responses(tag))
                assert "Subscribed" in answer["text"]

        run_bot(conversation, slack, installing, token=None, oauth=oauth)
        assert {s.address: s.workspace for s in store.subscriptions()} == {
            "C0ALPHA01": "T0ALPHA",
            "C0BETA001": "T0BETA",
        }
        settings = settings_for(store, slack, tmp_path)
        assert all(r.complete for r in deliver(store, settings, report_of(0)).values())
        for team, _, channel in teams:
            assert {m.team for m in slack.messages if m.channel == channel} == {team}

        async def uninstalling(bot: Bot) -> None:
            body = event_body({"type": "app_uninstalled"}, team="T0BETA", bot="U0BETA")
            assert (await bot.event(body)).status_code == 200
            await until(lambda: store.slack_workspaces(CLIENT_ID).find("T0BETA").revoked)

        run_bot(conversation, slack, uninstalling, token=None, oauth=oauth)
        posted = dict(slack.posts)
        day2 = deliver(store, settings, report_of(1))
        assert day2["slack:C0ALPHA01"].complete
        assert (
            "revoked" in day2["slack:C0BETA001"].error
            and "(app_uninstalled)" in day2["slack:C0BETA001"].error
        )
        assert slack.posts["T0BETA"] == posted["T0BETA"]
        assert slack.posts["T0ALPHA"] == posted["T0ALPHA"] + MESSAGES
