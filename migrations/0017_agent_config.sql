-- The agent's configuration and its sync to Vapi (issue 13).
--
-- Who writes what:
--   agent_config    dashboard-api (PUT /api/agent): the owner's fields and
--                   config_version; tool-sync only reads it.
--   agent_sync      dashboard-api on every save (desired_version, and the
--                   state back to 'pending'); tool-sync for the rest
--                   (synced_version, state, detail, attempts,
--                   next_attempt_at). It is the source of truth of what is
--                   left to sync: the WORK job dashboard-api publishes after
--                   the commit (work.tool-sync.sync, ToolSyncJob) is only a
--                   wake-up, and tool-sync's periodic sweep finds every org
--                   whose desired_version > synced_version anyway
--                   (agent_sync_orgs_due below), so a lost job only delays.
--   org_tools       tool-sync: which of our tools each org's assistant has
--                   linked, under which Vapi tool id and definition hash.
--   platform_tools  tool-sync: our tools as registered at Vapi, once for the
--                   whole platform (SPEC hard rule 2). Not a tenant table.
-- The rest of what PUT /api/agent saves lives where its readers already
-- find it: org_settings (timezone, slot_minutes, buffer_minutes),
-- business_hours, integration_settings (transfer_*) and services.active
-- (the services offered), all read by tool-router at call time.

-- One row per org (agents may hold several rows, one per Vapi phone link, or
-- none before tool-sync creates the assistant, so the configuration is not
-- kept there). An org without a row has the defaults below; dashboard-api's
-- GET names the same ones.
CREATE TABLE agent_config (
    org_id          uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    -- Vapi's assistant name (at most 40 characters there).
    name            text NOT NULL DEFAULT 'Receptionist' CHECK (length(name) BETWEEN 1 AND 40),
    -- Vapi's voice.provider and voice.voiceId; both NULL: Vapi's default voice.
    voice_provider  text CHECK (voice_provider ~ '^[a-z0-9-]{1,32}$'),
    voice_id        text CHECK (length(voice_id) BETWEEN 1 AND 200),
    -- What the assistant says first; NULL: the prompt builder's default.
    first_message   text CHECK (length(first_message) BETWEEN 1 AND 1000),
    -- The owner's own text; tool-sync's prompt builder wraps it with the
    -- business facts and the tool instructions. Never logged, never audited.
    system_prompt   text NOT NULL DEFAULT '' CHECK (length(system_prompt) <= 8000),
    -- Bumped by every save, in the save's transaction (its row lock
    -- serializes concurrent saves of one org).
    config_version  bigint NOT NULL DEFAULT 0 CHECK (config_version >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agent_config_voice_whole CHECK ((voice_provider IS NULL) = (voice_id IS NULL))
);

-- Where the org's sync to Vapi stands. A save sets desired_version to the
-- saved config_version, state 'pending', detail NULL, attempts 0 and
-- next_attempt_at now(). tool-sync then records the version it brought
-- Vapi to, never lowering it and never claiming a newer save it did not
-- read:
--   UPDATE agent_sync SET synced_version = greatest(synced_version, $v),
--          state = CASE WHEN desired_version <= $v THEN 'synced' ELSE 'pending' END, …
-- and for a failure 'linking_pending' (tools registered, the assistant not
-- linked yet) or 'failed' with detail (a sentence for the owner: never a
-- secret, a key or Vapi's raw answer), attempts + 1 and next_attempt_at.
-- A job of version v is skipped (acked without work) when v <
-- desired_version (a newer save superseded it: its own job or the sweep
-- follows) or v <= synced_version (done).
CREATE TABLE agent_sync (
    org_id           uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    desired_version  bigint NOT NULL DEFAULT 0 CHECK (desired_version >= 0),
    synced_version   bigint NOT NULL DEFAULT 0 CHECK (synced_version >= 0),
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'synced', 'linking_pending', 'failed')),
    detail           text CHECK (length(detail) BETWEEN 1 AND 500),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agent_sync_versions CHECK (synced_version <= desired_version)
);
-- The sweep's look-up: orgs behind, oldest due first.
CREATE INDEX agent_sync_due_idx ON agent_sync (next_attempt_at) WHERE desired_version > synced_version;

-- Our tools as Vapi knows them, one row per tool for the whole platform:
-- registered once (POST /tool) and again only when the canonical
-- definition's SHA-256 changes (SPEC hard rule 2). tool-sync serializes
-- registration itself (one transaction holding a lock on the tool's row, or
-- an advisory lock, while it registers), so fifty orgs syncing at once
-- create each tool once. The app role reads, adds and updates rows; retiring
-- a tool is an operator's step (or a migration), so no service deletes one.
-- Nothing secret: Vapi's tool ids and our hashes.
CREATE TABLE platform_tools (
    tool_name        text PRIMARY KEY CHECK (tool_name ~ '^[A-Za-z0-9_-]{1,64}$'),
    vapi_tool_id     text NOT NULL UNIQUE CHECK (length(vapi_tool_id) BETWEEN 1 AND 100),
    definition_hash  text NOT NULL CHECK (definition_hash ~ '^[0-9a-f]{64}$'),
    registered_at    timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER platform_tools_updated_at BEFORE UPDATE ON platform_tools
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
GRANT SELECT, INSERT, UPDATE ON platform_tools TO voxanne_app;

-- What each org's assistant has linked (model.toolIds): the Vapi tool id
-- and the definition hash it was linked with. A row whose hash differs from
-- platform_tools' is a link to re-make after a re-registration.
CREATE TABLE org_tools (
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    tool_name        text NOT NULL REFERENCES platform_tools (tool_name) ON DELETE CASCADE,
    vapi_tool_id     text NOT NULL CHECK (length(vapi_tool_id) BETWEEN 1 AND 100),
    definition_hash  text NOT NULL CHECK (definition_hash ~ '^[0-9a-f]{64}$'),
    linked_at        timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, tool_name)
);

SELECT make_tenant_table(t) FROM unnest(ARRAY['agent_config', 'agent_sync', 'org_tools']::regclass[]) AS t;

-- The sweep's cross-org look-up (as work_outbox_orgs_pending, 0009): the
-- orgs whose sync is behind and due, oldest first. It reveals org ids only;
-- tool-sync then reads and writes each org's rows under its own claims.
CREATE FUNCTION agent_sync_orgs_due(p_max_orgs integer) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT org_id FROM agent_sync
    WHERE desired_version > synced_version AND coalesce(next_attempt_at, '-infinity') <= now()
    ORDER BY next_attempt_at NULLS FIRST
    LIMIT p_max_orgs
$$;
ALTER FUNCTION agent_sync_orgs_due(integer) OWNER TO voxanne_janitor;
-- The janitor sees which orgs are behind and when they are due, nothing else.
GRANT SELECT (org_id, desired_version, synced_version, next_attempt_at) ON agent_sync TO voxanne_janitor;
CREATE POLICY janitor_read ON agent_sync FOR SELECT TO voxanne_janitor USING (true);
REVOKE ALL ON FUNCTION agent_sync_orgs_due(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION agent_sync_orgs_due(integer) TO voxanne_app;
