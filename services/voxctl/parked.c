/*
 * parked: `voxctl parked list` and `voxctl parked replay` (see parked.h).
 */
#include "parked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxanne/v1/vapi.pb-c.h"
#include "vx_nats.h"
#include "vx_time.h"

#define STMT_LIST   "vxctl_parked_list"
#define STMT_ROWS   "vxctl_parked_rows"
#define STMT_DELETE "vxctl_parked_delete"

static const char LIST_SQL[] =
    "SELECT id, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), reason,"
    " COALESCE(message_type, '-'), COALESCE(vapi_call_id, '-'), COALESCE(request_id, '-')"
    " FROM parked_messages WHERE $2::text IS NULL OR starts_with(reason, $2::text) ORDER BY id LIMIT $1::integer";
static const char ROWS_SQL[] = "SELECT id, COALESCE(message_type, ''), COALESCE(vapi_call_id, ''), payload::text"
                               " FROM parked_messages WHERE ($1::bigint = 0 OR id = $1::bigint)"
                               " AND ($3::text IS NULL OR starts_with(reason, $3::text)) ORDER BY id LIMIT $2::integer";
static const char DELETE_SQL[] = "DELETE FROM parked_messages WHERE id = $1::bigint";

static void prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_LIST, LIST_SQL);
    vx_pg_prepare(pg, STMT_ROWS, ROWS_SQL);
    vx_pg_prepare(pg, STMT_DELETE, DELETE_SQL);
}

vxctl_status vxctl_parked_list(vx_pg *admin, long limit, const char *reason)
{
    prepare(admin);
    char n[24];
    snprintf(n, sizeof n, "%ld", limit);
    const char *params[2] = {n, reason};
    PGresult *res = vx_pg_exec(admin, STMT_LIST, 2, params);
    if (res == NULL) {
        vxctl_errorf("parked list: %s", vx_pg_error(admin));
        return VXCTL_FAILED;
    }
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++)
        printf("%s\t%s\t%s\t%s\t%s\t%s\n", vx_pg_value(res, i, 0), vx_pg_value(res, i, 1), vx_pg_value(res, i, 2),
               vx_pg_value(res, i, 3), vx_pg_value(res, i, 4), vx_pg_value(res, i, 5));
    fprintf(stderr, "%d parked%s\n", rows, rows == limit ? " (more may be left: --limit)" : "");
    PQclear(res);
    return VXCTL_OK;
}

/* The subject token of a message type as the gateway makes it: letters,
 * digits, '-' and '_' kept, '.' as '_'; anything else (or nothing) "unknown". */
static void subject_token(const char *type, char *out, size_t cap)
{
    size_t n = strlen(type);
    bool ok = n > 0 && n < cap;
    for (size_t i = 0; ok && i < n; i++) {
        char c = type[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        out[i] = c == '.' ? '_' : c;
    }
    if (ok)
        out[n] = '\0';
    else
        snprintf(out, cap, "unknown");
}

/* Publishes one parked message to the stream and waits for its PubAck. */
static bool republish(jsCtx *js, const char *id, const char *type, const char *call_id, const char *payload)
{
    char request_id[64], msg_id[64], token[101], subject[128];
    snprintf(request_id, sizeof request_id, "replay-%s-%lld", id, (long long)vx_now_ms());
    snprintf(msg_id, sizeof msg_id, "replay:%s", id);
    subject_token(type, token, sizeof token);
    snprintf(subject, sizeof subject, "%s%s", VX_SUBJECT_VAPI_PREFIX, token);
    Voxanne__V1__VapiMessageEvent ev = VOXANNE__V1__VAPI_MESSAGE_EVENT__INIT;
    ev.request_id = request_id;
    ev.type = (char *)type;
    ev.call_id = (char *)call_id;
    ev.raw_json.data = (uint8_t *)payload;
    ev.raw_json.len = strlen(payload);
    ev.received_at_ms = vx_now_ms();
    size_t len = voxanne__v1__vapi_message_event__get_packed_size(&ev);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    voxanne__v1__vapi_message_event__pack(&ev, buf);
    jsErrCode jerr = 0;
    natsStatus s = vx_js_publish_once(js, VX_STREAM_VAPI, subject, msg_id, buf, len, true, &jerr);
    free(buf);
    if (s != NATS_OK)
        vxctl_errorf("parked replay: %s not republished: %s (JetStream error %d)", id, natsStatus_GetText(s), (int)jerr);
    return s == NATS_OK;
}

vxctl_status vxctl_parked_replay(vx_pg *admin, jsCtx *js, long id, long limit, const char *reason)
{
    prepare(admin);
    char idtext[24], n[24];
    snprintf(idtext, sizeof idtext, "%ld", id);
    snprintf(n, sizeof n, "%ld", id ? 1 : limit);
    const char *params[3] = {idtext, n, reason};
    PGresult *res = vx_pg_exec(admin, STMT_ROWS, 3, params);
    if (res == NULL) {
        vxctl_errorf("parked replay: %s", vx_pg_error(admin));
        return VXCTL_FAILED;
    }
    int rows = PQntuples(res), replayed = 0;
    if (id != 0 && rows == 0) {
        vxctl_errorf("parked replay: no parked message %ld", id);
        PQclear(res);
        return VXCTL_FAILED;
    }
    for (int i = 0; i < rows; i++) {
        const char *row = vx_pg_value(res, i, 0), *type = vx_pg_value(res, i, 1), *call = vx_pg_value(res, i, 2);
        if (!republish(js, row, type, call, vx_pg_value(res, i, 3)))
            continue;
        const char *del[1] = {row};
        PGresult *d = vx_pg_exec(admin, STMT_DELETE, 1, del);
        if (d == NULL) {
            /* Published, still parked: a second replay within two minutes is de-duplicated. */
            vxctl_errorf("parked replay: %s republished but not removed: %s", row, vx_pg_error(admin));
            continue;
        }
        PQclear(d);
        printf("replayed %s (%s, call %s)\n", row, *type ? type : "-", *call ? call : "-");
        replayed++;
    }
    fprintf(stderr, "%d of %d parked messages replayed\n", replayed, rows);
    PQclear(res);
    return replayed == rows ? VXCTL_OK : VXCTL_FAILED;
}
