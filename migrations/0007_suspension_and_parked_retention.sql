-- A suspended organization gets no service, and parked messages are
-- write-only for the application role and kept for a limited time.
--
-- 1. The look-ups that place a Vapi message (0002) checked only that the key
--    existed; org_exists alone checked the status. A suspended org's calls
--    were still answered by tool-router and stored by webhook-ingest. Every
--    look-up now answers active organizations only, so a suspended org's
--    messages are treated like an unknown org's (tool-router says it is not
--    set up, webhook-ingest parks them). Suspending already notifies the
--    services' caches (organizations_changed_notify, 0004). Same signatures:
--    CREATE OR REPLACE keeps each function's owner (voxanne_resolver) and
--    grants.
CREATE OR REPLACE FUNCTION org_for_assistant(p_assistant_id text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT a.org_id FROM agents a JOIN organizations o ON o.id = a.org_id
    WHERE a.vapi_assistant_id = p_assistant_id AND o.status = 'active'
$$;

CREATE OR REPLACE FUNCTION org_for_phone_number_id(p_phone_number_id text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT a.org_id FROM agents a JOIN organizations o ON o.id = a.org_id
    WHERE a.vapi_phone_number_id = p_phone_number_id AND o.status = 'active'
$$;

CREATE OR REPLACE FUNCTION org_for_phone_number(p_number text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT a.org_id FROM agents a JOIN organizations o ON o.id = a.org_id
    WHERE a.phone_number::text = p_number AND o.status = 'active'
$$;

-- 2. parked_messages holds whole Vapi messages of every org (credentials
--    masked by webhook-ingest, but transcripts and callers' numbers in
--    clear), with no org to scope them by row-level security. The services
--    only ever add to it; reading is the operator's (as the schema owner).
--    Nothing deleted it, so it grew for ever: purge_parked_messages()
--    deletes rows older than a retention of at least one day, and
--    webhook-ingest calls it periodically (PARKED_RETENTION_DAYS).
REVOKE SELECT, UPDATE, DELETE, TRUNCATE ON parked_messages FROM voxanne_app;

CREATE INDEX parked_messages_received_idx ON parked_messages (received_at);

-- Owns the retention purges, as voxanne_resolver owns the look-ups: a role
-- that can log in never holds the right to read or delete parked rows.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_janitor') THEN
        CREATE ROLE voxanne_janitor NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO voxanne_janitor;
GRANT SELECT, DELETE ON parked_messages TO voxanne_janitor;

-- Deletes up to p_max_rows parked messages received more than p_keep_days
-- days ago, oldest first, and returns how many it deleted (call again while
-- it returns p_max_rows). Refuses (22023) to keep less than a day, so a
-- compromised service cannot erase what an operator has not seen yet.
CREATE FUNCTION purge_parked_messages(p_keep_days integer, p_max_rows integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    IF p_keep_days IS NULL OR p_keep_days < 1 THEN
        RAISE EXCEPTION 'parked messages are kept at least one day (asked: %)', p_keep_days USING ERRCODE = '22023';
    END IF;
    IF p_max_rows IS NULL OR p_max_rows < 1 THEN
        RAISE EXCEPTION 'p_max_rows must be positive (asked: %)', p_max_rows USING ERRCODE = '22023';
    END IF;
    DELETE FROM parked_messages
    WHERE id IN (SELECT id FROM parked_messages
                 WHERE received_at < now() - make_interval(days => p_keep_days)
                 ORDER BY received_at LIMIT p_max_rows);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
ALTER FUNCTION purge_parked_messages(integer, integer) OWNER TO voxanne_janitor;
REVOKE ALL ON FUNCTION purge_parked_messages(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_parked_messages(integer, integer) TO voxanne_app;
