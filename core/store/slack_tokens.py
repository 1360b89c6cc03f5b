"""slack_sdk's installation store, with the tokens optionally encrypted at rest (Fernet).

slack_sdk's ``SQLAlchemyInstallationStore`` keeps each workspace's bot token in plain text. With
``AIDAILY_SLACK_TOKEN_KEY`` set (a Fernet key: ``python -c "from cryptography.fernet import
Fernet; print(Fernet.generate_key().decode())"``), ``TokenStore`` encrypts every token it saves
and decrypts what it reads, so a copy of the database (a backup, a dump) holds no usable token.

A Slack token starts with ``xox``; a stored value that does not is ours, encrypted. So rows
saved before the key was set are still read (in plain text, as they are) and a workspace's next
install is saved encrypted; and a database holding encrypted tokens refuses, naming the setting,
to be read without the right key. Losing the key means every workspace installs the app again.
A Fernet token of a 79-character token is 184 characters, within slack_sdk's 200-character
columns; longer tokens (token rotation, which the app does not use) are refused when encrypted.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine

_TOKENS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
_COLUMN = 200  # slack_sdk's String(200) token columns
Entity = TypeVar("Entity", Bot, Installation)


class TokenKeyError(ValueError):
    """The stored tokens cannot be read with the key given (or without one). Names no token."""


class TokenStore(SQLAlchemyInstallationStore):
    """``SQLAlchemyInstallationStore`` encrypting tokens with ``key``; without a key, slack_sdk's."""

    def __init__(self, client_id: str, engine: Engine, key: str | None = None) -> None:
        super().__init__(client_id=client_id, engine=engine)
        try:
            self.fernet = Fernet(key) if key else None
        except ValueError:
            raise TokenKeyError(
                "AIDAILY_SLACK_TOKEN_KEY is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None

    def save(self, installation: Installation) -> None:
        # slack_sdk's save ends with save_bot(installation.to_bot()): that bot is sealed already.
        super().save(self._sealed(installation))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self._sealed(bot))

    def build_bot_entity(self, row: Any) -> Bot:  # type: ignore[override]
        return self._opened(super().build_bot_entity(row))

    def build_installation_entity(self, row: Any) -> Installation:  # type: ignore[override]
        return self._opened(super().build_installation_entity(row))

    def _sealed(self, entity: Entity) -> Entity:
        if self.fernet is None:
            return entity
        sealed = copy.copy(entity)  # the caller's object keeps its tokens
        for name in _TOKENS:
            if (value := getattr(entity, name, None)) and value.startswith("xox"):
                setattr(sealed, name, self._encrypt(value))
        return sealed

    def _encrypt(self, token: str) -> str:
        assert self.fernet is not None
        sealed = self.fernet.encrypt(token.encode()).decode()
        if len(sealed) > _COLUMN:
            raise TokenKeyError(f"a Slack token of {len(token)} characters is too long to store encrypted")
        return sealed

    def _opened(self, entity: Entity) -> Entity:
        for name in _TOKENS:
            if (value := getattr(entity, name, None)) and not value.startswith("xox"):
                setattr(entity, name, self._decrypt(value))
        return entity

    def _decrypt(self, value: str) -> str:
        if self.fernet is None:
            raise TokenKeyError("the Slack tokens in the database are encrypted: set AIDAILY_SLACK_TOKEN_KEY")
        try:
            return self.fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(
                "AIDAILY_SLACK_TOKEN_KEY does not decrypt the Slack tokens in the database (a different key?)"
            ) from None
