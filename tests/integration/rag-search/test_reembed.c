/*
 * rag-search's embedders changed under a live knowledge base (issue 14:
 * "changing embedder re-embeds in the background without a gap in
 * answers"), rag-search as a real process on NATS and PostgreSQL, the
 * OpenAI-compatible provider played by tests/fakes/openai_embeddings.
 *
 * Proves: with no embedder a document is found by its words at once and
 * stays "indexing"; started with the built-in model, rag-search embeds it in
 * the background ("ready", every chunk's vector of use-lite-v1) while every
 * question asked meanwhile still finds it; switched to the provider (which
 * refuses the first requests with 429, so the re-embedding takes a while),
 * the old vectors are left aside and keyword answers go on until every
 * chunk has the provider's vector of the configured size.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "voxanne/v1/rag.pb-c.h"
#include "vt.h"

#define KEY "sk-proj-reembed-0123456789abcdef"

static PGconn *admin;
static natsConnection *nc;
static char org[37], doc[37];
static pid_t fake;
static char fake_url[64];

/* Whether rpc.rag.search for org finds needle. */
static bool finds(const char *question, const char *needle)
{
    Voxanne__V1__RagSearchRequest req = VOXANNE__V1__RAG_SEARCH_REQUEST__INIT;
    req.org_id = org;
    req.query = (char *)question;
    uint8_t buf[512];
    size_t len = voxanne__v1__rag_search_request__pack(&req, buf);
    natsMsg *reply = NULL;
    if (natsConnection_Request(&reply, nc, "rpc.rag.search", buf, (int)len, 5000) != NATS_OK)
        return false;
    Voxanne__V1__RagSearchReply *r =
        voxanne__v1__rag_search_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
    bool found = r != NULL && strstr(r->context, needle) != NULL;
    if (r != NULL)
        voxanne__v1__rag_search_reply__free_unpacked(r, NULL);
    natsMsg_Destroy(reply);
    return found;
}

static char *doc_field(const char *column)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT coalesce(%s::text, '') FROM kb_documents WHERE id = $1", column);
    const char *p[1] = {doc};
    return vt_sql_value(admin, sql, 1, p);
}

/* Until the document is ready with model (and every chunk has a vector of
 * model and dim floats), asks a question every 50 ms: returns how many of
 * those answers missed the document (0 means no gap). -1 on time out. */
static long misses_until_ready(const char *model, int dim, int timeout_ms)
{
    long misses = 0;
    const char *p[3] = {doc, model, NULL};
    char dims[16];
    snprintf(dims, sizeof(dims), "%d", dim);
    p[2] = dims;
    for (int waited = 0; waited < timeout_ms; waited += 50) {
        misses += !finds("Who is Dr Quillfeather?", "Quillfeather");
        long pending = vt_sql_long(admin,
                                   "SELECT count(*) FROM kb_chunks WHERE document_id = $1"
                                   " AND (embedding_model IS DISTINCT FROM $2 OR embedding_dim <> $3::integer)",
                                   3, p);
        char *status = doc_field("status"), *m = doc_field("embedding_model");
        bool ready = pending == 0 && strcmp(status, "ready") == 0 && strcmp(m, model) == 0;
        free(status);
        free(m);
        if (ready)
            return misses;
        vt_sleep_ms(50);
    }
    return -1;
}

static void test_embedders_change_without_a_gap(void **state)
{
    /* 1. No embedder: words only, the document waits for vectors. */
    const char *none_env[] = {"RAG_EMBEDDER=none", NULL};
    pid_t svc = vt_start_service(nc, "rag-search", "kb", "rag-search-reembed", none_env);
    for (int i = 0; i < 100 && !finds("Who is Dr Quillfeather?", "Quillfeather"); i++)
        vt_sleep_ms(50);
    assert_true(finds("Who is Dr Quillfeather?", "Quillfeather"));
    vt_sleep_ms(500);
    char *status = doc_field("status");
    assert_string_equal(status, "indexing");
    free(status);
    assert_int_equal(vt_stop(svc, SIGTERM, 5000), 0);

    /* 2. The built-in model: embedded in the background, answers all along. */
    svc = vt_start_service(nc, "rag-search", "kb", "rag-search-reembed", NULL);
    assert_int_equal(misses_until_ready("use-lite-v1", 512, 60000), 0);
    assert_int_equal(vt_stop(svc, SIGTERM, 5000), 0);

    /* 3. The provider, which refuses its first requests: the built-in
     * vectors are left aside, keywords answer until the new ones are in. */
    vt_fake_post(fake_url, "/_fake/fail", "{\"mode\":\"rate_limit\",\"count\":3,\"retryAfter\":\"1\"}");
    char base[96];
    snprintf(base, sizeof(base), "EMBEDDINGS_BASE_URL=%s", fake_url);
    const char *openai_env[] = {base, "EMBEDDINGS_API_KEY=" KEY, "EMBEDDINGS_MODEL=text-embedding-3-small",
                                "EMBEDDINGS_DIMENSIONS=64", NULL};
    svc = vt_start_service(nc, "rag-search", "kb", "rag-search-reembed", openai_env);
    assert_int_equal(misses_until_ready("text-embedding-3-small", 64, 60000), 0);
    cJSON *st = vt_fake_get_json(fake_url, "/_fake/state");
    assert_true(cJSON_GetObjectItem(st, "injected")->valueint == 3);
    assert_true(cJSON_GetObjectItem(st, "ok")->valueint >= 1);
    cJSON_Delete(st);
    assert_true(finds("Who is Dr Quillfeather?", "Quillfeather"));
    assert_int_equal(vt_stop(svc, SIGTERM, 5000), 0);
}

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    admin = vt_admin();
    vt_create_org(admin, "Reembed Clinic", NULL, NULL, NULL, org);
    const char *p[1] = {org};
    char *id = vt_sql_value(admin,
                            "INSERT INTO kb_documents (org_id, title, content_type, byte_size, sha256, chunk_count, characters)"
                            " VALUES ($1, 'Team', 'text/plain', 100, repeat('a', 64), 3, 300) RETURNING id",
                            1, p);
    snprintf(doc, sizeof(doc), "%s", id);
    free(id);
    const char *c[2] = {org, doc};
    vt_sql_exec(admin,
                "INSERT INTO kb_chunks (org_id, document_id, ordinal, heading, content) VALUES"
                " ($1, $2, 0, 'Our team', 'Dr. Quillfeather is our paediatric dentist; she sees children on Tuesdays.'),"
                " ($1, $2, 1, 'Prices', 'A check-up costs $85 and whitening costs $349.'),"
                " ($1, $2, 2, 'Parking', 'There is free parking behind the clinic on Elm Street.')",
                2, c);
    VT_REQUIRE(natsConnection_ConnectTo(&nc, vt_env("NATS_URL")) == NATS_OK, "cannot connect to NATS");
    int port = vt_free_port();
    char env_port[64];
    snprintf(env_port, sizeof(env_port), "OPENAI_FAKE_PORT=%d", port);
    const char *env[] = {env_port, "OPENAI_FAKE_KEY=" KEY, NULL};
    fake = vt_spawn("openai_embeddings", "openai_embeddings_fake_reembed", env);
    snprintf(fake_url, sizeof(fake_url), "http://127.0.0.1:%d", port);
    char ready[128];
    snprintf(ready, sizeof(ready), "%s/_fake/state", fake_url);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000), "the openai_embeddings fake did not start");
    return 0;
}

static int teardown(void **state)
{
    int rc = vt_stop(fake, SIGTERM, 8000);
    natsConnection_Destroy(nc);
    const char *p[1] = {org};
    vt_sql_exec(admin, "DELETE FROM organizations WHERE id = $1", 1, p);
    PQfinish(admin);
    curl_global_cleanup();
    VT_REQUIRE(rc == 0, "the openai_embeddings fake did not stop cleanly");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedders_change_without_a_gap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
