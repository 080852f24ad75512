-- The calls dashboard (dashboard-api, services/dashboard-api/calls.c) at a
-- million calls per org: its list, its page count and its stats each find
-- their calls through one index, however many calls the org has.
--
-- 1. The org's calls newest first, with the id as tie-breaker: the order of
--    the list and the key of its cursor, (created_at, id), so a page after a
--    cursor starts where the index says and reads only its rows. Row-level
--    security adds org_id = auth_org_id(); with the list's own org_id,
--    created_at range and (created_at, id) < cursor (all leakproof
--    comparisons) they are the index's conditions.
--
--    INCLUDE carries every column the list filters on and the stats add up,
--    so the page's ids, the filtered count and the stats are index-only
--    scans: the filters (status, outcome, tier, type, sentiment, the caller
--    search) are checked on the index entry, and only the page's rows are
--    read from the table, by primary key. Why not an index per filter: the
--    list is one prepared statement whose filters are optional, and its
--    generic plan cannot pick a different index for each combination; a
--    filter that is not an index condition (ILIKE, the sentiment's regular
--    expressions are not leakproof, so under row-level security they never
--    are) costs little when the entry already holds the column.
--
--    The price: the entries are larger (about 270 bytes each, measured at a
--    million calls; caller names and labels are bounded by webhook-ingest at
--    200 bytes, far below a B-tree entry's 2,700), and an update of an
--    included column (a status moving forward) cannot be a HOT update.
--    Calls are written a handful of times and read on every dashboard visit.
CREATE INDEX call_logs_org_created_id_idx ON call_logs (org_id, created_at DESC, id DESC)
    INCLUDE (status, call_type, outcome, lead_tier, booking_confirmed, financial_value, duration_seconds,
             sentiment_label, sentiment_score, caller_name, phone_number, from_number, to_number);

-- 2. Its prefix (0002) is now redundant: every query it served is served by
--    the new index in the same order, and each index costs every write.
DROP INDEX call_logs_org_created_idx;
