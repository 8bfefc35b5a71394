"""``${VAR}`` references: how a contract in git points at secrets it must not hold.

Webhook URLs and SMTP passwords are written as ``${LEADLINE_SLACK_WEBHOOK}``
(optionally ``${VAR:-default}``) and resolved from the environment only at
delivery time, so the secret never reaches the repository or the outbox.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from leadline.contract.schema import ENV_REF


class MissingSetting(Exception):
    """A ``${VAR}`` the environment does not define (delivery retries later)."""


def resolve(text: str, env: Mapping[str, str] | None = None) -> str:
    """Replace every ``${VAR}`` / ``${VAR:-default}`` in ``text`` from ``env``."""
    source = os.environ if env is None else env

    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = source.get(name)
        if found is None or found == "":
            if default is not None:
                return str(default)
            raise MissingSetting(f"environment variable {name} is not set")
        return found

    return ENV_REF.sub(value, text)
