-- GDPR (issue 12; services/dashboard-api/gdpr.c): a contact's export
-- (Art. 15/20) and erasure (Art. 17). Everything else the erasure changes
-- (calls, tool calls, outbox jobs, the contact) the application role may
-- already change under the org's claims; two things it could not:
--
-- 1. Appointments outlive an erased contact, anonymised, for the clinic's
--    books. appointments.contact_id was NOT NULL, with ON DELETE CASCADE:
--    deleting the contact erased their bookings too. It may now be NULL: the
--    erasure clears it (and the notes) before it deletes the contact. The
--    foreign key is unchanged, so a plain delete still cascades (and
--    dashboard-api still refuses it, 409 contact_has_appointments), and a
--    NULL is only ever written by the erasure. Nothing that finds an
--    appointment through its contact (a caller changing their own booking,
--    tool-router's own_appointment.c and calendar/booking.c) finds these.
ALTER TABLE appointments ALTER COLUMN contact_id DROP NOT NULL;

-- 2. The contact's calls, one definition for the export, the erasure and
--    the functions below: the calls linked to the contact, and the org's
--    calls from or to the contact's number that are linked to no one or to
--    someone else (a call stored before the contact existed, or after an
--    earlier contact with the number was deleted). The caller's number is
--    phone_number, from_number on inbound and web calls and to_number on
--    outbound ones (the other is the clinic's). Runs as its caller: row-
--    level security applies, and p_org_id is named again in every condition.
CREATE FUNCTION gdpr_contact_calls(p_org_id uuid, p_contact_id uuid) RETURNS TABLE (id uuid, vapi_call_id text)
LANGUAGE sql STABLE SET search_path = public, pg_temp
AS $$
    SELECT l.id, l.vapi_call_id FROM call_logs l
    WHERE l.org_id = p_org_id AND l.contact_id = p_contact_id
    UNION
    SELECT l.id, l.vapi_call_id FROM call_logs l
    JOIN contacts k ON k.org_id = p_org_id AND k.id = p_contact_id
    WHERE l.org_id = p_org_id
      AND (l.phone_number = k.phone
           OR (l.call_type <> 'outbound' AND l.from_number = k.phone)
           OR (l.call_type = 'outbound' AND l.to_number = k.phone))
$$;
REVOKE ALL ON FUNCTION gdpr_contact_calls(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gdpr_contact_calls(uuid, uuid) TO voxanne_app;

-- 3. parked_messages: whole Vapi messages with no org (0002), write-only to
--    the application role (0007), purged after PARKED_RETENTION_DAYS. A
--    contact's messages may be there: a call's message that could not be
--    stored (sql-error), or one of a suspended org's. voxanne_gdpr owns the
--    two functions that read and delete such rows, for one contact of the
--    transaction's own org only; like voxanne_resolver it cannot log in and
--    has no BYPASSRLS, and it reads the contact, their calls and the org's
--    agents under the tenant policies (auth_org_id()), through the columns
--    granted here and no others.
--
--    A parked message is the contact's when its call is one of the
--    contact's calls, or when it holds the contact's number or e-mail
--    together with one of the org's own keys (assistant id, phone number id
--    or number): a message naming no key of the org is not the org's to
--    read or erase, even with the same number in it (another org's caller,
--    who is not this erasure's subject).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_gdpr') THEN
        CREATE ROLE voxanne_gdpr NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO voxanne_gdpr;
GRANT SELECT, DELETE ON parked_messages TO voxanne_gdpr;
GRANT SELECT (org_id, id, phone, email) ON contacts TO voxanne_gdpr;
GRANT SELECT (org_id, id, vapi_call_id, contact_id, call_type, phone_number, from_number, to_number) ON call_logs TO voxanne_gdpr;
GRANT SELECT (org_id, vapi_assistant_id, vapi_phone_number_id, phone_number) ON agents TO voxanne_gdpr;
GRANT EXECUTE ON FUNCTION gdpr_contact_calls(uuid, uuid) TO voxanne_gdpr;

-- The ids of the contact's parked messages (the rule above). Refuses
-- (42501) an org that is not the transaction's own.
CREATE FUNCTION gdpr_parked_ids(p_org_id uuid, p_contact_id uuid) RETURNS SETOF bigint
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp
AS $$
BEGIN
    IF p_org_id IS NULL OR p_org_id IS DISTINCT FROM auth_org_id() THEN
        RAISE EXCEPTION 'gdpr: the org is not the transaction''s own' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY
        SELECT m.id FROM parked_messages m
        WHERE m.vapi_call_id IN (SELECT c.vapi_call_id FROM gdpr_contact_calls(p_org_id, p_contact_id) c)
           OR EXISTS (
                SELECT 1 FROM contacts k
                WHERE k.org_id = p_org_id AND k.id = p_contact_id
                  AND (strpos(m.payload::text, k.phone) > 0
                       OR (length(k.email) > 0 AND strpos(lower(m.payload::text), lower(k.email)) > 0))
                  AND EXISTS (
                        SELECT 1 FROM agents a
                        WHERE a.org_id = p_org_id
                          AND (strpos(m.payload::text, a.vapi_assistant_id) > 0
                               OR strpos(m.payload::text, a.vapi_phone_number_id) > 0
                               OR strpos(m.payload::text, a.phone_number) > 0)));
END
$$;

-- The contact's parked messages as a JSON array (the export), oldest first.
CREATE FUNCTION gdpr_parked_messages(p_org_id uuid, p_contact_id uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'received_at', m.received_at, 'reason', m.reason,
                                                 'message_type', m.message_type, 'vapi_call_id', m.vapi_call_id,
                                                 'request_id', m.request_id, 'payload', m.payload)
                              ORDER BY m.received_at, m.id), '[]'::jsonb)
    FROM parked_messages m WHERE m.id IN (SELECT gdpr_parked_ids(p_org_id, p_contact_id))
$$;

-- Deletes the contact's parked messages (the erasure); returns how many.
CREATE FUNCTION gdpr_erase_parked_messages(p_org_id uuid, p_contact_id uuid) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    DELETE FROM parked_messages WHERE id IN (SELECT gdpr_parked_ids(p_org_id, p_contact_id));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['gdpr_parked_ids(uuid, uuid)', 'gdpr_parked_messages(uuid, uuid)',
                             'gdpr_erase_parked_messages(uuid, uuid)'] LOOP
        EXECUTE 'ALTER FUNCTION ' || f || ' OWNER TO voxanne_gdpr';
        EXECUTE 'REVOKE ALL ON FUNCTION ' || f || ' FROM PUBLIC';
    END LOOP;
END
$$;
-- The application role calls the two entry points, never the look-up itself.
GRANT EXECUTE ON FUNCTION gdpr_parked_messages(uuid, uuid), gdpr_erase_parked_messages(uuid, uuid) TO voxanne_app;
