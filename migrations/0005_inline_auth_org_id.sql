-- auth_org_id() as one expression, so the planner inlines it into every
-- row-level security policy.
--
-- The 0001 version read the claims through a FROM subquery. PostgreSQL cannot
-- inline such a SQL function: it ran it through the SQL-function executor,
-- which parses and plans its body again on every query that touches a tenant
-- table (profiled: the parser was the largest single cost of a one-row
-- lookup). A single SELECT expression without FROM is inlined at plan time and
-- cached with the plan. Same result for every input: the org id from
-- app_metadata, else a top-level org_id, NULL when absent or empty.
CREATE OR REPLACE FUNCTION auth_org_id() RETURNS uuid
LANGUAGE sql STABLE
AS $$
    SELECT NULLIF(COALESCE(NULLIF(current_setting('request.jwt.claims', true), '')::jsonb #>> '{app_metadata,org_id}',
                           NULLIF(current_setting('request.jwt.claims', true), '')::jsonb ->> 'org_id'), '')::uuid
$$;
