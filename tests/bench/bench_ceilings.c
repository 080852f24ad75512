/*
 * bench_ceilings: what this machine allows the webhook path at most, each
 * stage alone, so the webhook figures of tests/bench/run.sh can be read
 * against them:
 *   - JetStream publish alone: N reports' worth of bytes (the fixture's size)
 *     published with many acknowledgements in flight, as the gateway does,
 *     to a stream of the VAPI stream's shape (file storage, work queue);
 *   - PostgreSQL batch insert alone: the same number of call_logs-shaped rows
 *     written 64 per transaction with one set-based statement, as
 *     webhook-ingest writes them (a real, logged table with call_logs'
 *     indexes and constraints; no row-level security, no analytics).
 * Usage: bench_ceilings <admin database url> <report file> [n]; NATS_URL (admin).
 * Prints figures, never passes or fails.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <nats/nats.h>

#include "vt.h"
#include "vx_time.h"

#define BATCH 64

static void jetstream_alone(const char *payload, size_t len, int n)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsOptions o;
    jsOptions_Init(&o);
    o.PublishAsync.MaxPending = 4096;
    if (natsConnection_ConnectTo(&nc, vt_env("NATS_URL")) != NATS_OK || natsConnection_JetStream(&js, nc, &o) != NATS_OK) {
        printf("  jetstream alone: cannot connect\n");
        return;
    }
    static const char *subjects[] = {"bench.ceiling.>"};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "BENCH_CEILING";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Retention = js_WorkQueuePolicy;
    cfg.Duplicates = (int64_t)120 * 1000000000LL;
    cfg.Replicas = getenv("VAPI_STREAM_REPLICAS") ? atoi(getenv("VAPI_STREAM_REPLICAS")) : 1; /* as the VAPI stream */
    jsErrCode jerr = 0;
    js_DeleteStream(js, "BENCH_CEILING", NULL, &jerr);
    if (js_AddStream(NULL, js, &cfg, NULL, &jerr) != NATS_OK) {
        printf("  jetstream alone: cannot create the stream (%d)\n", (int)jerr);
        goto out;
    }
    int64_t start = vx_monotonic_us();
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "ceiling-%d", i);
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = id; /* as the gateway: every publish carries a de-duplication id */
        if (js_PublishAsync(js, "bench.ceiling.report", payload, (int)len, &po) != NATS_OK) {
            printf("  jetstream alone: publish failed at %d\n", i);
            goto out;
        }
    }
    jsPubOptions done;
    jsPubOptions_Init(&done);
    done.MaxWait = 60000;
    js_PublishAsyncComplete(js, &done);
    double s = (double)(vx_monotonic_us() - start) / 1e6;
    printf("  jetstream alone: %d publishes of %zu bytes, acknowledged, R%d, in %.2f s: %.0f/s\n", n, len, (int)cfg.Replicas, s,
           n / s);
out:
    js_DeleteStream(js, "BENCH_CEILING", NULL, &jerr);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

static void exec_or_say(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        printf("  postgres alone: %s", PQerrorMessage(c));
    PQclear(r);
}

static void postgres_alone(const char *url, const char *transcript, int n)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        printf("  postgres alone: cannot connect\n");
        PQfinish(c);
        return;
    }
    exec_or_say(c, "DROP TABLE IF EXISTS bench_ceiling_calls");
    exec_or_say(c, "CREATE TABLE bench_ceiling_calls (LIKE call_logs INCLUDING ALL)");
    exec_or_say(c, "ALTER TABLE bench_ceiling_calls ALTER COLUMN org_id SET DEFAULT gen_random_uuid()");
    const char *sql = "INSERT INTO bench_ceiling_calls (org_id, vapi_call_id, call_sid, status, phone_number, caller_name,"
                      " duration_seconds, transcript, outcome_summary, started_at, ended_at, metadata)"
                      " SELECT gen_random_uuid(), r.id, 'vapi-' || r.id, 'completed', r.caller::e164, r.name, r.duration,"
                      " r.transcript, r.summary, r.started_at, r.ended_at, r.metadata FROM jsonb_to_recordset($1::jsonb)"
                      " AS r(id text, caller text, name text, duration integer, transcript text, summary text,"
                      " started_at timestamptz, ended_at timestamptz, metadata jsonb)"
                      " ON CONFLICT (vapi_call_id) DO UPDATE SET transcript = EXCLUDED.transcript";
    int64_t start = vx_monotonic_us();
    for (int done = 0; done < n; done += BATCH) {
        cJSON *rows = cJSON_CreateArray();
        for (int i = done; i < done + BATCH && i < n; i++) {
            char id[48];
            snprintf(id, sizeof id, "ceiling-%d-%" PRId64, i, start);
            cJSON *row = cJSON_CreateObject();
            cJSON_AddStringToObject(row, "id", id);
            cJSON_AddStringToObject(row, "caller", "+14155550123");
            cJSON_AddStringToObject(row, "name", "Jane Doe");
            cJSON_AddNumberToObject(row, "duration", 180);
            cJSON_AddStringToObject(row, "transcript", transcript);
            cJSON_AddStringToObject(row, "summary", "Jane Doe called to rebook her appointment.");
            cJSON_AddStringToObject(row, "started_at", "2026-11-30T15:00:00Z");
            cJSON_AddStringToObject(row, "ended_at", "2026-11-30T15:03:00Z");
            cJSON_AddItemToObject(row, "metadata", cJSON_CreateRaw("{\"source\":\"bench\"}"));
            cJSON_AddItemToArray(rows, row);
        }
        char *json = cJSON_PrintUnformatted(rows);
        cJSON_Delete(rows);
        const char *params[1] = {json};
        exec_or_say(c, "BEGIN");
        PGresult *r = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            printf("  postgres alone: %s", PQerrorMessage(c));
        PQclear(r);
        exec_or_say(c, "COMMIT");
        free(json);
    }
    double s = (double)(vx_monotonic_us() - start) / 1e6;
    printf("  postgres alone: %d rows, %d per transaction, one connection, in %.2f s: %.0f rows/s\n", n, BATCH, s, n / s);
    exec_or_say(c, "DROP TABLE bench_ceiling_calls");
    PQfinish(c);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_ceilings <admin database url> <report file> [n]\n");
        return 2;
    }
    int n = argc > 3 ? atoi(argv[3]) : 20000;
    size_t len = 0;
    char *report = vt_read_file(argv[2], &len);
    cJSON *root = cJSON_Parse(report);
    const cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "message"), "artifact"), "transcript");
    printf("ceilings of this machine, each stage alone (%d reports)\n", n);
    jetstream_alone(report, len, n);
    postgres_alone(argv[1], cJSON_IsString(t) ? t->valuestring : "", n);
    cJSON_Delete(root);
    free(report);
    nats_Close();
    return 0;
}
