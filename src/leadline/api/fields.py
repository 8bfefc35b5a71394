"""Field types shared by the request models: bounded, clean text and UTC times.

Every string a client sends is bounded (a key of 200 characters, a note of
10,000) and must be storable text: no NUL character (PostgreSQL refuses
it) and no lone surrogate (not encodable as UTF-8). Times may carry an
offset; they are stored as naive UTC like every other time in the store,
and a naive time is taken to be UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError("must be valid Unicode text") from err
    return value


def _trimmed(value: str) -> str:
    value = _storable(value).strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def _email(value: str) -> str:
    value = _trimmed(value).lower()
    if not EMAIL_RE.match(value):
        raise ValueError("is not an email address")
    return value


def code(value: object) -> object:
    """``Demo Request`` / ``demo-request`` → ``demo_request`` (as the file import does)."""
    if isinstance(value, str):
        return re.sub(r"[\s\-]+", "_", value.strip().lower())
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


Key = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_trimmed)]
Text = Annotated[str, Field(max_length=2_000), AfterValidator(_storable)]
Note = Annotated[str, Field(max_length=10_000), AfterValidator(_storable)]
Email = Annotated[
    str,
    Field(max_length=320, examples=["ann@acme.example"]),
    AfterValidator(_email),
]
UtcTime = Annotated[datetime, AfterValidator(_utc)]
