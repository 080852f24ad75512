-- What the application role may do to its own organization's row: read it,
-- create it (sign-up runs under the new org's claims) and rename it. Not
-- delete it (every tenant row would go with it, ON DELETE CASCADE), and not
-- change its status: suspending or reactivating an organization is an
-- operator's decision, made as the schema owner, never by the tenant's own
-- requests. updated_at stays current through its trigger.
REVOKE UPDATE, DELETE ON organizations FROM voxanne_app;
GRANT UPDATE (name) ON organizations TO voxanne_app;
