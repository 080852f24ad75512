-- The calls dashboard's figures per org and UTC day (GET /api/calls/stats).
--
-- Summing a window's calls costs ~3 µs a call even from the covering index:
-- 0.25 s for a busy org's month at a million calls, 3 s for its year, and
-- at 100 dashboards at once the gateway's deadline passed (make bench,
-- BENCH_ONLY=dashboard). So the sums are kept as they change, in two parts:
--
--   call_stats_delta  what each statement changed: statement triggers on
--                     call_logs append one row per (org, day) it touched —
--                     an INSERT only, in the writer's transaction, so
--                     webhook-ingest's workers never wait for each other
--                     on a shared row (an upsert of one row per org and day
--                     would serialize every batch of a busy org, and
--                     deadlock batches of several orgs written in opposite
--                     orders);
--   call_stats_daily  the folded sums: call_stats_fold() moves deltas into
--                     it (dashboard-api does every few seconds; SKIP LOCKED,
--                     so replicas share the work).
--
-- call_stats_days is both, and exact at any moment: a delta commits or
-- rolls back with the calls it counts, and a fold moves rows in one
-- statement. The stats read whole days from it and only the window's two
-- partial edge days from call_logs.

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

-- What statements changed, not yet folded into call_stats_daily.
CREATE TABLE call_stats_delta (
    id                  bigserial PRIMARY KEY,
    org_id              uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day                 date NOT NULL,
    calls               bigint NOT NULL,
    inbound_calls       bigint NOT NULL,
    bookings            bigint NOT NULL,
    inbound_bookings    bigint NOT NULL,
    pipeline_value      numeric NOT NULL,
    duration_sum        bigint NOT NULL,
    duration_count      bigint NOT NULL,
    tier_hot            bigint NOT NULL,
    tier_warm           bigint NOT NULL,
    tier_cold           bigint NOT NULL,
    tier_unscored       bigint NOT NULL,
    sentiment_positive  bigint NOT NULL,
    sentiment_neutral   bigint NOT NULL,
    sentiment_negative  bigint NOT NULL,
    sentiment_unknown   bigint NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_stats_delta_org_day_idx ON call_stats_delta (org_id, day);
SELECT make_tenant_table('call_stats_delta');
GRANT USAGE ON SEQUENCE call_stats_delta_id_seq TO voxanne_app;
-- The services' role appends deltas and reads both tables under its org's
-- claims; folding is call_stats_fold()'s alone.
REVOKE UPDATE, DELETE ON call_stats_delta FROM voxanne_app;
REVOKE INSERT, UPDATE, DELETE ON call_stats_daily FROM voxanne_app;

-- Both parts as one set of rows, read under the caller's row-level security.
CREATE VIEW call_stats_days WITH (security_invoker = true) AS
    SELECT org_id, day, calls, inbound_calls, bookings, inbound_bookings, pipeline_value, duration_sum, duration_count, tier_hot, tier_warm, tier_cold, tier_unscored, sentiment_positive, sentiment_neutral, sentiment_negative, sentiment_unknown FROM call_stats_daily
    UNION ALL
    SELECT org_id, day, calls, inbound_calls, bookings, inbound_bookings, pipeline_value, duration_sum, duration_count, tier_hot, tier_warm, tier_cold, tier_unscored, sentiment_positive, sentiment_neutral, sentiment_negative, sentiment_unknown FROM call_stats_delta;
GRANT SELECT ON call_stats_days TO voxanne_app;

-- Appends one statement's delta for the days it touched: +1 for each new
-- row, -1 for each old one (an update is both). Days whose every figure nets
-- to zero (an update that changed no figure: a transcript, a status) add
-- nothing. Rows of an organization being deleted are skipped: its days go
-- with it (ON DELETE CASCADE).
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
        INSERT INTO call_stats_delta (org_id, day, calls, inbound_calls, bookings, inbound_bookings, pipeline_value, duration_sum, duration_count, tier_hot, tier_warm, tier_cold, tier_unscored, sentiment_positive, sentiment_neutral, sentiment_negative, sentiment_unknown)
        SELECT * FROM agg
        WHERE (calls, inbound_calls, bookings, inbound_bookings, pipeline_value, duration_sum, duration_count, tier_hot, tier_warm, tier_cold, tier_unscored, sentiment_positive, sentiment_neutral, sentiment_negative, sentiment_unknown) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
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

-- The folding, for every org at once: its own role, whose policies are on
-- these two tables alone.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_rollup') THEN
        CREATE ROLE voxanne_rollup NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO voxanne_rollup;
-- (UPDATE only so that it may lock the rows it folds: FOR UPDATE asks for it.)
GRANT SELECT, DELETE, UPDATE (updated_at) ON call_stats_delta TO voxanne_rollup;
GRANT SELECT, INSERT, UPDATE ON call_stats_daily TO voxanne_rollup;
CREATE POLICY rollup_fold ON call_stats_delta TO voxanne_rollup USING (true);
CREATE POLICY rollup_fold ON call_stats_daily TO voxanne_rollup USING (true) WITH CHECK (true);

-- Folds up to p_limit of the oldest deltas into call_stats_daily, in one
-- statement (the rows leave the one table as they reach the other), rows
-- another folder holds skipped. Returns how many were folded: p_limit
-- means there may be more.
CREATE FUNCTION call_stats_fold(p_limit integer) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH picked AS (SELECT id FROM call_stats_delta ORDER BY id LIMIT p_limit FOR UPDATE SKIP LOCKED),
    moved AS (DELETE FROM call_stats_delta d USING picked p WHERE d.id = p.id RETURNING d.*),
    agg AS (SELECT org_id, day,
               sum(calls),
               sum(inbound_calls),
               sum(bookings),
               sum(inbound_bookings),
               sum(pipeline_value),
               sum(duration_sum),
               sum(duration_count),
               sum(tier_hot),
               sum(tier_warm),
               sum(tier_cold),
               sum(tier_unscored),
               sum(sentiment_positive),
               sum(sentiment_neutral),
               sum(sentiment_negative),
               sum(sentiment_unknown)
            FROM moved GROUP BY 1, 2),
    folded AS (
        INSERT INTO call_stats_daily AS s (org_id, day, calls, inbound_calls, bookings, inbound_bookings, pipeline_value, duration_sum, duration_count, tier_hot, tier_warm, tier_cold, tier_unscored, sentiment_positive, sentiment_neutral, sentiment_negative, sentiment_unknown)
        SELECT * FROM agg ORDER BY org_id, day
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
        RETURNING 1)
    SELECT count(*)::integer FROM moved
$$;
ALTER FUNCTION call_stats_fold(integer) OWNER TO voxanne_rollup;
REVOKE ALL ON FUNCTION call_stats_fold(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION call_stats_fold(integer) TO voxanne_app;

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
