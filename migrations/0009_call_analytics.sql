-- Post-call analytics (webhook-ingest): what a call was worth, how hot the
-- caller is and why, and the jobs it leaves for other services.
--
-- 1. call_logs gains the analytics of the end-of-call report, named as the
--    earlier implementation's dashboard reads them (booking_confirmed,
--    financial_value, recording_status), plus the lead score with its
--    reasons: a score the owner cannot explain is a score they do not trust.
ALTER TABLE call_logs
    ADD COLUMN booking_confirmed   boolean NOT NULL DEFAULT false,
    ADD COLUMN financial_value     numeric(12, 2) CHECK (financial_value >= 0),
    ADD COLUMN recording_status    text CHECK (recording_status IN ('pending', 'processing', 'completed', 'failed')),
    ADD COLUMN sentiment_source    text CHECK (sentiment_source IN ('vapi', 'inferred')),
    ADD COLUMN lead_score          integer CHECK (lead_score BETWEEN 0 AND 100),
    ADD COLUMN lead_tier           text CHECK (lead_tier IN ('hot', 'warm', 'cold')),
    ADD COLUMN lead_score_reasons  jsonb,
    -- `hang` messages: Vapi saying the assistant stalled (a slow model, voice
    -- or tool), counted per call so an owner sees which calls suffered.
    ADD COLUMN hang_count          integer NOT NULL DEFAULT 0 CHECK (hang_count >= 0);

CREATE INDEX call_logs_org_tier_idx ON call_logs (org_id, lead_tier, created_at DESC);

-- Messages already counted, where the message has no natural key of its own
-- (a `hang` is "one more stall on this call"): keyed on the gateway's request
-- id, which a JetStream redelivery keeps.
CREATE TABLE ingest_processed (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    request_id  text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 128),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, request_id)
);
SELECT make_tenant_table('ingest_processed');

-- 2. Per-org choices of the analytics: transcripts are redacted unless the
--    owner turns it off; a lead scoring at least the threshold alerts the owner.
ALTER TABLE org_settings
    ADD COLUMN redact_transcripts  boolean NOT NULL DEFAULT true,
    ADD COLUMN hot_lead_threshold  integer NOT NULL DEFAULT 70 CHECK (hot_lead_threshold BETWEEN 1 AND 100);

-- 3. The jobs a stored report leaves (a hot-lead alert for the notifier),
--    written in the report's own transaction so a job exists exactly when
--    the report does, then published to the WORK stream after the commit.
--    job_key is the job's identity (its Nats-Msg-Id too): a redelivered
--    report inserts nothing new, however late it comes, because rows stay
--    (published_at set) until the retention purge. No PHI here: a job names
--    the call and the contact, the notifier reads the rest under the org.
CREATE TABLE work_outbox (
    id            bigserial PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    job_key       text NOT NULL UNIQUE CHECK (length(job_key) BETWEEN 1 AND 200),
    subject       text NOT NULL CHECK (subject LIKE 'work.%'),
    payload       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX work_outbox_unpublished_idx ON work_outbox (created_at) WHERE published_at IS NULL;
SELECT make_tenant_table('work_outbox');
GRANT USAGE ON SEQUENCE work_outbox_id_seq TO voxanne_app;

-- The relay's cross-org look-up: which orgs have jobs left unpublished for a
-- while (a publisher died between its commit and its publish). It reveals
-- org ids only; the jobs are then read under each org's own claims.
CREATE FUNCTION work_outbox_orgs_pending(p_older_than_ms integer, p_max_orgs integer) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT DISTINCT org_id FROM work_outbox
    WHERE published_at IS NULL AND created_at < now() - make_interval(secs => p_older_than_ms / 1000.0)
    LIMIT p_max_orgs
$$;
ALTER FUNCTION work_outbox_orgs_pending(integer, integer) OWNER TO voxanne_janitor;
-- The janitor sees which rows exist and when, never a payload.
GRANT SELECT (id, org_id, created_at, published_at) ON work_outbox TO voxanne_janitor;
CREATE POLICY janitor_read ON work_outbox FOR SELECT TO voxanne_janitor USING (true);
REVOKE ALL ON FUNCTION work_outbox_orgs_pending(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION work_outbox_orgs_pending(integer, integer) TO voxanne_app;

-- Published jobs and processed-message keys are kept p_keep_days (the guard
-- against a very late redelivery), then deleted by the same janitor as
-- parked messages; returns how many rows went (call again while it returns
-- p_max_rows or more).
CREATE FUNCTION purge_ingest_bookkeeping(p_keep_days integer, p_max_rows integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    n bigint;
    m bigint;
BEGIN
    IF p_keep_days IS NULL OR p_keep_days < 1 OR p_max_rows IS NULL OR p_max_rows < 1 THEN
        RAISE EXCEPTION 'bad purge bounds (%, %)', p_keep_days, p_max_rows USING ERRCODE = '22023';
    END IF;
    DELETE FROM work_outbox
    WHERE id IN (SELECT id FROM work_outbox
                 WHERE published_at IS NOT NULL AND published_at < now() - make_interval(days => p_keep_days)
                 ORDER BY published_at LIMIT p_max_rows);
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM ingest_processed
    WHERE (org_id, request_id) IN (SELECT org_id, request_id FROM ingest_processed
                                   WHERE created_at < now() - make_interval(days => p_keep_days)
                                   ORDER BY created_at LIMIT p_max_rows);
    GET DIAGNOSTICS m = ROW_COUNT;
    RETURN n + m;
END
$$;
ALTER FUNCTION purge_ingest_bookkeeping(integer, integer) OWNER TO voxanne_janitor;
GRANT DELETE ON work_outbox TO voxanne_janitor;
CREATE POLICY janitor_purge ON work_outbox FOR DELETE TO voxanne_janitor USING (published_at IS NOT NULL);
GRANT SELECT (org_id, request_id, created_at), DELETE ON ingest_processed TO voxanne_janitor;
CREATE POLICY janitor_read ON ingest_processed FOR SELECT TO voxanne_janitor USING (true);
CREATE POLICY janitor_purge ON ingest_processed FOR DELETE TO voxanne_janitor USING (true);
REVOKE ALL ON FUNCTION purge_ingest_bookkeeping(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_ingest_bookkeeping(integer, integer) TO voxanne_app;
