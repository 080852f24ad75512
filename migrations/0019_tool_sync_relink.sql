-- tool-sync (issue 13): the sweep's second look-up, and `voxctl sync all`'s.
--
-- The orgs whose assistant links a tool that was registered again since
-- (SPEC hard rule 2: "a changed definition is re-registered and re-linked").
--
-- A re-registration changes platform_tools (a PATCH keeps the Vapi id and
-- changes the hash; a tool deleted at Vapi is created again under a new id),
-- not agent_sync: the org's configuration did not change, so
-- agent_sync_orgs_due (0017) does not find it. This look-up does: an org
-- with an org_tools row whose id or hash differs from platform_tools', or
-- that lacks one of the platform's tools. Only orgs that were linked once
-- (have org_tools rows) are named; the others are found by agent_sync.
-- As agent_sync_orgs_due, it reveals org ids only; tool-sync then reads and
-- writes each org's rows under its own claims.
CREATE FUNCTION org_tools_orgs_stale(p_max_orgs integer) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT o.org_id FROM org_tools o
    GROUP BY o.org_id
    HAVING count(*) FILTER (WHERE EXISTS (SELECT 1 FROM platform_tools p WHERE p.tool_name = o.tool_name
                                          AND p.vapi_tool_id = o.vapi_tool_id
                                          AND p.definition_hash = o.definition_hash))
           < (SELECT count(*) FROM platform_tools)
    ORDER BY min(o.linked_at)
    LIMIT p_max_orgs
$$;
ALTER FUNCTION org_tools_orgs_stale(integer) OWNER TO voxanne_janitor;
-- The janitor sees which tool each org linked under which id and hash, and
-- the platform's tools (nothing secret: Vapi's ids and our hashes).
GRANT SELECT (org_id, tool_name, vapi_tool_id, definition_hash, linked_at) ON org_tools TO voxanne_janitor;
CREATE POLICY janitor_read ON org_tools FOR SELECT TO voxanne_janitor USING (true);
GRANT SELECT ON platform_tools TO voxanne_janitor;
REVOKE ALL ON FUNCTION org_tools_orgs_stale(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION org_tools_orgs_stale(integer) TO voxanne_app;

-- `voxctl sync all` (an operator's re-sync of every organization): the
-- active organizations' ids, oldest first, after p_after (NULL: from the
-- start), at most p_max — a page at a time. The resolver reads
-- organizations for the services already (0002); each org's rows are then
-- written under its own claims.
CREATE FUNCTION organizations_active_page(p_after uuid, p_max integer) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT id FROM organizations
    WHERE status = 'active' AND (p_after IS NULL OR id > p_after)
    ORDER BY id
    LIMIT p_max
$$;
ALTER FUNCTION organizations_active_page(uuid, integer) OWNER TO voxanne_resolver;
REVOKE ALL ON FUNCTION organizations_active_page(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION organizations_active_page(uuid, integer) TO voxanne_app;
