"""Digests to every Slack workspace installed through OAuth, each posted with its own installation's
token (checked per request by the fake Slack), and what a revoked installation leaves behind."""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.reports import DAY, synthetic_report
from fakes.slack_server import SlackServer
from test_cli import aidaily, assert_one_line_error
from test_slack_bot import Bot, command_form, event_body, make_conversation, run_bot, until
from test_slack_oauth import CLIENT_SECRET, install, installation

from app.channels import deliver_channels
from bot.slack_oauth import SlackOAuth
from core.config import load_settings
from core.models import Channel, Report, Subscription
from core.report.rendering.markdown import render_markdown
from core.store import Store
from core.store.slack_tokens import TokenKeyError
from core.store.slack_workspaces import SlackWorkspaces

CLIENT_ID = "1234567890.0987654321"
ALPHA = ("T0ALPHA", "xoxb-alpha-secret-token", "C0ALPHA01")
BETA = ("T0BETA", "xoxb-beta-secret-token", "C0BETA001")
ENV_TOKEN = "xoxb-single-workspace-token"
MESSAGES = 3  # a header, one section, its one reply
KEY = base64.urlsafe_b64encode(b"a test key of 32 bytes, no more.").decode()  # a Fernet key
OTHER_KEY = base64.urlsafe_b64encode(b"another test key of 32 bytes ...").decode()


def stored_tokens(store: Store) -> set[str]:
    """What the database holds as tokens, as a copy of it would show them."""
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT bot_token FROM slack_bots UNION SELECT bot_token FROM slack_installations"
        )
        return {value for (value,) in rows}


def report_of(day_offset: int) -> Report:
    return replace(synthetic_report({"research": 1}, extras=False), date=DAY + timedelta(days=day_offset))


def save_installation(workspaces: SlackWorkspaces, team: str, token: str, at: datetime) -> None:
    """What bolt's OAuth flow saves for a workspace (``bot.slack_oauth``), installed ``at``."""
    saved = installation(team, token, "U" + team[1:], 0)
    saved.installed_at = at.timestamp()
    workspaces.installations.save(saved)


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
        save_installation(store.slack_workspaces(CLIENT_ID), team, token, earlier)
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


@pytest.mark.parametrize("token_key", [None, KEY], ids=["plain", "encrypted"])
def test_installed_through_oauth_and_subscribed_in_slack_then_uninstalled(
    store, tmp_path, clean_settings_env, token_key
):
    """The whole path: two workspaces install the app (OAuth against the fake Slack), an admin of
    each runs ``/aidaily subscribe`` there, each gets its digest with its own token; one
    uninstalls the app (``app_uninstalled``), and from then on only the other is attempted.
    With a token key, the database never holds a token in plain text."""
    teams = (ALPHA, BETA)
    with slack_world(*teams) as slack:
        slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
        for team, _, _ in teams:
            slack.add_user("U0BOSS", team_id=team, admin=True)
        oauth = SlackOAuth(CLIENT_ID, CLIENT_SECRET, store.engine, token_key=token_key)
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
        plain = stored_tokens(store) & {ALPHA[1], BETA[1]}
        assert plain == (set() if token_key else {ALPHA[1], BETA[1]})
        key = {"slack_token_key": token_key} if token_key else {}
        settings = settings_for(store, slack, tmp_path, **key)
        assert all(r.complete for r in deliver(store, settings, report_of(0)).values())
        for team, _, channel in teams:
            assert {m.team for m in slack.messages if m.channel == channel} == {team}

        async def uninstalling(bot: Bot) -> None:
            body = event_body({"type": "app_uninstalled"}, team="T0BETA", bot="U0BETA")
            assert (await bot.event(body)).status_code == 200
            await until(lambda: store.slack_workspaces(CLIENT_ID, token_key).find("T0BETA").revoked)

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


def test_the_cli_shows_the_revocation_and_never_a_token(two_workspaces, tmp_path):
    store = two_workspaces
    url = store.engine.url.render_as_string(hide_password=False)
    with slack_world(ALPHA, BETA) as slack:
        env = {
            "AIDAILY_DATABASE_URL": url,
            "AIDAILY_SLACK_CLIENT_ID": CLIENT_ID,
            "AIDAILY_SLACK_API_URL": slack.api_url,
        }
        for day in (0, 1):
            report = report_of(day)
            store.save_report(report, render_markdown(report))
        first = aidaily("deliver", "--channel", "slack", "--date", DAY.isoformat(), cwd=tmp_path, env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        slack.revoke("T0BETA", "account_inactive")
        day2 = (DAY + timedelta(days=1)).isoformat()
        second = aidaily("deliver", "--channel", "slack", "--date", day2, cwd=tmp_path, env=env)
        assert second.returncode == 1  # one subscription failed
        assert "account_inactive: the app's installation in workspace T0BETA" in second.stdout
        shown = aidaily("deliveries", "--date", day2, cwd=tmp_path, env=env)
        assert "slack:C0ALPHA01 — 2026-11-23: 3 sent, 0 failed" in shown.stdout
        assert "slack:C0BETA001 — 2026-11-23: 0 sent, 1 failed" in shown.stdout
        assert "Slack workspace T0BETA (T0Beta): installation revoked" in shown.stdout
        listed = aidaily("slack-workspaces", cwd=tmp_path, env=env)
        assert listed.returncode == 0, listed.stderr
        [alpha] = [line for line in listed.stdout.splitlines() if "T0ALPHA" in line]
        [beta] = [line for line in listed.stdout.splitlines() if "T0BETA" in line]
        assert "active" in alpha and "revoked" not in alpha
        assert "revoked" in beta and "(account_inactive)" in beta
        assert datetime.now(UTC).strftime("%Y-%m-%d") in beta
        printed = "".join(d.stdout + d.stderr for d in (first, second, shown, listed))
        for secret in (ALPHA[1], BETA[1]):
            assert secret not in printed


@pytest.mark.parametrize(
    "error", ["token_revoked", "invalid_auth", "account_inactive", "team_access_not_granted"]
)
def test_each_refusal_of_a_dead_token_marks_only_that_workspace_revoked(
    two_workspaces, tmp_path, clean_settings_env, error
):
    store = two_workspaces
    with slack_world(ALPHA, BETA) as slack:
        slack.revoke("T0ALPHA", error)
        results = deliver(store, settings_for(store, slack, tmp_path), report_of(0))
    assert results["slack:C0ALPHA01"].error.startswith(f"{error}: ")
    assert results["slack:C0BETA001"].complete
    workspaces = store.slack_workspaces(CLIENT_ID)
    assert workspaces.find("T0ALPHA").revoked_error == error
    assert not workspaces.find("T0BETA").revoked


def test_other_failures_do_not_revoke_the_installation(two_workspaces, tmp_path, clean_settings_env):
    store = two_workspaces
    with slack_world(ALPHA, BETA) as slack:
        slack.remove_bot("C0ALPHA01")  # not_in_channel: the channel's problem, not the token's
        results = deliver(store, settings_for(store, slack, tmp_path), report_of(0))
        assert results["slack:C0ALPHA01"].error == "not_in_channel"
        assert not store.slack_workspaces(CLIENT_ID).find("T0ALPHA").revoked
        slack.add_channel("C0ALPHA01", team="T0ALPHA")  # invited back: the next run goes through
        assert deliver(store, settings_for(store, slack, tmp_path), report_of(1))["slack:C0ALPHA01"].complete


def test_every_subscription_of_a_revoked_workspace_stops_after_the_first_refusal(
    store, tmp_path, clean_settings_env
):
    save_installation(store.slack_workspaces(CLIENT_ID), *ALPHA[:2], datetime.now(UTC) - timedelta(hours=1))
    channels = [f"C0ALPHA{n:02d}" for n in range(6)]
    with slack_world(ALPHA) as slack:
        for channel in channels:
            slack.add_channel(channel, team="T0ALPHA")
            store.add_subscription(Subscription(Channel.SLACK, channel, workspace="T0ALPHA"))
        slack.revoke("T0ALPHA", "token_revoked")
        results = deliver(store, settings_for(store, slack, tmp_path), report_of(0))
    assert all(r.permanent and r.sent == 0 for r in results.values())
    # The four delivered at once each had one try in flight; the rest were not attempted.
    assert slack.posts["T0ALPHA"] <= 4
    assert sum(r.error.startswith("not attempted") for r in results.values()) >= len(channels) - 4


def test_installing_the_app_again_resumes_the_digests(two_workspaces, tmp_path, clean_settings_env):
    store = two_workspaces
    with slack_world(ALPHA, BETA) as slack:
        settings = settings_for(store, slack, tmp_path)
        slack.revoke("T0BETA")
        assert "token_revoked" in deliver(store, settings, report_of(0))["slack:C0BETA001"].error
        slack.add_workspace("T0BETA", "xoxb-beta-new-token", bot_user_id="U0BETA")  # a reinstall's token
        save_installation(
            store.slack_workspaces(CLIENT_ID), "T0BETA", "xoxb-beta-new-token", datetime.now(UTC)
        )
        day2 = deliver(store, settings, report_of(1))
        assert day2["slack:C0BETA001"].complete
        assert not store.slack_workspaces(CLIENT_ID).find("T0BETA").revoked


def test_a_revocation_seen_after_a_reinstall_leaves_the_new_installation_active(store):
    workspaces = store.slack_workspaces(CLIENT_ID)
    old = datetime.now(UTC) - timedelta(hours=2)
    save_installation(store.slack_workspaces(CLIENT_ID), "T0BETA", "xoxb-old", old)
    save_installation(store.slack_workspaces(CLIENT_ID), "T0BETA", "xoxb-new", old + timedelta(hours=1))
    # A delivery that still held the old token hears token_revoked: not about the new one.
    assert workspaces.revoke("T0BETA", "token_revoked", installed_at=old) is False
    assert not workspaces.find("T0BETA").revoked
    assert workspaces.revoke("T0BETA", "token_revoked") is True
    found = workspaces.find("T0BETA")
    assert (found.revoked, found.revoked_error, found.bot_token) == (True, "token_revoked", "xoxb-new")
    assert workspaces.revoke("T0BETA", "app_uninstalled") is True  # a second record updates the first
    assert [(w.team_id, w.revoked_error) for w in workspaces.all()] == [("T0BETA", "app_uninstalled")]
    assert "xoxb-new" not in repr(found)
    other_app = store.slack_workspaces("another-app")
    assert other_app.find("T0BETA") is None and other_app.all() == []


def test_the_bot_token_still_serves_subscriptions_without_a_workspace(
    two_workspaces, tmp_path, clean_settings_env
):
    store = two_workspaces
    store.add_subscription(Subscription(Channel.SLACK, "C0SINGLE1"))  # added by the CLI, no workspace
    store.add_subscription(Subscription(Channel.SLACK, "C0ELSEWHR", workspace="T0NEVERIN"))
    with slack_world(ALPHA, BETA) as slack:
        slack.add_channel("C0SINGLE1", team="T0TEST")
        slack.add_channel("C0ELSEWHR", team="T0TEST")
        mixed = deliver(store, settings_for(store, slack, tmp_path, slack_bot_token=ENV_TOKEN), report_of(0))
        assert all(r.complete for r in mixed.values()), mixed
        assert {m.team for m in slack.messages if m.channel in ("C0SINGLE1", "C0ELSEWHR")} == {"T0TEST"}
        oauth_only = deliver(store, settings_for(store, slack, tmp_path), report_of(1))
    assert "names no workspace and AIDAILY_SLACK_BOT_TOKEN is not set" in oauth_only["slack:C0SINGLE1"].error
    assert "workspace T0NEVERIN has not installed the app" in oauth_only["slack:C0ELSEWHR"].error
    assert oauth_only["slack:C0ALPHA01"].complete and oauth_only["slack:C0BETA001"].complete


def test_tokens_are_kept_out_of_the_logs(two_workspaces, tmp_path, clean_settings_env, caplog):
    store = two_workspaces
    caplog.set_level(logging.DEBUG)
    with slack_world(ALPHA, BETA) as slack:
        slack.revoke("T0BETA")
        deliver(store, settings_for(store, slack, tmp_path), report_of(0))
    assert "chat.postMessage" in caplog.text  # slack_sdk's requests were logged, at DEBUG
    # Each installation's token is masked in every record from then on, even one naming it.
    logging.getLogger("test").warning("a careless line: %s", BETA[1])
    for secret in (ALPHA[1], BETA[1]):
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("event", "revoked"),
    [
        ({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BETA"]}}, True),
        ({"type": "tokens_revoked", "tokens": {"oauth": ["U0INSTALLER"]}}, False),  # a person's token
        ({"type": "app_uninstalled"}, True),
    ],
)
def test_revocation_events_mark_the_installation(store, event, revoked):
    save_installation(store.slack_workspaces(CLIENT_ID), *BETA[:2], datetime.now(UTC) - timedelta(hours=1))
    with slack_world(BETA) as slack:
        oauth = SlackOAuth(CLIENT_ID, CLIENT_SECRET, store.engine)

        async def test(bot: Bot) -> None:
            body = event_body(event, team="T0BETA", bot="U0BETA")
            assert (await bot.event(body)).status_code == 200
            hostile = event_body({"type": "app_uninstalled"}, team="T0BETA'; DROP TABLE x; --" * 3)
            assert (await bot.event(hostile)).status_code == 200  # acknowledged, recorded nowhere
            if revoked:
                await until(lambda: store.slack_workspaces(CLIENT_ID).find("T0BETA").revoked)
            else:
                await asyncio.sleep(0.2)

        run_bot(make_conversation(store), slack, test, token=None, oauth=oauth)
    found = store.slack_workspaces(CLIENT_ID).find("T0BETA")
    assert found.revoked is revoked
    if revoked:
        assert found.revoked_error == event["type"]
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM slack_revocations").scalar() == int(revoked)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["slack:C0123ABCD", "--workspace", "acme"], "bad Slack workspace id 'acme'"),
        (["slack:C0123ABCD", "--workspace", "T0" + "A" * 40], "bad Slack workspace id"),
        (["email:a@b.org", "--workspace", "T0123ABCD"], "not a Slack channel"),
    ],
)
def test_a_bad_workspace_is_one_line(tmp_path, args, fragment):
    env = {"AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    assert_one_line_error(aidaily("subscriptions", "add", *args, cwd=tmp_path, env=env), fragment)


def test_the_cli_adds_a_channel_of_a_workspace(tmp_path):
    env = {"AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    added = aidaily(
        "subscriptions", "add", "slack:C0123ABCD", "--workspace", "T0ALPHA", cwd=tmp_path, env=env
    )
    assert added.returncode == 0, added.stderr
    aidaily("subscriptions", "add", "slack:C0SECOND1", cwd=tmp_path, env=env)
    listed = aidaily("subscriptions", "list", cwd=tmp_path, env=env).stdout
    assert "T0ALPHA" in listed and "bot token" in listed
    without = aidaily("slack-workspaces", cwd=tmp_path, env=env)
    assert "AIDAILY_SLACK_CLIENT_ID is not set" in without.stderr and without.returncode == 2


def test_with_a_token_key_tokens_are_encrypted_and_older_plain_rows_still_read(store):
    earlier = datetime.now(UTC) - timedelta(hours=1)
    save_installation(store.slack_workspaces(CLIENT_ID), *ALPHA[:2], earlier)  # before the key was set
    keyed = store.slack_workspaces(CLIENT_ID, KEY)
    beta = installation("T0BETA", BETA[1], "U0BETA", 0)
    keyed.installations.save(beta)
    assert beta.bot_token == BETA[1]  # the caller's object keeps its token
    stored = stored_tokens(store)
    assert ALPHA[1] in stored and BETA[1] not in stored and not any(BETA[1][5:] in v for v in stored)
    assert keyed.find("T0ALPHA").bot_token == ALPHA[1] and keyed.find("T0BETA").bot_token == BETA[1]
    bolt_view = keyed.installations.find_installation(enterprise_id=None, team_id="T0BETA")
    assert bolt_view.bot_token == BETA[1]  # what bolt's authorize reads
    save_installation(keyed, "T0ALPHA", ALPHA[1], datetime.now(UTC))  # the next install: encrypted
    assert keyed.find("T0ALPHA").bot_token == ALPHA[1]
    assert {t for t in stored_tokens(store) if t.startswith("xox")} == {ALPHA[1]}  # only the old row


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "the Slack tokens in the database are encrypted: set AIDAILY_SLACK_TOKEN_KEY"),
        (OTHER_KEY, "does not decrypt the Slack tokens"),
        ("not-a-key", "is not a Fernet key"),
    ],
)
def test_encrypted_tokens_without_the_right_key_are_a_clear_error(store, tmp_path, key, message):
    save_installation(store.slack_workspaces(CLIENT_ID, KEY), *BETA[:2], datetime.now(UTC))
    with pytest.raises(TokenKeyError, match=message) as raised:
        store.slack_workspaces(CLIENT_ID, key).find("T0BETA")
    assert BETA[1] not in str(raised.value)
    env = {"AIDAILY_DATABASE_URL": store.engine.url.render_as_string(hide_password=False)}
    env |= {"AIDAILY_SLACK_CLIENT_ID": CLIENT_ID} | ({"AIDAILY_SLACK_TOKEN_KEY": key} if key else {})
    assert_one_line_error(aidaily("slack-workspaces", cwd=tmp_path, env=env), message)
