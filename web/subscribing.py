"""What the web app does to subscriptions in the store: sign up, confirm, change, unsubscribe.

Plain functions over a ``Store`` (blocking: the app runs them in a worker thread). Only email
subscriptions are touched, and a signed link reaches its subscription only if the id *and* the
address in the token still match the stored row (a deleted row whose id was reused is not
reachable with the old link).

State changes:

- sign up: no subscription, pending, unsubscribed or bounced -> pending, with the chosen
  options, and a confirmation mail; confirmed -> unchanged (a stranger must not change a
  subscriber's options) and an "already subscribed" mail with the preferences link;
- confirm: pending -> confirmed; confirmed stays (confirming twice is harmless); an
  unsubscribed or bounced address must sign up again, so its old link no longer confirms;
- unsubscribe: pending or confirmed -> unsubscribed; unsubscribed and bounced stay as they are;
- preferences: sections, language, daily or weekly and the keyword rules change; the status
  does not.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from core.links import TokenClaims
from core.models import Channel, Subscription, SubscriptionStatus
from core.store import Store
from web.confirm_mail import MailKind
from web.forms import Choices, SignUp

_CAN_UNSUBSCRIBE = {SubscriptionStatus.PENDING, SubscriptionStatus.CONFIRMED}


@dataclass(frozen=True, slots=True)
class SignUpResult:
    subscription: Subscription
    mail: MailKind


def sign_up(store: Store, request: SignUp) -> SignUpResult:
    try:
        return _sign_up(store, request)
    except IntegrityError:
        # A double-clicked submit: two requests looked the address up at once (inside
        # add_subscription), found nothing and both inserted; the loser now finds the winner's
        # row and updates it instead of answering 500.
        return _sign_up(store, request)


def _sign_up(store: Store, request: SignUp) -> SignUpResult:
    existing = store.find_subscription(Channel.EMAIL, request.address)
    if existing is not None and existing.status == SubscriptionStatus.CONFIRMED:
        return SignUpResult(existing, MailKind.ALREADY_SUBSCRIBED)
    wanted = Subscription(
        Channel.EMAIL,
        request.address,
        sections=request.choices.sections,
        language=request.choices.language,
        status=SubscriptionStatus.PENDING,
        cadence=request.choices.cadence,
        rules=request.choices.rules,
    )
    stored, _ = store.add_subscription(wanted)
    return SignUpResult(stored, MailKind.CONFIRM)


def linked_subscription(store: Store, claims: TokenClaims) -> Subscription | None:
    """The email subscription a verified token names, if it still exists at that address."""
    found = store.get_subscription(claims.subscription_id)
    if found is None or found.channel != Channel.EMAIL or found.address != claims.address:
        return None
    return found


def confirm(store: Store, claims: TokenClaims) -> Subscription | None:
    """The confirmed subscription, or None when the link cannot confirm it (see above)."""
    found = linked_subscription(store, claims)
    if found is None or found.id is None:
        return None
    if found.status == SubscriptionStatus.PENDING:
        store.set_subscription_status(found.id, SubscriptionStatus.CONFIRMED)
        return dataclasses.replace(found, status=SubscriptionStatus.CONFIRMED)
    return found if found.status == SubscriptionStatus.CONFIRMED else None


def unsubscribe(store: Store, claims: TokenClaims) -> None:
    found = linked_subscription(store, claims)
    if found is not None and found.id is not None and found.status in _CAN_UNSUBSCRIBE:
        store.set_subscription_status(found.id, SubscriptionStatus.UNSUBSCRIBED)


def change_preferences(store: Store, subscription: Subscription, choices: Choices) -> Subscription:
    changed = dataclasses.replace(
        subscription,
        sections=choices.sections,
        language=choices.language,
        cadence=choices.cadence,
        rules=choices.rules,
    )
    stored, _ = store.add_subscription(changed)
    return stored
