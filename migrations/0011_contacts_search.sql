-- The dashboard's contacts (services/dashboard-api/contacts.c): a search
-- that stays indexed however many contacts there are, and a contact's calls
-- found without reading the whole call log.
--
-- 1. GET /api/contacts?q= matches a substring of the name ("first last") or
--    of the email, case-insensitively, and a prefix of the phone's digits:
--    LIKE '%…%', which no B-tree serves. Trigram indexes (GIN, pg_trgm, in
--    PostgreSQL's contrib like btree_gist) do. The name's expression is
--    immutable (concat_ws is not) and must stay exactly the text of
--    contact_search_ids below, or the planner cannot use the index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX contacts_name_trgm_idx ON contacts
    USING gin (lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) gin_trgm_ops);
CREATE INDEX contacts_email_trgm_idx ON contacts USING gin (lower(email) gin_trgm_ops);
-- A prefix of the number: the (org_id, phone) B-tree serves LIKE 'prefix%'
-- only under the C collation, this one under any.
CREATE INDEX contacts_phone_trgm_idx ON contacts USING gin ((phone::text) gin_trgm_ops);

-- 2. Under row-level security those indexes are never used. The planner
--    must apply the policy (org_id = auth_org_id()) before any condition
--    that is not LEAKPROOF, and LIKE (textlike) is not: as the services'
--    role, a search read every contact of the org, or of every org when one
--    org is a large part of the table (measured: a sequential scan of 400,000
--    rows for 9 matches, against 15 heap blocks through the indexes).
--
--    So the search runs as voxanne_searcher, a role that cannot log in and
--    reads the contact's searchable columns through a SELECT-only policy
--    (no BYPASSRLS, as voxanne_resolver, 0002), inside one SECURITY DEFINER
--    function that is itself scoped to the transaction's org: it filters on
--    auth_org_id(), the very expression of the tenant policies, and answers
--    contact ids only. It therefore reveals nothing the caller could not read
--    under its own claims; the caller reads the rows themselves under row-
--    level security as always (and with no claims it gets nothing).
--
--    EXECUTE … USING plans the statement for the given patterns every time
--    (a one-shot plan): a pattern with trigrams (three letters or digits in
--    a row) goes through the trigram indexes, a shorter one, which matches
--    a large part of the org anyway, through the org's rows (contacts'
--    (org_id, …) indexes). A cached generic plan would take the same path
--    for both. The SQL text is constant: the patterns are parameters.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_searcher') THEN
        CREATE ROLE voxanne_searcher NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO voxanne_searcher;
GRANT SELECT (id, org_id, first_name, last_name, email, phone) ON contacts TO voxanne_searcher;
CREATE POLICY searcher_read ON contacts FOR SELECT TO voxanne_searcher USING (true);

-- The ids of the current org's contacts whose lower-cased "first last" or
-- email is LIKE lower(p_text), or whose phone is LIKE p_phone (NULL: the
-- phone is not searched). Patterns use LIKE's backslash escapes; at most
-- 1000 and 40 characters (else 22023).
CREATE FUNCTION contact_search_ids(p_text text, p_phone text) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 100
AS $$
BEGIN
    IF length(p_text) > 1000 OR length(p_phone) > 40 THEN
        RAISE EXCEPTION 'search pattern too long' USING ERRCODE = '22023';
    END IF;
    IF p_text IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        'SELECT id FROM contacts WHERE org_id = auth_org_id() AND ('
        ' lower(coalesce(first_name, '''') || '' '' || coalesce(last_name, '''')) LIKE lower($1)'
        ' OR lower(email) LIKE lower($1)'
        ' OR ($2 IS NOT NULL AND phone::text LIKE $2))'
        USING p_text, p_phone;
END
$$;
ALTER FUNCTION contact_search_ids(text, text) OWNER TO voxanne_searcher;
REVOKE ALL ON FUNCTION contact_search_ids(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION contact_search_ids(text, text) TO voxanne_app;

-- 3. A contact's calls, newest first (the detail view), and what deleting a
--    contact does to call_logs (ON DELETE SET NULL (contact_id) finds the
--    referencing rows by (org_id, contact_id)): without an index both read
--    every call of every org. Calls linked to no contact are left out.
CREATE INDEX call_logs_org_contact_idx ON call_logs (org_id, contact_id, created_at DESC) WHERE contact_id IS NOT NULL;
