-- The assistant's prompt is built from more than PUT /api/agent saves
-- (issue 13): the services offered with their durations and prices, the
-- business hours, the timezone and the transfer destinations. Those are
-- also changed by the services routes, the sign-up's defaults, imports and
-- operators. Whatever writes them, the org's agent becomes stale: its
-- config_version is bumped and agent_sync set pending, in the writer's own
-- transaction, so tool-sync brings Vapi up to date exactly as after a save
-- (and a change rolled back changes nothing). A NOTIFY on
-- voxanne_agent_sync wakes tool-sync's sweep at commit instead of its next
-- periodic pass.
--
-- Only orgs whose agent was configured (an agent_config row) are touched:
-- tool-sync never syncs the others (agent_sync has no row for them).
--
-- One bump per transaction: PUT /api/agent bumps config_version itself
-- before writing the hours, services and transfer settings, and a
-- statement that rewrites a whole week fires once per row. A row of
-- agent_config already written by this transaction (its xmin is this
-- transaction's id) is not bumped again, and agent_sync only moves when it
-- is behind. The functions run as the writer (SECURITY INVOKER) under its
-- org claims: row-level security keeps them to the writer's own org.

CREATE FUNCTION agent_config_touch(p_org uuid) RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_version bigint;
    v_moved integer;
BEGIN
    UPDATE agent_config SET config_version = config_version + 1
    WHERE org_id = p_org AND xmin <> pg_current_xact_id()::xid
    RETURNING config_version INTO v_version;
    IF v_version IS NULL THEN
        SELECT config_version INTO v_version FROM agent_config WHERE org_id = p_org;
        IF v_version IS NULL THEN
            RETURN; -- never configured: nothing to sync
        END IF;
    END IF;
    UPDATE agent_sync SET desired_version = v_version, state = 'pending', detail = NULL, attempts = 0,
                          next_attempt_at = now()
    WHERE org_id = p_org AND desired_version < v_version;
    GET DIAGNOSTICS v_moved = ROW_COUNT;
    IF v_moved > 0 THEN
        PERFORM pg_notify('voxanne_agent_sync', p_org::text);
    END IF;
END
$$;

-- The trigger: the org of the row written (NEW, or OLD for a delete).
CREATE FUNCTION agent_inputs_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM agent_config_touch(OLD.org_id);
    ELSE
        PERFORM agent_config_touch(NEW.org_id);
    END IF;
    RETURN NULL;
END
$$;

-- services: what the prompt lists is the active ones' name, duration and
-- price (keywords are tool-router's and webhook-ingest's, not the prompt's).
CREATE TRIGGER services_agent_inputs_insert AFTER INSERT ON services
    FOR EACH ROW WHEN (NEW.active) EXECUTE FUNCTION agent_inputs_changed();
CREATE TRIGGER services_agent_inputs_update AFTER UPDATE OF name, duration_minutes, price, active ON services
    FOR EACH ROW
    WHEN ((OLD.name, OLD.duration_minutes, OLD.price, OLD.active) IS DISTINCT FROM
          (NEW.name, NEW.duration_minutes, NEW.price, NEW.active))
    EXECUTE FUNCTION agent_inputs_changed();
CREATE TRIGGER services_agent_inputs_delete AFTER DELETE ON services
    FOR EACH ROW WHEN (OLD.active) EXECUTE FUNCTION agent_inputs_changed();

CREATE TRIGGER business_hours_agent_inputs AFTER INSERT OR UPDATE OR DELETE ON business_hours
    FOR EACH ROW EXECUTE FUNCTION agent_inputs_changed();

CREATE TRIGGER org_settings_agent_inputs AFTER UPDATE OF timezone ON org_settings
    FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone) EXECUTE FUNCTION agent_inputs_changed();

CREATE TRIGGER integration_settings_agent_inputs_insert AFTER INSERT ON integration_settings
    FOR EACH ROW
    WHEN (NEW.transfer_phone_number IS NOT NULL OR NEW.transfer_sip_uri IS NOT NULL
          OR NEW.transfer_departments <> '{}'::jsonb)
    EXECUTE FUNCTION agent_inputs_changed();
CREATE TRIGGER integration_settings_agent_inputs_update
    AFTER UPDATE OF transfer_phone_number, transfer_sip_uri, transfer_departments ON integration_settings
    FOR EACH ROW
    WHEN ((OLD.transfer_phone_number, OLD.transfer_sip_uri, OLD.transfer_departments) IS DISTINCT FROM
          (NEW.transfer_phone_number, NEW.transfer_sip_uri, NEW.transfer_departments))
    EXECUTE FUNCTION agent_inputs_changed();
