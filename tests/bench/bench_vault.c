/*
 * bench_vault: what a credential read costs a service — a get over NATS as
 * a service asks it (rpc.vault.notifier.get), answered by the running
 * credential-vault: uncached (read, access-log row and decryption in one
 * statement) and cached (the access-log row only). Latency percentiles of
 * one caller asking one request at a time. Prints figures; never fails on
 * them. Run by tests/bench/run.sh (`make bench`) against the suite it
 * started; NATS_URL must be an admin URL and the orgs are created here.
 *
 *   bench_vault <admin database url> <orgs>
 */
#include <libpq-fe.h>
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxanne/v1/vault.pb-c.h"
#include "vx_time.h"

#define SECRET "{\"accountSid\":\"AC0123456789abcdef0123456789abcdef\",\"authToken\":\"bench-token-0123456789abcdef\"}"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sends msg (packed request) on subject; returns the reply's status field 1 (0: ok), or -1. */
static int ask(natsConnection *nc, const char *subject, const ProtobufCMessage *req)
{
    uint8_t buf[1024];
    size_t len = protobuf_c_message_pack(req, buf);
    natsMsg *m = NULL;
    if (natsConnection_Request(&m, nc, subject, buf, (int)len, 5000) != NATS_OK)
        return -1;
    Voxanne__V1__VaultReply *r =
        voxanne__v1__vault_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
    int st = r != NULL ? (int)r->status : -1;
    voxanne__v1__vault_reply__free_unpacked(r, NULL);
    natsMsg_Destroy(m);
    return st;
}

/* Gets each org's credential once, timing each; prints p50/p99. */
static void round_of_gets(natsConnection *nc, char (*orgs)[37], int n, const char *what)
{
    int64_t *us = calloc((size_t)n, sizeof(*us));
    int failed = 0;
    for (int i = 0; i < n; i++) {
        Voxanne__V1__CredentialRef ref = VOXANNE__V1__CREDENTIAL_REF__INIT;
        ref.request_id = "bench";
        ref.org_id = orgs[i];
        ref.provider = "twilio";
        int64_t t0 = vx_monotonic_us();
        /* CredentialReply's status is field 1, as VaultReply's. */
        if (ask(nc, "rpc.vault.notifier.get", &ref.base) != 0)
            failed++;
        us[i] = vx_monotonic_us() - t0;
    }
    qsort(us, (size_t)n, sizeof(*us), cmp_i64);
    printf("  vault get %-9s n=%d p50=%.3fms p99=%.3fms max=%.3fms failed=%d\n", what, n, us[n / 2] / 1000.0,
           us[(n * 99) / 100] / 1000.0, us[n - 1] / 1000.0, failed);
    free(us);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_vault <admin database url> <orgs>\n");
        return 2;
    }
    int n = atoi(argv[2]);
    if (n < 10 || n > 100000)
        return 2;
    PGconn *db = PQconnectdb(argv[1]);
    natsConnection *nc = NULL;
    if (PQstatus(db) != CONNECTION_OK || natsConnection_ConnectTo(&nc, getenv("NATS_URL")) != NATS_OK) {
        fprintf(stderr, "bench_vault: cannot reach the database or NATS\n");
        return 1;
    }
    char count[16];
    snprintf(count, sizeof(count), "%d", n);
    const char *params[1] = {count};
    PGresult *res = PQexecParams(
        db, "INSERT INTO organizations (name) SELECT 'Vault bench ' || g FROM generate_series(1, $1::int) g RETURNING id", 1, NULL,
        params, NULL, NULL, 0);
    if (PQntuples(res) != n) {
        fprintf(stderr, "bench_vault: %s", PQerrorMessage(db));
        return 1;
    }
    char(*orgs)[37] = calloc((size_t)n, sizeof(*orgs));
    for (int i = 0; i < n; i++)
        snprintf(orgs[i], 37, "%s", PQgetvalue(res, i, 0));
    PQclear(res);
    for (int i = 0; i < n; i++) {
        Voxanne__V1__CredentialStoreRequest st = VOXANNE__V1__CREDENTIAL_STORE_REQUEST__INIT;
        st.request_id = "bench";
        st.org_id = orgs[i];
        st.provider = "twilio";
        st.secret.data = (uint8_t *)SECRET;
        st.secret.len = strlen(SECRET);
        if (ask(nc, "rpc.vault.admin.store", &st.base) != 0) {
            fprintf(stderr, "bench_vault: storing failed (is credential-vault running?)\n");
            return 1;
        }
    }
    printf("credential-vault (one caller, one request at a time, %d orgs)\n", n);
    round_of_gets(nc, orgs, n, "uncached");
    round_of_gets(nc, orgs, n, "cached");
    free(orgs);
    natsConnection_Destroy(nc);
    nats_Close();
    PQfinish(db);
    return 0;
}
