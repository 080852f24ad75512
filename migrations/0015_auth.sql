-- Built-in sign-in (issue 12): users, their refresh tokens, invitations and
-- the failed-login counters, and what a new organization starts with.
--
-- Who may touch what:
--   * users is a tenant table: an org's members are its users (one org per
--     user, as a Supabase token names one org in app_metadata). The app role
--     reads them under the org's claims like every tenant row, but never
--     their password hashes: it may not SELECT that column at all.
--   * Signing in starts from an email or a token, before any org is known,
--     so those look-ups are SECURITY DEFINER functions owned by
--     voxanne_authn, a NOLOGIN role that holds the only read grants on the
--     hash and token columns, each through a policy for that role alone.
--     Each function answers exactly one question (this email's hash, this
--     token's session) and nothing that lists anyone.
--   * Refresh tokens, invitation tokens and throttle keys are stored as
--     SHA-256 digests: the database never holds one that could be replayed.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_authn') THEN
        CREATE ROLE voxanne_authn NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO voxanne_authn;

CREATE TABLE users (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Lower-cased by dashboard-api before it gets here; unique across the
    -- platform, since an email signs in before its org is known.
    email            text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash    text NOT NULL CHECK (password_hash ~ '^\$(y|2b|gy|7)\$' AND length(password_hash) <= 255),
    role             text NOT NULL CHECK (role IN ('owner', 'staff')),
    last_sign_in_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX users_email_key ON users (email);
SELECT make_tenant_table('users');
-- Members are listed, their role changed and removed under the org's claims;
-- the hash is written at sign-up and invitation, and read only by
-- auth_user_for_login.
REVOKE SELECT, INSERT, UPDATE ON users FROM voxanne_app;
GRANT SELECT (id, org_id, email, role, last_sign_in_at, created_at, updated_at) ON users TO voxanne_app;
GRANT INSERT (id, org_id, email, password_hash, role) ON users TO voxanne_app;
GRANT UPDATE (role) ON users TO voxanne_app;
GRANT SELECT (id, org_id, email, password_hash, role), UPDATE (last_sign_in_at) ON users TO voxanne_authn;
CREATE POLICY authn_users ON users TO voxanne_authn USING (true) WITH CHECK (true);

-- One row per refresh token ever issued. A token is used once: refreshing
-- marks it used and issues its child in the same family. A used token shown
-- again means it was copied, so the whole family (every device session
-- descended from that sign-in) is revoked (RFC 6819 §5.2.2.3; OAuth 2.0
-- Security BCP §4.14.2).
CREATE TABLE refresh_tokens (
    id          bigserial PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id) WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (org_id, user_id) WHERE revoked_at IS NULL;
SELECT make_tenant_table('refresh_tokens');
-- The app role issues a session's first token under the org's claims (sign-up,
-- login) and revokes a removed member's; refreshing and signing out start
-- from the token alone (the functions below).
REVOKE SELECT, UPDATE, DELETE ON refresh_tokens FROM voxanne_app;
GRANT SELECT (id, org_id, user_id, family_id, revoked_at), UPDATE (revoked_at) ON refresh_tokens TO voxanne_app;
GRANT USAGE ON SEQUENCE refresh_tokens_id_seq TO voxanne_app, voxanne_authn;
GRANT SELECT, INSERT, UPDATE (used_at, revoked_at) ON refresh_tokens TO voxanne_authn;
CREATE POLICY authn_refresh_tokens ON refresh_tokens TO voxanne_authn USING (true) WITH CHECK (true);

-- An owner's invitation of a staff member: the token is mailed by the owner
-- (shown once in the answer), accepted once, within its lifetime.
CREATE TABLE invitations (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    role          text NOT NULL DEFAULT 'staff' CHECK (role IN ('owner', 'staff')),
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    invited_by    uuid,
    expires_at    timestamptz NOT NULL,
    accepted_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- One open invitation per email and org.
CREATE UNIQUE INDEX invitations_open_key ON invitations (org_id, email) WHERE accepted_at IS NULL;
SELECT make_tenant_table('invitations');
REVOKE SELECT, UPDATE ON invitations FROM voxanne_app;
GRANT SELECT (id, org_id, email, role, invited_by, expires_at, accepted_at, created_at, updated_at) ON invitations TO voxanne_app;
GRANT SELECT (id, org_id, email, role, token_hash, expires_at, accepted_at), UPDATE (accepted_at) ON invitations TO voxanne_authn;
CREATE POLICY authn_invitations ON invitations TO voxanne_authn USING (true) WITH CHECK (true);

-- Failed sign-ins per key (a digest of "email:<address>" or "ip:<address>")
-- in fixed windows. Not a tenant table: it is about would-be callers, not an
-- org's data; only voxanne_authn's functions touch it.
CREATE TABLE auth_throttle (
    key           bytea PRIMARY KEY CHECK (length(key) = 32),
    window_start  timestamptz NOT NULL,
    failures      integer NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON auth_throttle TO voxanne_authn;

-- The hash, user and org of an email, for checking a password (no row: no
-- such user). The org's status is returned so a suspended org's users are
-- refused after the password check, with the same answer as a wrong one.
CREATE FUNCTION auth_user_for_login(p_email text)
RETURNS TABLE (user_id uuid, org_id uuid, role text, password_hash text, org_active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT u.id, u.org_id, u.role, u.password_hash, org_exists(u.org_id)
    FROM users u WHERE u.email = lower(p_email)
$$;

-- Records a successful sign-in and clears the email's failures.
CREATE FUNCTION auth_signed_in(p_user uuid, p_keys bytea[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    UPDATE users SET last_sign_in_at = now() WHERE id = p_user;
    DELETE FROM auth_throttle WHERE key = ANY (p_keys);
$$;

-- Seconds until each key may try again (0: now), for keys with at least
-- p_limit failures in the current window of p_window_s seconds.
CREATE FUNCTION auth_throttle_wait(p_keys bytea[], p_limit integer, p_window_s integer) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT coalesce(max(ceil(extract(epoch FROM window_start + make_interval(secs => p_window_s) - now())))::integer, 0)
    FROM auth_throttle
    WHERE key = ANY (p_keys) AND failures >= p_limit AND window_start + make_interval(secs => p_window_s) > now()
$$;

-- Counts one failure against each key (a new window when the old one ended).
CREATE FUNCTION auth_throttle_fail(p_keys bytea[], p_window_s integer) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    INSERT INTO auth_throttle AS t (key, window_start, failures)
    SELECT k, now(), 1 FROM unnest(p_keys) AS k
    ON CONFLICT (key) DO UPDATE
    SET window_start = CASE WHEN t.window_start + make_interval(secs => p_window_s) <= now() THEN now() ELSE t.window_start END,
        failures = CASE WHEN t.window_start + make_interval(secs => p_window_s) <= now() THEN 1 ELSE t.failures + 1 END;
    DELETE FROM auth_throttle WHERE window_start < now() - interval '1 day';
$$;

-- Rotates a refresh token: p_hash's token is used up and p_new_hash issued in
-- its family, valid for p_ttl_s seconds. status says what happened:
--   ok       rotated; the user's current org and role are returned (a role
--            change takes effect at the next refresh)
--   reused   the token was used before: its family is revoked
--   invalid  no such token, or revoked, expired, its user gone or the org
--            not active (an unknown and a revoked token look the same)
CREATE FUNCTION auth_refresh_rotate(p_hash bytea, p_new_hash bytea, p_ttl_s integer)
RETURNS TABLE (status text, user_id uuid, org_id uuid, role text, email text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    t_id bigint;
    t_org uuid;
    t_user uuid;
    t_family uuid;
    t_expires timestamptz;
    t_used timestamptz;
    t_revoked timestamptz;
    u_role text;
    u_email text;
BEGIN
    SELECT r.id, r.org_id, r.user_id, r.family_id, r.expires_at, r.used_at, r.revoked_at
    INTO t_id, t_org, t_user, t_family, t_expires, t_used, t_revoked
    FROM refresh_tokens r WHERE r.token_hash = p_hash FOR UPDATE;
    IF NOT FOUND OR t_revoked IS NOT NULL THEN
        RETURN QUERY SELECT 'invalid'::text, NULL::uuid, NULL::uuid, NULL::text, NULL::text;
        RETURN;
    END IF;
    IF t_used IS NOT NULL THEN
        UPDATE refresh_tokens r SET revoked_at = now() WHERE r.family_id = t_family AND r.revoked_at IS NULL;
        RETURN QUERY SELECT 'reused'::text, t_user, t_org, NULL::text, NULL::text;
        RETURN;
    END IF;
    SELECT x.role, x.email INTO u_role, u_email FROM users x WHERE x.id = t_user AND x.org_id = t_org;
    IF t_expires <= now() OR NOT FOUND OR NOT org_exists(t_org) THEN
        UPDATE refresh_tokens r SET revoked_at = now() WHERE r.family_id = t_family AND r.revoked_at IS NULL;
        RETURN QUERY SELECT 'invalid'::text, NULL::uuid, NULL::uuid, NULL::text, NULL::text;
        RETURN;
    END IF;
    UPDATE refresh_tokens r SET used_at = now() WHERE r.id = t_id;
    INSERT INTO refresh_tokens (org_id, user_id, family_id, token_hash, expires_at)
    VALUES (t_org, t_user, t_family, p_new_hash, now() + make_interval(secs => p_ttl_s));
    RETURN QUERY SELECT 'ok'::text, t_user, t_org, u_role, u_email;
END
$$;

-- Signs out: revokes the family of p_hash's token (a no-op for an unknown
-- one). Returns the org and user it belonged to when it revoked anything
-- (not for a family revoked already), for the audit log.
CREATE FUNCTION auth_refresh_revoke(p_hash bytea) RETURNS TABLE (org_id uuid, user_id uuid)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    WITH t AS (SELECT r.family_id, r.org_id, r.user_id FROM refresh_tokens r WHERE r.token_hash = p_hash),
         revoked AS (UPDATE refresh_tokens r SET revoked_at = now()
                     FROM t WHERE r.family_id = t.family_id AND r.revoked_at IS NULL RETURNING r.id)
    SELECT t.org_id, t.user_id FROM t WHERE EXISTS (SELECT 1 FROM revoked)
$$;

-- The org of an open invitation (no row: none), so its acceptance can run
-- under that org's claims.
CREATE FUNCTION auth_invitation_org(p_hash bytea) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT i.org_id FROM invitations i
    WHERE i.token_hash = p_hash AND i.accepted_at IS NULL AND i.expires_at > now() AND org_exists(i.org_id)
$$;

-- Takes an invitation by its token: marks it accepted and returns its org,
-- email and role, when it is open, unexpired and its org active. The caller
-- then creates the user under that org's claims in the same transaction.
CREATE FUNCTION auth_invitation_take(p_hash bytea)
RETURNS TABLE (invitation_id uuid, org_id uuid, email text, role text)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    UPDATE invitations i SET accepted_at = now()
    WHERE i.token_hash = p_hash AND i.accepted_at IS NULL AND i.expires_at > now() AND org_exists(i.org_id)
    RETURNING i.id, i.org_id, i.email, i.role
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['auth_user_for_login(text)', 'auth_signed_in(uuid, bytea[])',
                             'auth_throttle_wait(bytea[], integer, integer)', 'auth_throttle_fail(bytea[], integer)',
                             'auth_refresh_rotate(bytea, bytea, integer)', 'auth_refresh_revoke(bytea)',
                             'auth_invitation_org(bytea)', 'auth_invitation_take(bytea)'] LOOP
        EXECUTE 'ALTER FUNCTION ' || f || ' OWNER TO voxanne_authn';
        EXECUTE 'REVOKE ALL ON FUNCTION ' || f || ' FROM PUBLIC';
        EXECUTE 'GRANT EXECUTE ON FUNCTION ' || f || ' TO voxanne_app';
    END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION org_exists(uuid) TO voxanne_authn;

-- What every new organization starts with (SPEC: "the seven default services
-- seeded for every new org"): the earlier product's price list with its
-- keywords, default settings, and Monday to Friday 09:00-17:00. Runs with
-- the caller's rights under the new org's claims, in the caller's
-- transaction (sign-up, voxctl org create), so row-level security checks
-- every row it writes.
CREATE FUNCTION org_provision(p_org uuid, p_name text, p_timezone text) RETURNS void
LANGUAGE sql
AS $$
    INSERT INTO organizations (id, name) VALUES (p_org, p_name);
    INSERT INTO org_settings (org_id, timezone) VALUES (p_org, coalesce(p_timezone, 'America/New_York'));
    INSERT INTO business_hours (org_id, weekday, opens, closes)
    SELECT p_org, d, time '09:00', time '17:00' FROM generate_series(1, 5) AS d;
    INSERT INTO services (org_id, name, price, duration_minutes, keywords) VALUES
        (p_org, 'Botox', 400, 30, ARRAY['botox', 'wrinkle', 'wrinkles', 'injection', 'injections']),
        (p_org, 'Facelift', 8000, 120, ARRAY['facelift', 'face lift']),
        (p_org, 'Rhinoplasty', 6000, 120, ARRAY['rhinoplasty', 'nose job', 'nose']),
        (p_org, 'Breast Augmentation', 7500, 120, ARRAY['breast augmentation', 'breast implants', 'augmentation']),
        (p_org, 'Liposuction', 5000, 90, ARRAY['liposuction', 'lipo']),
        (p_org, 'Fillers', 500, 30, ARRAY['filler', 'fillers', 'lip filler', 'dermal filler']),
        (p_org, 'Consultation', 150, 30, ARRAY['consultation', 'consult', 'assessment']);
$$;
GRANT EXECUTE ON FUNCTION org_provision(uuid, text, text) TO voxanne_app;
