-- The dashboard benchmark's data (tests/bench/run.sh, BENCH_ONLY=dashboard):
-- one org with :contacts contacts and :calls calls spread over the last year,
-- as webhook-ingest would have stored them. Set-based (generate_series), run
-- as the admin (no row-level security to check per row), in one transaction.
--   psql -v org=<uuid> -v assistant=<id> -v contacts=100000 -v calls=1000000 -f dashboard_seed.sql
--
-- call_logs' secondary indexes are dropped for the load and built again
-- after it, from their own definitions (pg_get_indexdef): one sorted build
-- each instead of a million random inserts into each (the primary key and
-- vapi_call_id's unique index stay, so the load is still checked).
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';
SELECT setseed(0.4242) \gset

BEGIN;

-- Contacts: names from common first and last names (so a substring search
-- finds a realistic share), unique numbers spread over US area codes 200-999
-- (i * 48271 mod 7999999999 is a permutation: 48271 is prime and does not
-- divide it), most with an email, lead status and score.
INSERT INTO contacts (org_id, first_name, last_name, phone, email, lead_status, lead_score, lead_tier, notes,
                      last_contacted_at, created_at, updated_at)
SELECT :'org', f, l, '+1' || (2000000000 + (i::bigint * 48271) % 7999999999)::text,
       CASE WHEN r_email < 0.7 THEN lower(f) || '.' || lower(l) || i || '@example.com' END,
       (ARRAY['new', 'contacted', 'qualified', 'booked', 'lost'])[1 + floor(r_status * 5)::int],
       score, CASE WHEN score >= 70 THEN 'hot' WHEN score >= 40 THEN 'warm' ELSE 'cold' END,
       CASE WHEN r_email < 0.1 THEN 'Prefers afternoon appointments.' END,
       at + interval '2 hours', at, at
FROM (SELECT i,
             (ARRAY['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth',
                    'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Carlos', 'Karen',
                    'Daniel', 'Lisa', 'Matthew', 'Nancy', 'Anthony', 'Sandra', 'Mark', 'Ashley', 'Jose', 'Emily',
                    'Luis', 'Maria', 'Wei', 'Mei', 'Aisha', 'Omar', 'Priya', 'Raj', 'Sofia', 'Liam',
                    'Olivia', 'Noah', 'Emma', 'Ava', 'Mia', 'Lucas', 'Chloe', 'Ethan', 'Zoe', 'Hannah'])[1 + floor(random() * 50)::int] AS f,
             (ARRAY['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
                    'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
                    'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
                    'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
                    'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
                    'Patel', 'Kim', 'Chen', 'Singh', 'Khan', 'Murphy', 'Cook', 'Rogers', 'Morgan', 'Cooper',
                    'Peterson', 'Bailey', 'Reed', 'Kelly', 'Howard', 'Cox', 'Ward', 'Richardson', 'Watson', 'Brooks',
                    'Wood', 'James', 'Bennett', 'Gray', 'Mendoza', 'Ruiz', 'Hughes', 'Price', 'Alvarez', 'Castillo',
                    'Sanders', 'Myers', 'Long', 'Ross', 'Foster', 'Jimenez', 'Powell', 'Jenkins', 'Perry', 'Russell',
                    'Sullivan', 'Bell', 'Coleman', 'Butler', 'Henderson', 'Barnes', 'Fisher', 'Vasquez', 'Simmons', 'Romero'])
                 [1 + floor(random() * 100)::int] AS l,
             random() AS r_email, random() AS r_status, floor(random() * 101)::int AS score,
             now() - random() * interval '400 days' AS at
      FROM generate_series(1, :contacts) i) s;

-- The org's contacts numbered 1..n, for the calls to pick their caller from.
CREATE TEMP TABLE bench_contacts ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY id)::int AS n, id, phone::text AS phone, first_name || ' ' || last_name AS name
FROM contacts WHERE org_id = :'org';
CREATE INDEX ON bench_contacts (n);
ANALYZE bench_contacts;

-- call_logs' secondary indexes (all but the keys), kept to be built again.
CREATE TEMP TABLE bench_indexes ON COMMIT DROP AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i
WHERE i.indrelid = 'call_logs'::regclass AND NOT i.indisprimary AND NOT i.indisunique;
SELECT format('DROP INDEX %s', name) FROM bench_indexes \gexec

-- Calls: 90% inbound, 8% outbound, 2% web; 70% from a known contact; mostly
-- short; about one in six inbound calls books (with a price); scored and
-- sentiment-labelled as the analytics would (a few unscored or unlabelled).
INSERT INTO call_logs (org_id, vapi_call_id, call_sid, contact_id, assistant_id, phone_number_id, call_type, status,
                       phone_number, from_number, to_number, caller_name, duration_seconds, total_cost, outcome,
                       outcome_summary, ended_reason, sentiment, sentiment_label, sentiment_score, sentiment_source,
                       success_evaluation, started_at, ended_at, created_at, updated_at, booking_confirmed, financial_value,
                       recording_status, lead_score, lead_tier)
SELECT :'org', 'bench-call-' || g.i, 'vapi-bench-call-' || g.i, c.id, :'assistant', 'bench-phone-number',
       g.call_type, CASE WHEN g.r_status < 0.97 THEN 'completed' ELSE 'ended' END,
       coalesce(c.phone, '+1' || (2000000000 + (g.i::bigint * 69621) % 7999999999)::text),
       coalesce(c.phone, '+1' || (2000000000 + (g.i::bigint * 69621) % 7999999999)::text), '+15550100000',
       coalesce(c.name, 'Unknown Caller'), g.duration, round(g.duration * 0.0012, 4), 'completed',
       (ARRAY['Caller asked about prices and opening hours.', 'Booked a cleaning for next week.',
              'Rescheduled an appointment to Friday.', 'Asked to speak with the billing department; transferred.',
              'Wanted to know whether insurance is accepted.', 'Left a message for the doctor.'])[1 + floor(g.r_summary * 6)::int],
       CASE WHEN g.r_status < 0.9 THEN 'customer-ended-call' ELSE 'assistant-ended-call' END,
       g.label, g.label, g.sentiment_score, CASE WHEN g.label IS NOT NULL THEN 'vapi' END,
       CASE WHEN g.booked THEN 'true' ELSE 'false' END,
       g.at, g.at + g.duration * interval '1 second', g.at, g.at + g.duration * interval '1 second', g.booked,
       CASE WHEN g.booked THEN (ARRAY[80, 120, 150, 250, 400, 1200])[1 + floor(g.r_value * 6)::int] END, 'completed',
       g.score, CASE WHEN g.score IS NULL THEN NULL WHEN g.score >= 70 THEN 'hot' WHEN g.score >= 40 THEN 'warm' ELSE 'cold' END
FROM (SELECT i,
             CASE WHEN r_type < 0.9 THEN 'inbound' WHEN r_type < 0.98 THEN 'outbound' ELSE 'web' END AS call_type,
             r_status, r_summary, r_value,
             15 + floor(r_duration * r_duration * 900)::int AS duration,
             r_type < 0.9 AND r_book < 0.18 AS booked,
             CASE WHEN r_sentiment < 0.52 THEN 'Positive' WHEN r_sentiment < 0.80 THEN 'Neutral'
                  WHEN r_sentiment < 0.95 THEN 'Negative' END AS label,
             CASE WHEN r_sentiment < 0.52 THEN 0.7 + r_score * 0.3 WHEN r_sentiment < 0.80 THEN 0.4 + r_score * 0.2
                  WHEN r_sentiment < 0.95 THEN r_score * 0.4 END AS sentiment_score,
             CASE WHEN r_score < 0.96 THEN floor(r_score / 0.96 * 101)::int END AS score,
             CASE WHEN r_contact < 0.7 THEN 1 + floor(r_pick * :contacts)::int END AS contact_n,
             now() - r_at * interval '365 days' AS at
      FROM (SELECT i, random() AS r_type, random() AS r_status, random() AS r_summary, random() AS r_value,
                   random() AS r_duration, random() AS r_book, random() AS r_sentiment, random() AS r_score,
                   random() AS r_contact, random() AS r_pick, random() AS r_at
            FROM generate_series(1, :calls) i) r) g
LEFT JOIN bench_contacts c ON c.n = g.contact_n;

SELECT def FROM bench_indexes \gexec
COMMIT;

VACUUM ANALYZE contacts;
VACUUM ANALYZE call_logs;
