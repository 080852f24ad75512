-- The audit log (issue 12): who did what to an organization's data, for
-- its owners (GET /api/audit) and for the clinic's own compliance records —
-- sign-ins, settings and integration changes, exports, erasures, role
-- changes. One row per action, written in the same transaction as the
-- change it records, so an entry exists exactly when the change does.
--
-- Append-only for the services: the app role may add and read rows (under
-- the org's claims, like every tenant table) but never change or delete
-- one. Rows name what was touched by id and kind, never by a person's phone,
-- email, name or words: an erased contact leaves "contact <id> erased", not
-- who they were. They go with the organization (ON DELETE CASCADE).
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_user_id  text CHECK (length(actor_user_id) <= 128),
    actor_role     text CHECK (length(actor_role) <= 64),
    action         text NOT NULL CHECK (action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$' AND length(action) <= 64),
    target_type    text CHECK (length(target_type) <= 64),
    target_id      text CHECK (length(target_id) <= 128),
    details        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object' AND length(details::text) <= 4096),
    request_id     text CHECK (length(request_id) <= 128),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- The owner's page: newest first, by id (ids grow with time within a server).
CREATE INDEX audit_log_org_id_idx ON audit_log (org_id, id DESC);
SELECT make_tenant_table('audit_log');
REVOKE UPDATE, DELETE ON audit_log FROM voxanne_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO voxanne_app;
