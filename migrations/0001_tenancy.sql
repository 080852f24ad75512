-- Tenancy foundation: the application role, the claims reader used by every
-- row-level security policy, and the guards every tenant table shares.
--
-- Services connect as a role that is a member of voxanne_app and has no
-- BYPASSRLS. Every org's work runs in a transaction that first sets
-- request.jwt.claims (Supabase-compatible), so auth_org_id() names the org and
-- a query that forgets "WHERE org_id = …" still sees only that org's rows.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_app') THEN
        CREATE ROLE voxanne_app NOLOGIN NOBYPASSRLS;
    END IF;
    -- Owns the few cross-org look-ups (org by assistant id, by phone number).
    -- It reads through a SELECT-only policy instead of BYPASSRLS, so this also
    -- works on managed PostgreSQL where BYPASSRLS cannot be granted.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_resolver') THEN
        CREATE ROLE voxanne_resolver NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO voxanne_app, voxanne_resolver;

-- The org of the current transaction's claims, or NULL (which matches no row).
CREATE FUNCTION auth_org_id() RETURNS uuid
LANGUAGE sql STABLE
AS $$
    SELECT NULLIF(COALESCE(c #>> '{app_metadata,org_id}', c ->> 'org_id'), '')::uuid
    FROM (SELECT NULLIF(current_setting('request.jwt.claims', true), '')::jsonb AS c) AS claims
$$;

-- org_id is fixed at insert: moving a row to another tenant is never legitimate.
CREATE FUNCTION forbid_org_id_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.org_id IS DISTINCT FROM OLD.org_id THEN
        RAISE EXCEPTION 'org_id of % cannot be changed', TG_TABLE_NAME USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- Phone numbers are E.164 everywhere (SPEC hard rule 9).
CREATE DOMAIN e164 AS text CHECK (VALUE ~ '^\+[1-9][0-9]{6,14}$');

-- What makes a table a tenant table, in one place: row-level security enabled
-- and forced, the tenant_isolation policy, org_id fixed at insert, updated_at
-- maintained, and the application role's privileges. Every migration that
-- creates a tenant table calls this instead of repeating the statements.
CREATE FUNCTION make_tenant_table(t regclass) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    name text := (SELECT relname FROM pg_class WHERE oid = t);
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (org_id = auth_org_id()) '
                   'WITH CHECK (org_id = auth_org_id())', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION forbid_org_id_change()',
                   name || '_org_id_immutable', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
                   name || '_updated_at', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO voxanne_app', t);
END
$$;
