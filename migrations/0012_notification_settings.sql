-- The owner's notification preferences (dashboard-api's
-- PUT /api/settings/notifications), beside hot_lead_threshold (0009):
--   reminder_lead_minutes  how long before an appointment its reminder goes
--                          out: 15 minutes to a week, a day unless changed;
--   lead_alerts            whether a hot lead alerts the owner at all, so
--                          alerts can be paused without losing the threshold.
-- Defaults as every org had them before: readers COALESCE to the same values
-- for an org without an org_settings row.
ALTER TABLE org_settings
    ADD COLUMN reminder_lead_minutes  integer NOT NULL DEFAULT 1440 CHECK (reminder_lead_minutes BETWEEN 15 AND 10080),
    ADD COLUMN lead_alerts            boolean NOT NULL DEFAULT true;
