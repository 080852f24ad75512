-- Scheduling: each org's calendar settings, business hours, bookable services
-- and appointments, for tool-router's checkAvailability /
-- bookClinicAppointment / rescheduleAppointment / cancelAppointment.
--
-- Double booking is impossible by construction: every booked appointment
-- blocks [starts_at, ends_at + buffer) and an exclusion constraint forbids two
-- overlapping blocks of one org, whatever code path writes them and however
-- many callers race for one slot. The buffer is copied onto the row at
-- booking time, so changing the org's buffer later never makes existing rows
-- conflict.
--
-- Times: business hours are local wall-clock times (time without time zone)
-- in the org's IANA timezone; appointments are instants (timestamptz). The
-- conversion happens in SQL, `(date + opens) AT TIME ZONE tz`, so the server's
-- tz database decides DST.

-- gist support for "org_id WITH =" (uuid) and "weekday WITH =" (smallint).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- True for a canonical IANA zone name the server knows ("America/New_York",
-- "Europe/London", "UTC"). The shape check rejects what AT TIME ZONE would
-- also accept but is no zone: POSIX strings such as 'foo+5' or 'abc5' and
-- abbreviations such as 'EST' (a fixed offset, no DST). Declared IMMUTABLE so
-- that a CHECK may use it: it only changes with the server's tz database.
CREATE FUNCTION is_iana_timezone(tz text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    IF length(tz) > 64 OR tz !~ '^(UTC|[A-Z][A-Za-z_-]+(/[A-Za-z0-9_+-]+){1,2})$' THEN
        RETURN false;
    END IF;
    PERFORM now() AT TIME ZONE tz;
    RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END
$$;

-- One row per org; an org without a row gets the column defaults (tool-router
-- applies the same values).
CREATE TABLE org_settings (
    org_id                uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    timezone              text NOT NULL DEFAULT 'America/New_York' CHECK (is_iana_timezone(timezone)),
    slot_minutes          integer NOT NULL DEFAULT 30 CHECK (slot_minutes BETWEEN 5 AND 480),
    buffer_minutes        integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 240),
    booking_horizon_days  integer NOT NULL DEFAULT 60 CHECK (booking_horizon_days BETWEEN 1 AND 730),
    min_notice_minutes    integer NOT NULL DEFAULT 60 CHECK (min_notice_minutes BETWEEN 0 AND 43200),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Local opening times of a weekday, as a range type so rows can be excluded
-- from overlapping.
CREATE TYPE timerange AS RANGE (subtype = time);

-- Opening hours: several rows per weekday for split days (09:00-12:00 and
-- 13:00-17:00), never overlapping. An org with no rows is closed every day.
CREATE TABLE business_hours (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6), -- 0 = Sunday, as extract(dow)
    opens       time NOT NULL,
    closes      time NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, weekday, opens),
    CONSTRAINT business_hours_opens_before_closes CHECK (opens < closes),
    CONSTRAINT business_hours_no_overlap
        EXCLUDE USING gist (org_id WITH =, weekday WITH =, timerange(opens, closes) WITH &&)
);

-- What can be booked, for how long, at what price. keywords help match what a
-- caller says ("cleaning") and price calls in the transcript.
CREATE TABLE services (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    duration_minutes  integer NOT NULL DEFAULT 30 CHECK (duration_minutes BETWEEN 5 AND 480),
    price             numeric(10, 2) CHECK (price >= 0),
    keywords          text[] NOT NULL DEFAULT '{}',
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- Target of same-org foreign keys (see appointments.service_id).
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX services_org_name_key ON services (org_id, lower(name));

CREATE TABLE appointments (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Same-org keys: a plain REFERENCES contacts (id) would let org A point at
    -- org B's rows (foreign-key checks bypass row-level security).
    contact_id         uuid NOT NULL,
    service_id         uuid,
    service_name       text NOT NULL CHECK (length(service_name) BETWEEN 1 AND 200),
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL,
    buffer_minutes     integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 240),
    -- [starts_at, ends_at + buffer), always set by appointments_set_blocks:
    -- timestamptz + interval is not immutable, so it cannot be a generated
    -- column or an index expression.
    blocks             tstzrange NOT NULL,
    status             text NOT NULL DEFAULT 'booked'
                       CHECK (status IN ('booked', 'cancelled', 'completed', 'no_show')),
    vapi_call_id       text CHECK (length(vapi_call_id) <= 100),
    tool_call_id       text CHECK (length(tool_call_id) <= 100),
    notes              text CHECK (length(notes) <= 2000),
    google_event_id    text CHECK (length(google_event_id) <= 1024),
    confirmation_sent  boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT appointments_ends_after_start CHECK (ends_at > starts_at),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, service_id) REFERENCES services (org_id, id) ON DELETE SET NULL (service_id),
    -- The guarantee: no two booked appointments of one org share a minute of
    -- their blocks (buffer included). Cancelling frees the slot.
    CONSTRAINT appointments_no_overlap
        EXCLUDE USING gist (org_id WITH =, blocks WITH &&) WHERE (status = 'booked')
);
CREATE INDEX appointments_org_starts_idx ON appointments (org_id, starts_at);
CREATE INDEX appointments_org_contact_idx ON appointments (org_id, contact_id, starts_at);
-- "Was anything booked during this call?" (booking detection after the call).
CREATE INDEX appointments_org_call_idx ON appointments (org_id, vapi_call_id) WHERE vapi_call_id IS NOT NULL;

CREATE FUNCTION appointments_set_blocks() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.blocks := tstzrange(NEW.starts_at, NEW.ends_at + make_interval(mins => NEW.buffer_minutes), '[)');
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_blocks BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_set_blocks();

-- Row-level security, enabled and forced, and the shared guards (see 0002).
SELECT make_tenant_table(t) FROM unnest(ARRAY['org_settings', 'business_hours', 'services', 'appointments']::regclass[]) AS t;
