/*
 * readiness: the health poller thread.
 */
#include "readiness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "voxanne/v1/gateway.pb-c.h"

#define POLL_INTERVAL_US  1000000
#define HEALTH_TIMEOUT_MS 500

static bool ask(natsConnection *nc, const char *name, bool *absent)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "rpc.%s.health", name);
    natsMsg *reply = NULL;
    natsStatus s = natsConnection_Request(&reply, nc, subject, NULL, 0, HEALTH_TIMEOUT_MS);
    *absent = s == NATS_NO_RESPONDERS;
    if (s != NATS_OK)
        return false;
    bool ok = false;
    if (natsMsg_IsNoResponders(reply)) {
        *absent = true;
    } else {
        Voxanne__V1__HealthReply *h =
            voxanne__v1__health_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
        ok = h != NULL && h->ok;
        if (h != NULL)
            voxanne__v1__health_reply__free_unpacked(h, NULL);
    }
    natsMsg_Destroy(reply);
    return ok;
}

static void *poll_loop(void *arg)
{
    readiness *r = arg;
    while (!atomic_load(&r->stop)) {
        for (int i = 0; i < r->count && !atomic_load(&r->stop); i++) {
            bool absent = false;
            atomic_store(&r->ok[i], ask(r->nc, r->names[i], &absent));
            atomic_store(&r->absent[i], absent);
        }
        for (int slept = 0; slept < POLL_INTERVAL_US && !atomic_load(&r->stop); slept += 50000)
            usleep(50000);
    }
    return NULL;
}

void readiness_start(readiness *r, natsConnection *nc, const char *services)
{
    memset(r, 0, sizeof(*r));
    r->nc = nc;
    char *copy = strdup(services != NULL ? services : "");
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok != NULL && r->count < READINESS_MAX_SERVICES;
         tok = strtok_r(NULL, ", ", &save))
        r->names[r->count++] = strdup(tok);
    free(copy);
    r->running = pthread_create(&r->tid, NULL, poll_loop, r) == 0;
}

void readiness_stop(readiness *r)
{
    atomic_store(&r->stop, true);
    if (r->running) {
        pthread_join(r->tid, NULL);
        r->running = false;
    }
}

void readiness_destroy(readiness *r)
{
    readiness_stop(r);
    for (int i = 0; i < r->count; i++) {
        free(r->names[i]);
        r->names[i] = NULL;
    }
    r->count = 0;
}

bool readiness_subject_absent(readiness *r, const char *subject)
{
    if (strncmp(subject, "rpc.", 4) != 0)
        return false;
    const char *name = subject + 4;
    const char *dot = strchr(name, '.');
    size_t len = dot != NULL ? (size_t)(dot - name) : strlen(name);
    for (int i = 0; i < r->count; i++)
        if (strlen(r->names[i]) == len && memcmp(r->names[i], name, len) == 0)
            return atomic_load(&r->absent[i]);
    return false;
}

bool readiness_render(readiness *r, vx_buf *out, bool details)
{
    bool nats_ok = natsConnection_Status(r->nc) == NATS_CONN_STATUS_CONNECTED;
    bool all = nats_ok, ok[READINESS_MAX_SERVICES];
    for (int i = 0; i < r->count; i++) {
        ok[i] = atomic_load(&r->ok[i]);
        all = all && ok[i];
    }
    vx_buf_putc(out, '{');
    if (details) {
        vx_buf_printf(out, "\"checks\":{\"nats\":%s", nats_ok ? "true" : "false");
        for (int i = 0; i < r->count; i++) {
            vx_buf_putc(out, ',');
            vx_buf_json_string(out, r->names[i], strlen(r->names[i]));
            vx_buf_printf(out, ":%s", ok[i] ? "true" : "false");
        }
        vx_buf_puts(out, "},");
    }
    vx_buf_printf(out, "\"status\":\"%s\"}", all ? "ready" : "not_ready");
    return all;
}
