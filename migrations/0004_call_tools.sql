-- Call-time tools (tool-router): where a call is transferred to, the
-- idempotency ledger of tool calls, and a change signal for caches of org
-- resolution.
--
-- integration_settings is written by dashboard-api and read by tool-router;
-- tool_calls is tool-router's own. Both are tenant tables with the usual
-- guards: RLS enabled and forced, tenant_isolation policy, org_id immutable,
-- updated_at maintained, privileges for voxanne_app only.

-- transfer_departments maps a department name to an E.164 number or a SIP URI:
-- {"billing": "+15551112222", "medical": "sip:desk@clinic.example"}. Names are
-- unique regardless of case (tool-router matches them case-insensitively),
-- 1-64 characters, at most 50 of them.
CREATE FUNCTION transfer_departments_valid(d jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN jsonb_typeof(d) IS DISTINCT FROM 'object' THEN false ELSE (
        SELECT count(*) <= 50
           AND count(DISTINCT lower(e.key)) = count(*)
           AND coalesce(bool_and(
                   length(e.key) BETWEEN 1 AND 64
                   AND jsonb_typeof(e.value) = 'string'
                   AND (e.value #>> '{}' ~ '^\+[1-9][0-9]{6,14}$'
                        OR (e.value #>> '{}' ~ '^sips?:' AND length(e.value #>> '{}') <= 500))), true)
        FROM jsonb_each(d) AS e
    ) END
$$;

CREATE TABLE integration_settings (
    org_id                 uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    transfer_phone_number  e164,
    transfer_sip_uri       text CHECK (transfer_sip_uri ~ '^sips?:' AND length(transfer_sip_uri) <= 500),
    transfer_departments   jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (transfer_departments_valid(transfer_departments)),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- One row per (org, toolCallId) of a tool with side effects. tool-router
-- inserts the row in the same transaction that runs the tool and fills in the
-- answer before committing, so a committed row always holds the answer; a
-- repeated toolCallId (model jitter, a retry, another replica) finds it and
-- gets the same answer without the tool running again.
CREATE TABLE tool_calls (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    tool_call_id  text NOT NULL CHECK (length(tool_call_id) BETWEEN 1 AND 100),
    tool_name     text NOT NULL CHECK (tool_name ~ '^[A-Za-z0-9_-]{1,64}$'),
    vapi_call_id  text CHECK (length(vapi_call_id) BETWEEN 1 AND 100),
    is_error      boolean,
    result_text   text CHECK (length(result_text) <= 8000),
    extra         jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, tool_call_id)
);
-- Post-call analytics ask "did a booking tool succeed on this call?".
CREATE INDEX tool_calls_org_call_idx ON tool_calls (org_id, vapi_call_id);

SELECT make_tenant_table(t) FROM unnest(ARRAY['integration_settings', 'tool_calls']::regclass[]) AS t;

-- Services cache "assistant id / phone number → org" (tool-router per worker).
-- Any writer of agents — dashboard-api, tool-sync, voxctl, an operator in psql —
-- signals the change, and the caches drop their entries at once instead of
-- serving a moved assistant to the wrong org until a TTL runs out. An org
-- that is suspended or deleted signals too: the metadata tier checks that the
-- org is active. One notification per statement; PostgreSQL folds identical
-- notifications of one transaction into one and sends it at commit.
CREATE FUNCTION notify_agents_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('voxanne_agents_changed', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER agents_changed_notify AFTER INSERT OR UPDATE OR DELETE ON agents
    FOR EACH STATEMENT EXECUTE FUNCTION notify_agents_changed();
CREATE TRIGGER agents_truncated_notify AFTER TRUNCATE ON agents
    FOR EACH STATEMENT EXECUTE FUNCTION notify_agents_changed();
CREATE TRIGGER organizations_changed_notify AFTER UPDATE OF status OR DELETE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION notify_agents_changed();
