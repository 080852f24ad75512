-- The calls dashboard's figures per org and UTC day (GET /api/calls/stats).
--
-- Summing a window's calls costs ~3 µs a call even from the covering index:
-- 0.25 s for a busy org's month at a million calls, 3 s for its year, and
-- at 100 dashboards at once the gateway's deadline passed (make bench,
-- BENCH_ONLY=dashboard). So the sums are kept as they change: statement
-- triggers on call_logs add each statement's delta to one row per (org,
-- day) — one upsert per org and day a statement touched, not per call —
-- and the stats read whole days from here and only the window's two
-- partial edge days from call_logs.
--
-- Counts are kept exactly, in the writer's transaction: a call and its
-- figures commit or roll back together. Rows are upserted in (org, day)
-- order, so two writers touching the same days wait for each other instead
-- of deadlocking.

-- How a call's sentiment reads on the dashboard: Vapi's label when it is
-- one of ours (any case), a word of it otherwise, else the score. One
-- definition for the list filter, the stats and this rollup (inlined by
-- the planner: a plain SQL expression).
CREATE FUNCTION call_sentiment(p_label text, p_score double precision) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN p_label IN ('positive', 'neutral', 'negative') THEN p_label
                WHEN lower(p_label) IN ('positive', 'neutral', 'negative') THEN lower(p_label)
                WHEN p_label ~* '\m(negative|frustrated|angry)\M' THEN 'negative'
                WHEN p_label ~* '\m(positive|satisfied|happy)\M' THEN 'positive'
                WHEN p_label ~* '\m(neutral|mixed)\M' THEN 'neutral'
                WHEN p_score >= 0.6 THEN 'positive' WHEN p_score <= 0.4 THEN 'negative'
                WHEN p_score IS NOT NULL OR p_label IS NOT NULL THEN 'neutral' END
$$;

CREATE TABLE call_stats_daily (
    org_id              uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day                 date NOT NULL, -- (created_at AT TIME ZONE 'UTC')::date
    calls               bigint NOT NULL DEFAULT 0,
    inbound_calls       bigint NOT NULL DEFAULT 0,
    bookings            bigint NOT NULL DEFAULT 0,
    inbound_bookings    bigint NOT NULL DEFAULT 0,
    pipeline_value      numeric NOT NULL DEFAULT 0,
    duration_sum        bigint NOT NULL DEFAULT 0, -- over the calls with a duration
    duration_count      bigint NOT NULL DEFAULT 0,
    tier_hot            bigint NOT NULL DEFAULT 0,
    tier_warm           bigint NOT NULL DEFAULT 0,
    tier_cold           bigint NOT NULL DEFAULT 0,
    tier_unscored       bigint NOT NULL DEFAULT 0,
    sentiment_positive  bigint NOT NULL DEFAULT 0,
    sentiment_neutral   bigint NOT NULL DEFAULT 0,
    sentiment_negative  bigint NOT NULL DEFAULT 0,
    sentiment_unknown   bigint NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, day)
);
SELECT make_tenant_table('call_stats_daily');

-- Adds one statement's delta to the days it touched: +1 for each new row,
-- -1 for each old one (an update is both). Days whose every figure nets to
-- zero (an update that changed no figure: a transcript, a status) are not
-- written at all. Rows of an organization being deleted are skipped: its
-- days go with it (ON DELETE CASCADE).
CREATE FUNCTION call_stats_apply() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    -- Each event names only the transition tables it has.
    src text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, n.* FROM new_rows n'
        WHEN 'UPDATE' THEN 'SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1, o.* FROM old_rows o'
        ELSE 'SELECT -1 AS sign, o.* FROM old_rows o' END;
BEGIN
    EXECUTE format($q$
        WITH d AS (SELECT r.*, call_sentiment(r.sentiment_label, r.sentiment_score) AS dashboard_sentiment FROM (%s) r),
        agg AS (
            SELECT org_id, (created_at AT TIME ZONE 'UTC')::date AS day,
                   sum(sign) AS calls,
                   coalesce(sum(sign) FILTER (WHERE call_type = 'inbound'), 0) AS inbound_calls,
                   coalesce(sum(sign) FILTER (WHERE booking_confirmed), 0) AS bookings,
                   coalesce(sum(sign) FILTER (WHERE booking_confirmed AND call_type = 'inbound'), 0) AS inbound_bookings,
                   coalesce(sum(sign * financial_value), 0) AS pipeline_value,
                   coalesce(sum(sign * duration_seconds), 0) AS duration_sum,
                   coalesce(sum(sign) FILTER (WHERE duration_seconds IS NOT NULL), 0) AS duration_count,
                   coalesce(sum(sign) FILTER (WHERE lead_tier = 'hot'), 0) AS tier_hot,
                   coalesce(sum(sign) FILTER (WHERE lead_tier = 'warm'), 0) AS tier_warm,
                   coalesce(sum(sign) FILTER (WHERE lead_tier = 'cold'), 0) AS tier_cold,
                   coalesce(sum(sign) FILTER (WHERE lead_tier IS NULL), 0) AS tier_unscored,
                   coalesce(sum(sign) FILTER (WHERE dashboard_sentiment = 'positive'), 0) AS sentiment_positive,
                   coalesce(sum(sign) FILTER (WHERE dashboard_sentiment = 'neutral'), 0) AS sentiment_neutral,
                   coalesce(sum(sign) FILTER (WHERE dashboard_sentiment = 'negative'), 0) AS sentiment_negative,
                   coalesce(sum(sign) FILTER (WHERE dashboard_sentiment IS NULL), 0) AS sentiment_unknown
            FROM d
            WHERE EXISTS (SELECT 1 FROM organizations o WHERE o.id = d.org_id)
            GROUP BY 1, 2)
        INSERT INTO call_stats_daily AS s (org_id, day, calls, inbound_calls, bookings, inbound_bookings, pipeline_value, duration_sum, duration_count, tier_hot, tier_warm, tier_cold, tier_unscored, sentiment_positive, sentiment_neutral, sentiment_negative, sentiment_unknown)
        SELECT * FROM agg
        WHERE (calls, inbound_calls, bookings, inbound_bookings, pipeline_value, duration_sum, duration_count, tier_hot, tier_warm, tier_cold, tier_unscored, sentiment_positive, sentiment_neutral, sentiment_negative, sentiment_unknown) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        ORDER BY org_id, day
        ON CONFLICT (org_id, day) DO UPDATE SET
            calls = s.calls + EXCLUDED.calls,
            inbound_calls = s.inbound_calls + EXCLUDED.inbound_calls,
            bookings = s.bookings + EXCLUDED.bookings,
            inbound_bookings = s.inbound_bookings + EXCLUDED.inbound_bookings,
            pipeline_value = s.pipeline_value + EXCLUDED.pipeline_value,
            duration_sum = s.duration_sum + EXCLUDED.duration_sum,
            duration_count = s.duration_count + EXCLUDED.duration_count,
            tier_hot = s.tier_hot + EXCLUDED.tier_hot,
            tier_warm = s.tier_warm + EXCLUDED.tier_warm,
            tier_cold = s.tier_cold + EXCLUDED.tier_cold,
            tier_unscored = s.tier_unscored + EXCLUDED.tier_unscored,
            sentiment_positive = s.sentiment_positive + EXCLUDED.sentiment_positive,
            sentiment_neutral = s.sentiment_neutral + EXCLUDED.sentiment_neutral,
            sentiment_negative = s.sentiment_negative + EXCLUDED.sentiment_negative,
            sentiment_unknown = s.sentiment_unknown + EXCLUDED.sentiment_unknown
    $q$, src);
    RETURN NULL;
END
$$;

CREATE TRIGGER call_stats_inserted AFTER INSERT ON call_logs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION call_stats_apply();
CREATE TRIGGER call_stats_updated AFTER UPDATE ON call_logs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION call_stats_apply();
CREATE TRIGGER call_stats_deleted AFTER DELETE ON call_logs REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION call_stats_apply();

-- The calls stored before this migration.
INSERT INTO call_stats_daily (org_id, day, calls, inbound_calls, bookings, inbound_bookings, pipeline_value, duration_sum, duration_count, tier_hot, tier_warm, tier_cold, tier_unscored, sentiment_positive, sentiment_neutral, sentiment_negative, sentiment_unknown)
SELECT org_id, (created_at AT TIME ZONE 'UTC')::date,
       sum(1) AS calls,
                   coalesce(sum(1) FILTER (WHERE call_type = 'inbound'), 0) AS inbound_calls,
                   coalesce(sum(1) FILTER (WHERE booking_confirmed), 0) AS bookings,
                   coalesce(sum(1) FILTER (WHERE booking_confirmed AND call_type = 'inbound'), 0) AS inbound_bookings,
                   coalesce(sum(1 * financial_value), 0) AS pipeline_value,
                   coalesce(sum(1 * duration_seconds), 0) AS duration_sum,
                   coalesce(sum(1) FILTER (WHERE duration_seconds IS NOT NULL), 0) AS duration_count,
                   coalesce(sum(1) FILTER (WHERE lead_tier = 'hot'), 0) AS tier_hot,
                   coalesce(sum(1) FILTER (WHERE lead_tier = 'warm'), 0) AS tier_warm,
                   coalesce(sum(1) FILTER (WHERE lead_tier = 'cold'), 0) AS tier_cold,
                   coalesce(sum(1) FILTER (WHERE lead_tier IS NULL), 0) AS tier_unscored,
                   coalesce(sum(1) FILTER (WHERE dashboard_sentiment = 'positive'), 0) AS sentiment_positive,
                   coalesce(sum(1) FILTER (WHERE dashboard_sentiment = 'neutral'), 0) AS sentiment_neutral,
                   coalesce(sum(1) FILTER (WHERE dashboard_sentiment = 'negative'), 0) AS sentiment_negative,
                   coalesce(sum(1) FILTER (WHERE dashboard_sentiment IS NULL), 0) AS sentiment_unknown
FROM (SELECT c.*, call_sentiment(c.sentiment_label, c.sentiment_score) AS dashboard_sentiment FROM call_logs c) d
GROUP BY 1, 2;
