-- Provider credentials (credential-vault) and the log of every read.
--
-- org_credentials holds one row per organization and provider. The secret
-- is AES-256-GCM ciphertext (iv || tag || ciphertext, libcommon/vx_aead)
-- whose associated data is (org_id, provider, key_id): a row copied to
-- another org or provider, or relabelled with another key id, does not
-- decrypt. Only credential-vault holds ENCRYPTION_KEY; everything else here
-- is metadata the dashboard may show.

CREATE TABLE org_credentials (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider          text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_]{1,39}$'),
    ciphertext        bytea NOT NULL CHECK (length(ciphertext) BETWEEN 29 AND 16384),
    -- The first 16 hex digits of SHA-256 over a fixed label and the key:
    -- names the key without revealing it (services/credential-vault/keyring.c).
    key_id            text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
    status            text NOT NULL DEFAULT 'connected'
                      CHECK (status IN ('connected', 'verified', 'failed', 'reconnect_needed')),
    label             text CHECK (length(label) <= 320),
    last_verified_at  timestamptz,
    last_error        text CHECK (length(last_error) <= 500),
    -- What has been set up elsewhere with this credential (Twilio: the Vapi
    -- credential and phone number ids, whether the number is linked), so a
    -- retried connect finishes only what failed.
    sync_state        jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(sync_state) = 'object'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, provider)
);
CREATE INDEX org_credentials_key_idx ON org_credentials (key_id);

-- Who read which secret, when. Append-only for the services: a read that
-- cannot be logged is not answered (the vault writes the row first).
CREATE TABLE credential_access_log (
    id           bigserial PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider     text NOT NULL CHECK (length(provider) BETWEEN 1 AND 40),
    caller       text NOT NULL CHECK (length(caller) BETWEEN 1 AND 64),
    operation    text NOT NULL CHECK (operation IN ('get', 'google_token')),
    accessed_at  timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credential_access_log_org_idx ON credential_access_log (org_id, accessed_at DESC);

SELECT make_tenant_table(t) FROM unnest(ARRAY['org_credentials', 'credential_access_log']::regclass[]) AS t;
REVOKE UPDATE, DELETE ON credential_access_log FROM voxanne_app;
GRANT USAGE ON SEQUENCE credential_access_log_id_seq TO voxanne_app;

-- Key rotation walks every org's rows, which no tenant transaction can see.
-- voxanne_keyring owns the one look-up it needs and reads only the columns
-- that name a row and its key — never a ciphertext.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_keyring') THEN
        CREATE ROLE voxanne_keyring NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO voxanne_keyring;
GRANT SELECT (org_id, provider, key_id) ON org_credentials TO voxanne_keyring;
CREATE POLICY keyring_read ON org_credentials FOR SELECT TO voxanne_keyring USING (true);

-- Up to p_limit (org, provider) pairs whose row is not under p_key_id, and
-- how many such rows there are in all.
CREATE FUNCTION credentials_not_on_key(p_key_id text, p_limit integer)
RETURNS TABLE (org_id uuid, provider text, remaining bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT c.org_id, c.provider, count(*) OVER ()
    FROM org_credentials c
    WHERE c.key_id <> p_key_id
    ORDER BY c.org_id, c.provider
    LIMIT greatest(p_limit, 0)
$$;
ALTER FUNCTION credentials_not_on_key(text, integer) OWNER TO voxanne_keyring;
REVOKE ALL ON FUNCTION credentials_not_on_key(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION credentials_not_on_key(text, integer) TO voxanne_app;

-- How many rows are not under p_key_id (0 when rotation is done).
CREATE FUNCTION credentials_not_on_key_count(p_key_id text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT count(*) FROM org_credentials WHERE key_id <> p_key_id $$;
ALTER FUNCTION credentials_not_on_key_count(text) OWNER TO voxanne_keyring;
REVOKE ALL ON FUNCTION credentials_not_on_key_count(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION credentials_not_on_key_count(text) TO voxanne_app;
