-- Organizations, their Vapi agents, contacts and call logs.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One org's link to Vapi: its assistant and the phone number(s) it answers.
CREATE TABLE agents (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id                uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                  text NOT NULL DEFAULT 'Receptionist',
    vapi_assistant_id     text UNIQUE CHECK (length(vapi_assistant_id) BETWEEN 1 AND 100),
    vapi_phone_number_id  text UNIQUE CHECK (length(vapi_phone_number_id) BETWEEN 1 AND 100),
    phone_number          e164 UNIQUE,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_org_idx ON agents (org_id);

CREATE TABLE contacts (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    first_name         text CHECK (length(first_name) <= 200),
    last_name          text CHECK (length(last_name) <= 200),
    phone              e164,
    email              text CHECK (length(email) <= 320),
    lead_status        text NOT NULL DEFAULT 'new'
                       CHECK (lead_status IN ('new', 'contacted', 'qualified', 'booked', 'lost')),
    lead_score         integer NOT NULL DEFAULT 50 CHECK (lead_score BETWEEN 0 AND 100),
    lead_tier          text NOT NULL DEFAULT 'warm' CHECK (lead_tier IN ('hot', 'warm', 'cold')),
    notes              text,
    last_contacted_at  timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, phone),
    -- Target of same-org foreign keys (see call_logs.contact_id).
    UNIQUE (org_id, id)
);
CREATE INDEX contacts_org_email_idx ON contacts (org_id, lower(email));
CREATE INDEX contacts_org_created_idx ON contacts (org_id, created_at DESC);

-- One row per Vapi call, keyed on vapi_call_id so every redelivery is an upsert.
-- Column names follow the earlier implementation's dashboard (see the seed).
CREATE TABLE call_logs (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id                uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    vapi_call_id          text NOT NULL UNIQUE CHECK (length(vapi_call_id) BETWEEN 1 AND 100),
    call_sid              text NOT NULL,
    -- Foreign-key checks bypass RLS: a plain REFERENCES contacts (id) would let
    -- org A point at (and probe for) org B's contacts. Keying on (org_id, id)
    -- makes a cross-tenant reference impossible.
    contact_id            uuid,
    assistant_id          text,
    phone_number_id       text,
    call_type             text NOT NULL DEFAULT 'inbound' CHECK (call_type IN ('inbound', 'outbound', 'web')),
    -- queued < ringing < in-progress < forwarding < ended < completed (report stored)
    status                text NOT NULL DEFAULT 'queued'
                          CHECK (status IN ('queued', 'ringing', 'in-progress', 'forwarding', 'ended', 'completed')),
    phone_number          e164,
    from_number           e164,
    to_number             e164,
    caller_name           text,
    duration_seconds      integer CHECK (duration_seconds >= 0),
    total_cost            numeric(12, 4),
    outcome               text,
    outcome_summary       text,
    transcript            text,
    recording_url         text,
    stereo_recording_url  text,
    ended_reason          text,
    sentiment             text,
    sentiment_label       text,
    sentiment_score       double precision,
    sentiment_summary     text,
    sentiment_urgency     text,
    success_evaluation    text,
    started_at            timestamptz,
    ended_at              timestamptz,
    metadata              jsonb NOT NULL DEFAULT '{}'::jsonb,
    transfer_to           text,
    transfer_reason       text,
    transfer_time         timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE SET NULL (contact_id)
);
CREATE INDEX call_logs_org_created_idx ON call_logs (org_id, created_at DESC);
CREATE INDEX call_logs_org_phone_idx ON call_logs (org_id, phone_number, created_at DESC);

-- Vapi messages whose org could not be resolved: kept for an operator, never guessed.
-- Not a tenant table (there is no org); services may only add to it.
CREATE TABLE parked_messages (
    id            bigserial PRIMARY KEY,
    received_at   timestamptz NOT NULL DEFAULT now(),
    reason        text NOT NULL,
    message_type  text,
    vapi_call_id  text,
    request_id    text,
    payload       jsonb NOT NULL,
    -- A redelivered message (same gateway request id) parks once.
    UNIQUE (request_id, reason)
);

-- Row-level security, enabled and forced, on every tenant table.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations USING (id = auth_org_id()) WITH CHECK (id = auth_org_id());
CREATE POLICY resolver_read ON organizations FOR SELECT TO voxanne_resolver USING (true);

SELECT make_tenant_table(t) FROM unnest(ARRAY['agents', 'contacts', 'call_logs']::regclass[]) AS t;
CREATE POLICY resolver_read ON agents FOR SELECT TO voxanne_resolver USING (true);

-- An organization's id is its tenant key: immutable like org_id elsewhere.
CREATE FUNCTION forbid_org_key_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION 'organizations.id cannot be changed' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER organizations_id_immutable BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION forbid_org_key_change();
CREATE TRIGGER organizations_updated_at BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

GRANT SELECT, INSERT, UPDATE, DELETE ON organizations TO voxanne_app;
GRANT SELECT ON organizations, agents TO voxanne_resolver;
GRANT SELECT, INSERT ON parked_messages TO voxanne_app;
GRANT USAGE ON SEQUENCE parked_messages_id_seq TO voxanne_app;

-- The cross-org look-ups Vapi messages need before the org is known. Narrow on
-- purpose: each maps one key to one org id and reveals nothing else.
CREATE FUNCTION org_for_assistant(p_assistant_id text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT org_id FROM agents WHERE vapi_assistant_id = p_assistant_id $$;

CREATE FUNCTION org_for_phone_number_id(p_phone_number_id text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT org_id FROM agents WHERE vapi_phone_number_id = p_phone_number_id $$;

CREATE FUNCTION org_for_phone_number(p_number text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT org_id FROM agents WHERE phone_number::text = p_number $$;

CREATE FUNCTION org_exists(p_org_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM organizations WHERE id = p_org_id AND status = 'active') $$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['org_for_assistant(text)', 'org_for_phone_number_id(text)',
                             'org_for_phone_number(text)', 'org_exists(uuid)'] LOOP
        EXECUTE 'ALTER FUNCTION ' || f || ' OWNER TO voxanne_resolver';
        EXECUTE 'REVOKE ALL ON FUNCTION ' || f || ' FROM PUBLIC';
        EXECUTE 'GRANT EXECUTE ON FUNCTION ' || f || ' TO voxanne_app';
    END LOOP;
END
$$;
