/*
 * credential-vault's NATS API against real NATS and PostgreSQL: what each
 * caller may ask (the subject names it), a get that returns the secret and
 * leaves exactly one access-log row, a ciphertext copied into another org
 * that refuses to decrypt (and nothing crashes), the keys the vault refuses
 * to start with, and key rotation of 1,000 credentials while four threads
 * read all the time — zero failed reads, every row on the new key after.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "keyring.h"
#include "voxanne/v1/vault.pb-c.h"
#include "vt.h"

#define KEY_OLD     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_NEW     "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define SECRET      "{\"accountSid\":\"AC0123456789abcdef0123456789abcdef\",\"authToken\":\"tok-3f9a8b7c6d5e4f3a2b1c\"}"
#define ROTATE_ORGS 1000

static PGconn *admin;
static natsConnection *nc;
static pid_t vault;
static char org_a[37], org_b[37];

static pid_t start_vault(const char *key, const char *previous, const char *ttl)
{
    static char k[96], p[96], t[64];
    snprintf(k, sizeof(k), "ENCRYPTION_KEY=%s", key);
    snprintf(p, sizeof(p), "ENCRYPTION_KEY_PREVIOUS=%s", previous != NULL ? previous : "");
    snprintf(t, sizeof(t), "VAULT_CACHE_TTL_MS=%s", ttl);
    const char *env[] = {k, p, t, NULL};
    return vt_start_service(nc, "credential-vault", "integrations", "credential-vault", env);
}

/* Sends request (a packed message) on rpc.vault.<caller>.<op> and returns the reply's message. */
static natsMsg *ask(const char *caller, const char *op, const ProtobufCMessage *request)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "rpc.vault.%s.%s", caller, op);
    size_t len = protobuf_c_message_get_packed_size(request);
    uint8_t *buf = malloc(len + 1);
    protobuf_c_message_pack(request, buf);
    natsMsg *msg = NULL;
    natsStatus s = natsConnection_Request(&msg, nc, subject, buf, (int)len, 10000);
    free(buf);
    VT_REQUIRE(s == NATS_OK, "the vault did not answer");
    return msg;
}

static Voxanne__V1__VaultStatus store(const char *org, const char *provider, const char *secret)
{
    Voxanne__V1__CredentialStoreRequest req = VOXANNE__V1__CREDENTIAL_STORE_REQUEST__INIT;
    req.request_id = "it-store";
    req.org_id = (char *)org;
    req.provider = (char *)provider;
    req.secret.data = (uint8_t *)secret;
    req.secret.len = strlen(secret);
    req.label = "+15550001234";
    natsMsg *m = ask("admin", "store", &req.base);
    Voxanne__V1__VaultReply *r =
        voxanne__v1__vault_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
    VT_REQUIRE(r != NULL, "unreadable store reply");
    Voxanne__V1__VaultStatus st = r->status;
    voxanne__v1__vault_reply__free_unpacked(r, NULL);
    natsMsg_Destroy(m);
    return st;
}

/* A get as caller; the reply (free it). */
static Voxanne__V1__CredentialReply *get(natsConnection *conn, const char *caller, const char *org, const char *provider)
{
    Voxanne__V1__CredentialRef req = VOXANNE__V1__CREDENTIAL_REF__INIT;
    req.request_id = "it-get";
    req.org_id = (char *)org;
    req.provider = (char *)provider;
    char subject[128];
    snprintf(subject, sizeof(subject), "rpc.vault.%s.get", caller);
    uint8_t buf[256];
    size_t len = voxanne__v1__credential_ref__pack(&req, buf);
    natsMsg *m = NULL;
    if (natsConnection_Request(&m, conn, subject, buf, (int)len, 10000) != NATS_OK)
        return NULL;
    Voxanne__V1__CredentialReply *r =
        voxanne__v1__credential_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
    natsMsg_Destroy(m);
    return r;
}

static long access_rows(const char *org, const char *caller)
{
    const char *p[2] = {org, caller};
    return vt_sql_long(admin, "SELECT count(*) FROM credential_access_log WHERE org_id = $1 AND caller = $2", 2, p);
}

static int setup(void **state)
{
    admin = vt_admin();
    VT_REQUIRE(natsConnection_ConnectTo(&nc, vt_env("NATS_URL")) == NATS_OK, "NATS");
    /* A deployment has one key: rows other tests sealed under theirs (the
     * run's database is shared) are not this vault's to rotate. */
    vt_sql_exec(admin, "DELETE FROM org_credentials", 0, NULL);
    vt_create_org(admin, "Vault A", NULL, NULL, NULL, org_a);
    vt_create_org(admin, "Vault B", NULL, NULL, NULL, org_b);
    vault = start_vault(KEY_OLD, NULL, "30000");
    return 0;
}

static int teardown(void **state)
{
    int v = vt_stop(vault, SIGTERM, 5000);
    natsConnection_Destroy(nc);
    PQfinish(admin);
    VT_REQUIRE(v == 0, "credential-vault did not stop cleanly");
    return 0;
}

static void test_refuses_to_start_without_a_good_key(void **state)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/credential-vault", vt_env("BIN_DIR"));
    const char *missing[] = {"ENCRYPTION_KEY", NULL};
    const char *short_key[] = {"ENCRYPTION_KEY=abcd", NULL};
    const char *not_hex[] = {"ENCRYPTION_KEY=zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", NULL};
    const char *same[] = {"ENCRYPTION_KEY=" KEY_OLD, "ENCRYPTION_KEY_PREVIOUS=" KEY_OLD, NULL};
    const char *const *cases[] = {missing, short_key, not_hex, same};
    const char *says[] = {"ENCRYPTION_KEY is not set", "64 hex digits", "64 hex digits", "same key"};
    for (size_t i = 0; i < 4; i++) {
        vt_run_result r = vt_run(path, NULL, cases[i]);
        if (r.status != 2 || strstr(r.err, says[i]) == NULL)
            vt_run_show("credential-vault", &r);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, says[i]));
        vt_run_free(&r);
    }
}

static void test_get_returns_the_secret_and_logs_the_read(void **state)
{
    assert_int_equal(store(org_a, "twilio", SECRET), VOXANNE__V1__VAULT_STATUS__VAULT_OK);
    long before = access_rows(org_a, "notifier");
    Voxanne__V1__CredentialReply *r = get(nc, "notifier", org_a, "twilio");
    assert_non_null(r);
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_OK);
    assert_int_equal(r->secret.len, strlen(SECRET));
    assert_memory_equal(r->secret.data, SECRET, strlen(SECRET));
    assert_string_equal(r->info->label, "+15550001234");
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
    assert_int_equal(access_rows(org_a, "notifier"), before + 1);
    /* From the cache now: still one row per read. */
    r = get(nc, "notifier", org_a, "twilio");
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_OK);
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
    assert_int_equal(access_rows(org_a, "notifier"), before + 2);
    /* The plaintext is not in the table. */
    const char *p[1] = {"tok-3f9a8b7c6d5e4f3a2b1c"};
    assert_int_equal(vt_sql_long(admin,
                                 "SELECT count(*) FROM org_credentials c WHERE c::text LIKE '%' || $1 || '%' "
                                 "OR position(convert_to($1, 'UTF8') IN c.ciphertext) > 0",
                                 1, p),
                     0);
}

/* Two replicas, each caching for 30 s: a store or delete answered by one is
 * seen at once through the other (vault.evict). */
static void test_a_change_reaches_every_replicas_cache(void **state)
{
    char org[37];
    vt_create_org(admin, "Vault replicas", NULL, NULL, NULL, org);
    static char k[96];
    snprintf(k, sizeof(k), "ENCRYPTION_KEY=%s", KEY_OLD);
    const char *env[] = {k, "VAULT_CACHE_TTL_MS=30000", NULL};
    pid_t replica = vt_spawn("credential-vault", "credential-vault-replica", env);
    vt_sleep_ms(500); /* its subscriptions are up well before then */
    const char *v1 = "{\"accountSid\":\"AC1\",\"authToken\":\"first\"}";
    const char *v2 = "{\"accountSid\":\"AC1\",\"authToken\":\"second\"}";
    assert_int_equal(store(org, "twilio", v1), VOXANNE__V1__VAULT_STATUS__VAULT_OK);
    for (int i = 0; i < 20; i++) { /* both replicas now hold v1 */
        Voxanne__V1__CredentialReply *r = get(nc, "notifier", org, "twilio");
        assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_OK);
        voxanne__v1__credential_reply__free_unpacked(r, NULL);
    }
    assert_int_equal(store(org, "twilio", v2), VOXANNE__V1__VAULT_STATUS__VAULT_OK);
    vt_sleep_ms(100);
    for (int i = 0; i < 20; i++) {
        Voxanne__V1__CredentialReply *r = get(nc, "notifier", org, "twilio");
        assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_OK);
        assert_int_equal(r->secret.len, strlen(v2));
        assert_memory_equal(r->secret.data, v2, strlen(v2));
        voxanne__v1__credential_reply__free_unpacked(r, NULL);
    }
    Voxanne__V1__CredentialRef del = VOXANNE__V1__CREDENTIAL_REF__INIT;
    del.request_id = "it-delete";
    del.org_id = org;
    del.provider = "twilio";
    natsMsg *m = ask("admin", "delete", &del.base);
    natsMsg_Destroy(m);
    vt_sleep_ms(100);
    for (int i = 0; i < 20; i++) {
        Voxanne__V1__CredentialReply *r = get(nc, "notifier", org, "twilio");
        assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_NOT_FOUND);
        voxanne__v1__credential_reply__free_unpacked(r, NULL);
    }
    assert_int_equal(vt_stop(replica, SIGTERM, 5000), 0);
}

static void test_each_caller_asks_only_what_it_may(void **state)
{
    long before = access_rows(org_a, "tool-router");
    /* tool-router may ask for a Google token, never a secret. */
    Voxanne__V1__CredentialReply *r = get(nc, "tool-router", org_a, "twilio");
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_DENIED);
    assert_int_equal(r->secret.len, 0);
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
    /* Not the gateway, not dashboard-api, not an operator; notifier only Twilio's. */
    const char *callers[] = {"gateway", "dashboard-api", "admin", "nobody"};
    for (size_t i = 0; i < 4; i++) {
        r = get(nc, callers[i], org_a, "twilio");
        assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_DENIED);
        voxanne__v1__credential_reply__free_unpacked(r, NULL);
    }
    r = get(nc, "notifier", org_a, "google_calendar");
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_DENIED);
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
    assert_int_equal(access_rows(org_a, "tool-router"), before);
    /* Bad input is refused as such. */
    r = get(nc, "notifier", "not-a-uuid", "twilio");
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_INVALID);
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
    r = get(nc, "notifier", org_a, "Twilio; DROP TABLE");
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_INVALID);
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
    assert_int_equal(store(org_a, "twilio", "not json"), VOXANNE__V1__VAULT_STATUS__VAULT_INVALID);
    /* Bytes that are no request at all. */
    natsMsg *junk = NULL;
    assert_int_equal(natsConnection_Request(&junk, nc, "rpc.vault.notifier.get", "\xff\xff\xff\x0f", 4, 10000), NATS_OK);
    r = voxanne__v1__credential_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(junk), (const uint8_t *)natsMsg_GetData(junk));
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_INVALID);
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
    natsMsg_Destroy(junk);
    /* Nothing unknown: an operation that does not exist. */
    Voxanne__V1__CredentialRef ref = VOXANNE__V1__CREDENTIAL_REF__INIT;
    natsMsg *m = ask("notifier", "dump_all", &ref.base);
    Voxanne__V1__VaultReply *vr =
        voxanne__v1__vault_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
    assert_int_equal(vr->status, VOXANNE__V1__VAULT_STATUS__VAULT_DENIED);
    voxanne__v1__vault_reply__free_unpacked(vr, NULL);
    natsMsg_Destroy(m);
    /* Org B has none of A's. */
    r = get(nc, "notifier", org_b, "twilio");
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_NOT_FOUND);
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
}

static void test_a_row_copied_to_another_org_does_not_decrypt(void **state)
{
    const char *p[2] = {org_a, org_b};
    vt_sql_exec(admin,
                "INSERT INTO org_credentials (org_id, provider, ciphertext, key_id, label) "
                "SELECT $2, provider, ciphertext, key_id, label FROM org_credentials WHERE org_id = $1 AND provider = 'twilio'",
                2, p);
    Voxanne__V1__CredentialReply *r = get(nc, "notifier", org_b, "twilio");
    assert_non_null(r);
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_UNREADABLE);
    assert_int_equal(r->secret.len, 0);
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
    /* Also as another provider of the same org. */
    vt_sql_exec(admin,
                "INSERT INTO org_credentials (org_id, provider, ciphertext, key_id, label) "
                "SELECT org_id, 'google_calendar', ciphertext, key_id, label FROM org_credentials WHERE org_id = $1 AND provider = "
                "'twilio'",
                1, p);
    assert_true(vt_alive(vault));
    r = get(nc, "notifier", org_a, "twilio");
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_OK);
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
    vt_sql_exec(admin, "DELETE FROM org_credentials WHERE org_id = $2 OR (org_id = $1 AND provider = 'google_calendar')", 2, p);
}

typedef struct reader {
    pthread_t tid;
    natsConnection *conn;
    char (*orgs)[37];
    atomic_bool *stop;
    long reads, failed;
} reader;

static void *read_all_the_time(void *arg)
{
    reader *rd = arg;
    unsigned seed = (unsigned)(uintptr_t)rd;
    while (!atomic_load(rd->stop)) {
        Voxanne__V1__CredentialReply *r = get(rd->conn, "notifier", rd->orgs[rand_r(&seed) % ROTATE_ORGS], "twilio");
        if (r == NULL || r->status != VOXANNE__V1__VAULT_STATUS__VAULT_OK || r->secret.len != strlen(SECRET) ||
            memcmp(r->secret.data, SECRET, r->secret.len) != 0)
            rd->failed++;
        rd->reads++;
        if (r != NULL)
            voxanne__v1__credential_reply__free_unpacked(r, NULL);
    }
    return NULL;
}

static void test_rotation_under_reads_loses_nothing(void **state)
{
    /* 1,000 orgs with a credential sealed under the old key. */
    char(*orgs)[37] = calloc(ROTATE_ORGS, sizeof(*orgs));
    PGresult *res =
        PQexec(admin, "INSERT INTO organizations (name) SELECT 'Rotate ' || g FROM generate_series(1, 1000) g RETURNING id");
    assert_int_equal(PQntuples(res), ROTATE_ORGS);
    for (int i = 0; i < ROTATE_ORGS; i++) {
        snprintf(orgs[i], 37, "%s", PQgetvalue(res, i, 0));
        assert_int_equal(store(orgs[i], "twilio", SECRET), VOXANNE__V1__VAULT_STATUS__VAULT_OK);
    }
    PQclear(res);

    /* The vault comes back with the new key and the old one as previous; no cache, so every read decrypts. */
    assert_int_equal(vt_stop(vault, SIGTERM, 5000), 0);
    vault = start_vault(KEY_NEW, KEY_OLD, "0");

    atomic_bool stop = false;
    reader readers[4];
    for (int i = 0; i < 4; i++) {
        readers[i] = (reader){.orgs = orgs, .stop = &stop};
        VT_REQUIRE(natsConnection_ConnectTo(&readers[i].conn, vt_env("NATS_URL")) == NATS_OK, "NATS");
        pthread_create(&readers[i].tid, NULL, read_all_the_time, &readers[i]);
    }
    vt_sleep_ms(200);
    char voxctl[512];
    snprintf(voxctl, sizeof(voxctl), "%s/voxctl", vt_env("BIN_DIR"));
    const char *args[] = {"vault", "rotate", NULL};
    vt_run_result run = vt_run(voxctl, args, NULL);
    if (run.status != 0)
        vt_run_show("voxctl vault rotate", &run);
    assert_int_equal(run.status, 0);
    vt_run_free(&run);
    vt_sleep_ms(200);
    atomic_store(&stop, true);
    long reads = 0, failed = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(readers[i].tid, NULL);
        natsConnection_Destroy(readers[i].conn);
        reads += readers[i].reads;
        failed += readers[i].failed;
    }
    print_message("rotation: %ld reads by 4 threads during it, %ld failed\n", reads, failed);
    assert_true(reads > 0);
    assert_int_equal(failed, 0);

    keyring k;
    const char *why = NULL;
    assert_int_equal(keyring_parse(KEY_NEW, NULL, &k, &why), 0);
    const char *p[1] = {k.current.id};
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM org_credentials WHERE key_id <> $1", 1, p), 0);
    /* And the old key is no longer needed. */
    assert_int_equal(vt_stop(vault, SIGTERM, 5000), 0);
    vault = start_vault(KEY_NEW, NULL, "0");
    Voxanne__V1__CredentialReply *r = get(nc, "notifier", orgs[ROTATE_ORGS - 1], "twilio");
    assert_int_equal(r->status, VOXANNE__V1__VAULT_STATUS__VAULT_OK);
    voxanne__v1__credential_reply__free_unpacked(r, NULL);
    free(orgs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_to_start_without_a_good_key),
        cmocka_unit_test(test_get_returns_the_secret_and_logs_the_read),
        cmocka_unit_test(test_a_change_reaches_every_replicas_cache),
        cmocka_unit_test(test_each_caller_asks_only_what_it_may),
        cmocka_unit_test(test_a_row_copied_to_another_org_does_not_decrypt),
        cmocka_unit_test(test_rotation_under_reads_loses_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
