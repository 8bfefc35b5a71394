"""The store's schema, as an ordered list of forward migrations.

Each migration is a list of SQL statements written in DuckDB's dialect; engines
for other dialects transpile them with sqlglot.  ``OnlyOn`` statements run on
the named engines only; a ``Rendered`` one is already written for its engine
(a PostgreSQL function body sqlglot does not parse) and runs there only.
Migrations are only ever appended: a deployed store records the highest
version it has applied in ``schema_migrations`` and
:func:`leadline.store.migrate` applies the rest.

Design rules the tables follow (see docs/store.md):

* histories are append-only (activities, stage_history, dispositions,
  score_runs/score_snapshots/score_parts, merges, entity_versions, quarantine);
* an entity row that an import changes has its previous version copied to
  ``entity_versions`` first, so current state never destroys history;
* every score and stage change records the contract version that produced it.
"""

from __future__ import annotations

from leadline.store.base import OnlyOn, Rendered

# store (PostgreSQL): RFC 7386 JSON merge patch, which DuckDB has built in as
# json_merge_patch (postgres_sql rewrites calls to it): attribute bags from
# imports and lead upserts merge the same way on both engines.
JSON_MERGE_PATCH_PG = r"""CREATE OR REPLACE FUNCTION ll_json_merge_patch(target jsonb, patch jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    result jsonb;
    k text;
    v jsonb;
BEGIN
    IF patch IS NULL OR jsonb_typeof(patch) <> 'object' THEN
        RETURN patch;
    END IF;
    result := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
    FOR k, v IN SELECT e.key, e.value FROM jsonb_each(patch) AS e LOOP
        IF jsonb_typeof(v) = 'null' THEN
            result := result - k;
        ELSE
            result := jsonb_set(result, ARRAY[k], ll_json_merge_patch(result -> k, v));
        END IF;
    END LOOP;
    RETURN result;
END
$fn$"""
MIGRATIONS: list[list[str]] = [
    # 1: the initial schema
    [
        """CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE IF NOT EXISTS seq_import_run START 1",
        "CREATE SEQUENCE IF NOT EXISTS seq_score_run START 1",
        "CREATE SEQUENCE IF NOT EXISTS seq_transition START 1",
        "CREATE SEQUENCE IF NOT EXISTS seq_disposition START 1",
        """CREATE TABLE IF NOT EXISTS contracts (
            version VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            source_text VARCHAR NOT NULL,
            first_used_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS import_runs (
            run_id BIGINT PRIMARY KEY,
            kind VARCHAR NOT NULL,
            file VARCHAR NOT NULL,
            file_sha256 VARCHAR,
            mapping VARCHAR,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            status VARCHAR NOT NULL,
            rows_in BIGINT,
            loaded BIGINT,
            unchanged BIGINT,
            merged BIGINT,
            quarantined BIGINT,
            summary JSON
        )""",
        """CREATE TABLE IF NOT EXISTS quarantine (
            run_id BIGINT NOT NULL,
            kind VARCHAR NOT NULL,
            file VARCHAR NOT NULL,
            row_number BIGINT NOT NULL,
            line BIGINT,
            field VARCHAR,
            reason VARCHAR NOT NULL,
            message VARCHAR NOT NULL,
            raw JSON
        )""",
        """CREATE TABLE IF NOT EXISTS accounts (
            account_id VARCHAR PRIMARY KEY,
            name VARCHAR,
            domain VARCHAR,
            industry VARCHAR,
            employees BIGINT,
            annual_revenue DOUBLE,
            country VARCHAR,
            region VARCHAR,
            owner VARCHAR,
            parent_account VARCHAR,
            attributes JSON,
            created_at TIMESTAMP,
            merged_into VARCHAR,
            import_run_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS leads (
            lead_id VARCHAR PRIMARY KEY,
            email VARCHAR,
            email_domain VARCHAR,
            is_free_mail BOOLEAN,
            first_name VARCHAR,
            last_name VARCHAR,
            title VARCHAR,
            seniority VARCHAR,
            department VARCHAR,
            company VARCHAR,
            account_id VARCHAR,
            country VARCHAR,
            lead_source VARCHAR,
            channel VARCHAR,
            campaign_id VARCHAR,
            created_at TIMESTAMP,
            converted BOOLEAN,
            attributes JSON,
            post_contact JSON,
            merged_into VARCHAR,
            import_run_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS content (
            content_id VARCHAR PRIMARY KEY,
            title VARCHAR,
            url VARCHAR,
            content_type VARCHAR,
            topics VARCHAR[],
            journey_stage VARCHAR,
            gated BOOLEAN,
            import_run_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS activities (
            source VARCHAR NOT NULL,
            source_event_id VARCHAR NOT NULL,
            lead_id VARCHAR NOT NULL,
            activity_type VARCHAR NOT NULL,
            occurred_at TIMESTAMP NOT NULL,
            url VARCHAR,
            content_id VARCHAR,
            campaign_id VARCHAR,
            value DOUBLE,
            attributes JSON,
            ingested_at TIMESTAMP NOT NULL,
            import_run_id BIGINT,
            UNIQUE (source, source_event_id)
        )""",
        """CREATE TABLE IF NOT EXISTS campaigns (
            campaign_id VARCHAR PRIMARY KEY,
            name VARCHAR,
            channel VARCHAR,
            started_at TIMESTAMP,
            ended_at TIMESTAMP,
            import_run_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS campaign_costs (
            campaign_id VARCHAR NOT NULL,
            period_start DATE NOT NULL,
            period_end DATE NOT NULL,
            cost DOUBLE NOT NULL,
            currency VARCHAR,
            import_run_id BIGINT,
            PRIMARY KEY (campaign_id, period_start)
        )""",
        """CREATE TABLE IF NOT EXISTS touches (
            source VARCHAR NOT NULL,
            source_event_id VARCHAR NOT NULL,
            lead_id VARCHAR NOT NULL,
            campaign_id VARCHAR NOT NULL,
            touched_at TIMESTAMP NOT NULL,
            touch_type VARCHAR,
            import_run_id BIGINT,
            ingested_at TIMESTAMP,
            UNIQUE (source, source_event_id)
        )""",
        """CREATE TABLE IF NOT EXISTS opportunities (
            opportunity_id VARCHAR PRIMARY KEY,
            account_id VARCHAR,
            lead_id VARCHAR,
            name VARCHAR,
            stage VARCHAR NOT NULL,
            amount DOUBLE,
            product VARCHAR,
            owner VARCHAR,
            created_at TIMESTAMP,
            closed_at TIMESTAMP,
            attributes JSON,
            import_run_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS dispositions (
            disposition_id BIGINT PRIMARY KEY,
            source VARCHAR NOT NULL,
            source_event_id VARCHAR NOT NULL,
            lead_id VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            reason VARCHAR,
            note VARCHAR,
            actor VARCHAR,
            decided_at TIMESTAMP NOT NULL,
            import_run_id BIGINT,
            UNIQUE (source, source_event_id)
        )""",
        """CREATE TABLE IF NOT EXISTS stage_history (
            transition_id BIGINT PRIMARY KEY,
            lead_id VARCHAR NOT NULL,
            from_stage VARCHAR NOT NULL,
            to_stage VARCHAR NOT NULL,
            changed_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            reason VARCHAR,
            note VARCHAR,
            source VARCHAR NOT NULL,
            contract_version VARCHAR NOT NULL,
            score_run_id BIGINT,
            disposition_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS account_stage_history (
            transition_id BIGINT PRIMARY KEY,
            account_id VARCHAR NOT NULL,
            from_stage VARCHAR NOT NULL,
            to_stage VARCHAR NOT NULL,
            changed_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            reason VARCHAR,
            contract_version VARCHAR NOT NULL,
            score_run_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS score_runs (
            run_id BIGINT PRIMARY KEY,
            as_of TIMESTAMP NOT NULL,
            contract_version VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            leads_scored BIGINT,
            transitions BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS score_snapshots (
            run_id BIGINT NOT NULL,
            lead_id VARCHAR NOT NULL,
            account_id VARCHAR,
            as_of TIMESTAMP NOT NULL,
            contract_version VARCHAR NOT NULL,
            fit_points DOUBLE NOT NULL,
            grade VARCHAR NOT NULL,
            engagement DOUBLE NOT NULL,
            intent DOUBLE NOT NULL,
            score DOUBLE NOT NULL,
            excluded_reason VARCHAR,
            trigger_rule VARCHAR,
            priority VARCHAR NOT NULL,
            priority_rank INTEGER NOT NULL,
            qualifies_mql BOOLEAN NOT NULL,
            mql_reason VARCHAR NOT NULL,
            account_score DOUBLE,
            account_engaged_contacts INTEGER,
            account_qualifies_mqa BOOLEAN
        )""",
        """CREATE TABLE IF NOT EXISTS score_parts (
            run_id BIGINT NOT NULL,
            lead_id VARCHAR NOT NULL,
            component VARCHAR NOT NULL,
            rule VARCHAR NOT NULL,
            events BIGINT,
            raw_points DOUBLE NOT NULL,
            capped_points DOUBLE NOT NULL,
            cap_applied BOOLEAN NOT NULL,
            decay_factor DOUBLE NOT NULL,
            points DOUBLE NOT NULL,
            detail VARCHAR
        )""",
        """CREATE TABLE IF NOT EXISTS qualifications (
            lead_id VARCHAR NOT NULL,
            budget VARCHAR,
            authority VARCHAR,
            need VARCHAR,
            timeline VARCHAR,
            actor VARCHAR NOT NULL,
            recorded_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS reps (
            rep_id VARCHAR PRIMARY KEY,
            name VARCHAR,
            email VARCHAR,
            manager VARCHAR,
            team VARCHAR,
            region VARCHAR,
            timezone VARCHAR,
            capacity INTEGER,
            active BOOLEAN,
            import_run_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS products (
            product_id VARCHAR PRIMARY KEY,
            name VARCHAR,
            series VARCHAR,
            list_price DOUBLE,
            import_run_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS merges (
            entity VARCHAR NOT NULL,
            merged_id VARCHAR NOT NULL,
            survivor_id VARCHAR NOT NULL,
            match_key VARCHAR NOT NULL,
            match_value VARCHAR,
            import_run_id BIGINT,
            merged_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS entity_versions (
            entity VARCHAR NOT NULL,
            entity_id VARCHAR NOT NULL,
            data JSON NOT NULL,
            replaced_at TIMESTAMP NOT NULL,
            import_run_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS field_catalog (
            entity VARCHAR NOT NULL,
            field VARCHAR NOT NULL,
            post_contact BOOLEAN NOT NULL,
            mapping VARCHAR,
            first_seen_run BIGINT,
            PRIMARY KEY (entity, field)
        )""",
    ],
    # 2: API keys (only a hash of the secret is stored)
    [
        """CREATE TABLE IF NOT EXISTS api_keys (
            key_id VARCHAR PRIMARY KEY,
            name VARCHAR,
            role VARCHAR NOT NULL,
            secret_hash VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            revoked_at TIMESTAMP
        )""",
    ],
    # Later areas append their own migration lists below (one per change).
    # real-time service (api/realtime/privacy): single-lead re-scores made by
    # incoming events, kept apart from batch runs so "the latest run" still
    # means every lead; and the audit log of personal-data requests.
    [
        "CREATE SEQUENCE IF NOT EXISTS seq_audit START 1",
        """CREATE TABLE IF NOT EXISTS live_snapshots (
            run_id BIGINT NOT NULL,
            scored_at TIMESTAMP NOT NULL,
            lead_id VARCHAR NOT NULL,
            account_id VARCHAR,
            as_of TIMESTAMP NOT NULL,
            contract_version VARCHAR NOT NULL,
            fit_points DOUBLE NOT NULL,
            grade VARCHAR NOT NULL,
            engagement DOUBLE NOT NULL,
            intent DOUBLE NOT NULL,
            score DOUBLE NOT NULL,
            excluded_reason VARCHAR,
            trigger_rule VARCHAR,
            priority VARCHAR NOT NULL,
            priority_rank INTEGER NOT NULL,
            qualifies_mql BOOLEAN NOT NULL,
            mql_reason VARCHAR NOT NULL,
            account_score DOUBLE,
            account_engaged_contacts INTEGER,
            account_qualifies_mqa BOOLEAN
        )""",
        """CREATE TABLE IF NOT EXISTS audit_log (
            audit_id BIGINT PRIMARY KEY,
            recorded_at TIMESTAMP NOT NULL,  -- `at` is reserved in DuckDB
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            subject_sha256 VARCHAR NOT NULL,
            lead_ids JSON,
            details JSON
        )""",
    ],
    # routing, notifications and SLAs (routing/, notify/, sla/): who owns each
    # MQL and which rule chose them; a durable outbox with its delivery log and
    # dead letters; business-hours clocks, first touches and breaches.
    [
        "CREATE SEQUENCE IF NOT EXISTS seq_assignment START 1",
        "CREATE SEQUENCE IF NOT EXISTS seq_notification START 1",
        "CREATE SEQUENCE IF NOT EXISTS seq_sla_clock START 1",
        "CREATE SEQUENCE IF NOT EXISTS seq_sla_breach START 1",
        """CREATE TABLE IF NOT EXISTS assignments (
            assignment_id BIGINT PRIMARY KEY,
            lead_id VARCHAR NOT NULL,
            rep_id VARCHAR,
            rule VARCHAR NOT NULL,
            rule_index INTEGER,
            off_hours BOOLEAN NOT NULL,
            assigned_at TIMESTAMP NOT NULL,
            mql_transition_id BIGINT NOT NULL,
            mql_at TIMESTAMP NOT NULL,
            priority VARCHAR,
            replaces BIGINT,
            reason VARCHAR,
            contract_version VARCHAR NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS routing_pointers (
            rule VARCHAR PRIMARY KEY,
            last_rep_id VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS outbox (
            notification_id BIGINT PRIMARY KEY,
            kind VARCHAR NOT NULL,
            channel VARCHAR NOT NULL,
            lead_id VARCHAR,
            assignment_id BIGINT,
            breach_id BIGINT,
            target JSON NOT NULL,
            payload JSON NOT NULL,
            status VARCHAR NOT NULL,
            attempts INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL,
            backoff_first_s DOUBLE NOT NULL,
            backoff_factor DOUBLE NOT NULL,
            backoff_max_s DOUBLE NOT NULL,
            created_at TIMESTAMP NOT NULL,
            next_attempt_at TIMESTAMP NOT NULL,
            lease_until TIMESTAMP,
            delivered_at TIMESTAMP,
            last_error VARCHAR
        )""",
        """CREATE TABLE IF NOT EXISTS delivery_attempts (
            notification_id BIGINT NOT NULL,
            attempt INTEGER NOT NULL,
            attempted_at TIMESTAMP NOT NULL,
            ok BOOLEAN NOT NULL,
            status_code INTEGER,
            error VARCHAR,
            duration_ms DOUBLE
        )""",
        """CREATE TABLE IF NOT EXISTS dead_letters (
            notification_id BIGINT NOT NULL,
            died_at TIMESTAMP NOT NULL,
            attempts INTEGER NOT NULL,
            last_error VARCHAR,
            requeued_at TIMESTAMP
        )""",
        """CREATE TABLE IF NOT EXISTS sla_clocks (
            clock_id BIGINT PRIMARY KEY,
            lead_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            assignment_id BIGINT NOT NULL,
            mql_transition_id BIGINT NOT NULL,
            rep_id VARCHAR,
            priority VARCHAR,
            timezone VARCHAR NOT NULL,
            budget VARCHAR NOT NULL,
            budget_seconds DOUBLE NOT NULL,
            started_at TIMESTAMP NOT NULL,
            due_at TIMESTAMP NOT NULL,
            stopped_at TIMESTAMP,
            stopped_by VARCHAR,
            breached_at TIMESTAMP,
            contract_version VARCHAR NOT NULL,
            UNIQUE (assignment_id, kind)
        )""",
        """CREATE TABLE IF NOT EXISTS first_touches (
            lead_id VARCHAR NOT NULL,
            touched_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            recorded_at TIMESTAMP NOT NULL,
            clock_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS sla_breaches (
            breach_id BIGINT PRIMARY KEY,
            clock_id BIGINT NOT NULL UNIQUE,
            lead_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            rep_id VARCHAR,
            priority VARCHAR,
            started_at TIMESTAMP NOT NULL,
            due_at TIMESTAMP NOT NULL,
            detected_at TIMESTAMP NOT NULL,
            stopped_at TIMESTAMP,
            action VARCHAR NOT NULL,
            escalated_to VARCHAR,
            new_assignment_id BIGINT,
            contract_version VARCHAR NOT NULL
        )""",
    ],
    # learn (learn/): learned models as immutable, versioned artifacts that a
    # contract can pin (model.version); one row per version, never updated.
    [
        """CREATE TABLE IF NOT EXISTS models (
            model_version VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            target VARCHAR NOT NULL,
            trained_at TIMESTAMP NOT NULL,
            data_from TIMESTAMP,
            data_to TIMESTAMP,
            contract_version VARCHAR,
            features JSON NOT NULL,
            params JSON NOT NULL,
            metrics JSON NOT NULL,
            training JSON NOT NULL
        )""",
    ],
    # store (PostgreSQL): indexes for reading one lead (real-time scoring, moves,
    # history, explanations); DuckDB scans columns and skips them (OnlyOn).
    [
        OnlyOn("postgres", f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
        for name, target in (
            ("ix_activities_lead", "activities (lead_id, occurred_at)"),
            ("ix_leads_survivor", "leads ((coalesce(merged_into, lead_id)))"),
            ("ix_leads_account", "leads (account_id)"),
            ("ix_leads_email", "leads (email)"),
            ("ix_touches_lead", "touches (lead_id)"),
            ("ix_opportunities_lead", "opportunities (lead_id)"),
            ("ix_dispositions_lead", "dispositions (lead_id)"),
            ("ix_stage_history_lead", "stage_history (lead_id, changed_at)"),
            ("ix_stage_history_disposition", "stage_history (disposition_id)"),
            ("ix_score_snapshots_run", "score_snapshots (run_id, lead_id)"),
            ("ix_score_parts_run", "score_parts (run_id, lead_id)"),
        )
    ],
    # store (DuckDB): the same few lookups by lead, which DuckDB's column scans
    # cannot prune (ids are spread over every row group): re-scoring one lead
    # on 10M activities read them all (~200 ms); with these it reads its own.
    [
        OnlyOn("duckdb", f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
        for name, target in (
            ("ix_activities_lead", "activities (lead_id)"),
            ("ix_leads_account", "leads (account_id)"),
        )
    ],
    # store (PostgreSQL): json_merge_patch for imports and lead upserts
    [Rendered([JSON_MERGE_PATCH_PG], "postgres")],
    # store (PostgreSQL): duplicates merged into given leads.  Real-time scoring,
    # briefs and stage moves ask for them by survivor (merged_into = ANY(...));
    # without it each asked with a scan of every lead (~90 ms at 1M leads).
    [
        OnlyOn(
            "postgres",
            "CREATE INDEX IF NOT EXISTS ix_leads_merged ON leads (merged_into) "
            "WHERE merged_into IS NOT NULL",
        )
    ],
    # store (PostgreSQL): imports and lead upserts find stored leads by
    # lower(email) and accounts by lower(domain) (resolving references,
    # dedupe); without these each import or upsert read every lead.
    [
        OnlyOn("postgres", f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
        for name, target in (
            ("ix_leads_email_lower", "leads (lower(email))"),
            ("ix_accounts_domain_lower", "accounts (lower(domain))"),
        )
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)

# Tables whose rows are only ever appended; tests hold the store to this.
APPEND_ONLY_TABLES = (
    "activities",
    "touches",
    "dispositions",
    "stage_history",
    "account_stage_history",
    "score_snapshots",
    "score_parts",
    "merges",
    "qualifications",
    "entity_versions",
    "quarantine",
    "live_snapshots",
    "audit_log",
    "models",
    "assignments",
    "delivery_attempts",
    "first_touches",
)
