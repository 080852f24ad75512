-- Reconciliation with Vapi (webhook-ingest, services/webhook-ingest/reconcile.c).
--
-- Vapi does not retry webhooks by default, so webhook-ingest periodically
-- lists the calls Vapi made and feeds those we have no final record of
-- through the normal, idempotent path. Which calls those are is a question
-- across every org, and call_logs' row-level security (forced) shows a
-- service nothing outside an org's transaction. calls_without_final_record()
-- answers that one question and nothing more: given call ids, the subset
-- without a 'completed' row. It reveals no org, no column, no other call: an
-- id the caller does not already know (Vapi's ids are UUIDs) cannot be asked.

-- Owns the look-up, as voxanne_resolver owns the org look-ups (0002) and
-- voxanne_janitor the purge (0007): a role that cannot log in, that reads
-- the two columns the answer needs through a SELECT-only policy (no
-- BYPASSRLS, which managed PostgreSQL may not grant).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_reconciler') THEN
        CREATE ROLE voxanne_reconciler NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO voxanne_reconciler;
GRANT SELECT (vapi_call_id, status) ON call_logs TO voxanne_reconciler;
CREATE POLICY reconciler_read ON call_logs FOR SELECT TO voxanne_reconciler USING (true);

-- The ids of p_call_ids (at most 1000, else 22023; NULLs and repeats
-- ignored) that have no call_logs row with status 'completed' (the final
-- record an end-of-call report writes). Uses call_logs' unique index on
-- vapi_call_id.
CREATE FUNCTION calls_without_final_record(p_call_ids text[]) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    IF p_call_ids IS NULL THEN
        RETURN;
    END IF;
    IF cardinality(p_call_ids) > 1000 THEN
        RAISE EXCEPTION 'at most 1000 call ids at a time (given: %)', cardinality(p_call_ids) USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
        SELECT DISTINCT ids.id
        FROM unnest(p_call_ids) AS ids (id)
        WHERE ids.id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM call_logs c WHERE c.vapi_call_id = ids.id AND c.status = 'completed');
END
$$;
ALTER FUNCTION calls_without_final_record(text[]) OWNER TO voxanne_reconciler;
REVOKE ALL ON FUNCTION calls_without_final_record(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calls_without_final_record(text[]) TO voxanne_app;
