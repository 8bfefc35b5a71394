"""Account roll-up: when an account becomes a marketing qualified account (MQA).

``account_score`` = sum of the scores of the account's scored (surviving,
created by T) leads + account-level intent (the intent builder grouped by
account, pooling every contact's topic evidence).  A contact is *engaged* at
``engaged_contact_score`` or above.  The roll-up is computed over the whole
account even when only some leads are being scored, so a single-lead score
always carries the same account columns as the batch.
"""

from __future__ import annotations

from leadline.contract.schema import MqaCriteria
from leadline.scoring.common import lit

ACCOUNTS = "_ll_accounts"


def accounts_cte(mqa: MqaCriteria | None) -> tuple[str, str] | None:
    """``_ll_accounts``: account_id, score, engaged contacts and the MQA verdict."""
    if mqa is None:
        return None
    engaged = f"count(*) FILTER (WHERE score >= {lit(float(mqa.engaged_contact_score))})"
    return (
        ACCOUNTS,
        "SELECT account_id, account_score, account_engaged_contacts, "
        f"(account_engaged_contacts >= {mqa.min_engaged_contacts} AND "
        f"account_score >= {lit(float(mqa.min_account_score))}) AS account_qualifies_mqa "
        "FROM (SELECT c.account_id, c.contacts_score + coalesce(i.intent, 0.0e0) AS account_score, "
        "CAST(c.engaged AS INTEGER) AS account_engaged_contacts "
        f"FROM (SELECT account_id, sum(score) AS contacts_score, {engaged} AS engaged "
        "FROM _ll_scores WHERE account_id IS NOT NULL GROUP BY account_id) AS c "
        "LEFT JOIN _ll_account_intent AS i ON i.account_id = c.account_id) AS r",
    )


def account_columns(mqa: MqaCriteria | None) -> list[str]:
    """The three snapshot columns (``acc`` alias; typed NULLs without ``stages.mqa``)."""
    if mqa is None:
        return [
            "CAST(NULL AS DOUBLE) AS account_score",
            "CAST(NULL AS INTEGER) AS account_engaged_contacts",
            "CAST(NULL AS BOOLEAN) AS account_qualifies_mqa",
        ]
    return [
        "acc.account_score AS account_score",
        "acc.account_engaged_contacts AS account_engaged_contacts",
        "acc.account_qualifies_mqa AS account_qualifies_mqa",
    ]
