// The Node baseline of the webhook benchmark (tests/bench/run.sh): what the
// earlier TypeScript implementation did per end-of-call report, written the
// way that stack is usually written — Express parses the JSON, the handler
// resolves the org from the assistant id (cached, as webhook-ingest caches
// it), then upserts call_logs with the same column mapping inside a
// transaction under the org's claims (row-level security on, as for us), and
// answers 200 only after COMMIT (PostgreSQL's WAL flush: durable on disk).
// No analytics, no contacts: the baseline is the bare store, so every
// difference measured is in our favour's disfavour.
'use strict';
const express = require('express');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.PG_POOL || 20) });
const secret = process.env.VAPI_WEBHOOK_SECRET;
const orgs = new Map();

const UPSERT = `INSERT INTO call_logs (org_id, vapi_call_id, call_sid, assistant_id, phone_number_id, call_type, status, outcome,
  phone_number, from_number, to_number, caller_name, duration_seconds, total_cost, outcome_summary, transcript, recording_url,
  stereo_recording_url, ended_reason, sentiment, sentiment_label, sentiment_score, sentiment_summary, sentiment_urgency,
  success_evaluation, started_at, ended_at, metadata)
VALUES ($1, $2, 'vapi-' || $2, $3, $4, $5, 'completed', 'completed', $6, $6, $7, COALESCE($8, 'Unknown Caller'), $9, $10, $11,
  $12, $13, $14, $15, $16, $16, $17, $18, $19, $20, $21, $22, $23)
ON CONFLICT (vapi_call_id) DO UPDATE SET status = 'completed', outcome = 'completed', duration_seconds = EXCLUDED.duration_seconds,
  total_cost = EXCLUDED.total_cost, outcome_summary = EXCLUDED.outcome_summary, transcript = EXCLUDED.transcript,
  recording_url = EXCLUDED.recording_url, ended_reason = EXCLUDED.ended_reason, metadata = call_logs.metadata || EXCLUDED.metadata`;
const CLAIMS = `SELECT set_config('request.jwt.claims',
  json_build_object('role', 'authenticated', 'app_metadata', json_build_object('org_id', $1::uuid))::text, true)`;

const e164 = (s) => (typeof s === 'string' && /^\+[1-9][0-9]{6,14}$/.test(s) ? s : null);
const str = (...v) => { for (const x of v) if (typeof x === 'string' && x.length) return x; return null; };

async function orgFor(assistantId) {
  if (!assistantId) return null;
  if (orgs.has(assistantId)) return orgs.get(assistantId);
  const r = await pool.query('SELECT org_for_assistant($1) AS org', [assistantId]);
  const org = r.rows[0] ? r.rows[0].org : null;
  orgs.set(assistantId, org);
  return org;
}

const app = express();
app.use(express.json({ limit: '10mb' }));
app.post('/api/vapi/webhook', async (req, res) => {
  if (req.get('x-vapi-secret') !== secret) return res.status(401).json({ error: 'unauthorized', code: 'unauthorized' });
  const m = req.body && req.body.message;
  if (!m || typeof m !== 'object') return res.status(400).json({ error: 'invalid message', code: 'invalid_message' });
  if (m.type !== 'end-of-call-report') return res.json({});
  const call = m.call || {};
  const a = m.analysis || {}, art = m.artifact || {};
  let client;
  try {
    const org = await orgFor(str(call.assistantId, m.assistant && m.assistant.id));
    if (!org) return res.json({ parked: true });
    const started = str(m.startedAt), ended = str(m.endedAt);
    const duration = started && ended ? Math.max(0, Math.round((Date.parse(ended) - Date.parse(started)) / 1000)) : null;
    const customer = call.customer || m.customer || {};
    const values = [org, call.id, str(call.assistantId), str(call.phoneNumberId), call.type === 'outboundPhoneCall' ? 'outbound' : 'inbound',
      e164(customer.number), e164(m.phoneNumber && m.phoneNumber.number), str(customer.name), duration,
      typeof m.cost === 'number' ? m.cost : null, str(a.summary, m.summary), str(art.transcript, m.transcript),
      str(art.recordingUrl, m.recordingUrl), str(art.stereoRecordingUrl), str(m.endedReason), str(a.sentiment),
      typeof a.sentimentScore === 'number' ? a.sentimentScore : null, str(a.sentimentSummary), str(a.sentimentUrgency),
      a.successEvaluation == null ? null : String(a.successEvaluation), started, ended,
      JSON.stringify({ source: 'vapi-webhook', endedReason: m.endedReason || null, structuredData: a.structuredData || null })];
    client = await pool.connect();
    await client.query('BEGIN');
    await client.query(CLAIMS, [org]);
    await client.query(UPSERT, values);
    await client.query('COMMIT');
    res.json({ received: true });
  } catch (err) {
    if (client) await client.query('ROLLBACK').catch(() => {});
    res.status(500).json({ error: 'not stored', code: 'internal' });
  } finally {
    if (client) client.release();
  }
});
app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('express baseline listening'));
