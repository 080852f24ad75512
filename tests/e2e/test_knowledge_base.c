/*
 * The knowledge base end to end (issue 14): the owner's routes through the
 * gateway, two rag-search replicas, tool-router's getKnowledgeBase and
 * Vapi's knowledge-base-request, on the real NATS and PostgreSQL.
 *
 * Proves: an uploaded document is searchable on both replicas within a
 * second (keywords, before any vector exists), becomes "ready" once
 * embedded, answers a live call's getKnowledgeBase and knowledge-base-request,
 * and after its deletion is gone from both replicas; the same bytes uploaded
 * twice are one document; org B's token never lists, reads, finds or deletes
 * org A's document, and rpc.rag.search for B never returns A's text; staff
 * may read and try questions but not upload or delete; bad input of every
 * kind is a clear 4xx JSON error and stores nothing; a PDF's text is found;
 * the list comes in pages by cursor (X-Next-Cursor), each document once,
 * newest first, whatever is uploaded meanwhile, and a cursor that is not
 * this list's and this org's is 400 invalid_cursor revealing nothing;
 * uploads and deletions are in the owner's audit log, never another org's;
 * an envelope the gateway did not sign, and a malformed rpc.rag.search, are
 * refused by the service itself.
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
#include "vx_buf.h"
#include "vx_cursor.h"
#include "vx_routes.h"
#include "vx_time.h"

static vt_suite suite;
static PGconn *admin;
static natsConnection *nc;
static pid_t replicas[2];
static char org_a[37], org_b[37], asst_a[37], asst_b[37];
static char *owner_a, *owner_b, *staff_a;

static const char *const VAPI_HEADERS[] = {"x-vapi-secret: test-vapi-secret", NULL};

static vt_response kb(const char *method, const char *token, const char *path, const char *content_type, const char *body,
                      size_t len)
{
    char url[512], auth[2048], ct[128];
    snprintf(url, sizeof(url), "%s%s", suite.base_url, path);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    snprintf(ct, sizeof(ct), "Content-Type: %s", content_type != NULL ? content_type : "");
    const char *headers[3] = {auth, content_type != NULL ? ct : NULL, NULL};
    return vt_http(method, url, headers, body, len);
}

/* Uploads body as title; the answer's document id (when 200/201) into id. */
static long upload(const char *token, const char *title, const char *content_type, const char *body, size_t len, char id[37])
{
    char path[256];
    snprintf(path, sizeof(path), "/api/knowledge-base/documents?title=%s", title);
    vt_response r = kb("POST", token, path, content_type, body, len);
    long status = r.status;
    if (id != NULL)
        id[0] = '\0';
    cJSON *doc = cJSON_Parse(r.body);
    if (id != NULL && (status == 200 || status == 201))
        snprintf(id, 37, "%s", cJSON_GetObjectItem(doc, "id")->valuestring);
    if (status >= 400) {
        /* Every refusal is {"error", "code"}. */
        assert_non_null(cJSON_GetObjectItem(doc, "error"));
        assert_non_null(cJSON_GetObjectItem(doc, "code"));
    }
    cJSON_Delete(doc);
    vt_response_free(&r);
    return status;
}

/* Asks rpc.rag.search directly, as tool-router does; the context (malloc'd, "" when nothing). */
static char *ask_bus(const char *org, const char *question)
{
    Voxanne__V1__RagSearchRequest req = VOXANNE__V1__RAG_SEARCH_REQUEST__INIT;
    req.request_id = "e2e";
    req.org_id = (char *)org;
    req.query = (char *)question;
    uint8_t buf[1024];
    size_t len = voxanne__v1__rag_search_request__pack(&req, buf);
    natsMsg *reply = NULL;
    VT_REQUIRE(natsConnection_Request(&reply, nc, "rpc.rag.search", buf, (int)len, 5000) == NATS_OK, "rpc.rag.search failed");
    Voxanne__V1__RagSearchReply *r =
        voxanne__v1__rag_search_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
    VT_REQUIRE(r != NULL && r->error[0] == '\0', "rpc.rag.search answered an error");
    char *context = strdup(r->context);
    voxanne__v1__rag_search_reply__free_unpacked(r, NULL);
    natsMsg_Destroy(reply);
    return context;
}

/* True when every one of 20 questions (spread over both replicas by the
 * queue group) finds needle, or — found false — when none does. */
typedef struct expectation {
    const char *org, *question, *needle;
    bool found;
} expectation;

static bool all_replicas_agree(void *arg)
{
    const expectation *e = arg;
    for (int i = 0; i < 20; i++) {
        char *context = ask_bus(e->org, e->question);
        bool has = strstr(context, e->needle) != NULL;
        free(context);
        if (has != e->found)
            return false;
    }
    return true;
}

static long kb_documents_of(const char *org)
{
    const char *p[1] = {org};
    return vt_sql_long(admin, "SELECT count(*) FROM kb_documents WHERE org_id = $1", 1, p);
}

static const char CLINIC_MD[] = "# Our team\n\n"
                                "Dr. Quillfeather is our paediatric dentist. She sees children on Tuesday mornings.\n\n"
                                "## Prices\n\n"
                                "- A check-up costs $85.\n"
                                "- Teeth whitening costs $349 and takes ninety minutes.\n\n"
                                "# Parking\n\nThere is free parking behind the clinic on Elm Street.\n";

static bool document_ready(void *arg)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/knowledge-base/documents/%s", (const char *)arg);
    vt_response r = kb("GET", owner_a, path, NULL, NULL, 0);
    cJSON *doc = cJSON_Parse(r.body);
    const cJSON *status = cJSON_GetObjectItem(doc, "status");
    bool ready = r.status == 200 && cJSON_IsString(status) && strcmp(status->valuestring, "ready") == 0;
    cJSON_Delete(doc);
    vt_response_free(&r);
    return ready;
}

static void test_upload_search_delete_on_two_replicas(void **state)
{
    char id[37];
    assert_int_equal(upload(owner_a, "Team%20and%20prices", "text/markdown; charset=utf-8", CLINIC_MD, strlen(CLINIC_MD), id), 201);
    expectation found = {org_a, "Can my son see Dr Quillfeather?", "Quillfeather", true};
    assert_true(vt_wait_for(all_replicas_agree, &found, 5000));
    /* The owner's try-out shows the chunk under its heading. */
    vt_response r = kb("GET", owner_a, "/api/knowledge-base/search?q=how%20much%20is%20whitening", NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "$349"));
    assert_non_null(strstr(r.body, "Our team > Prices"));
    vt_response_free(&r);
    assert_true(vt_wait_for(document_ready, id, 60000));

    /* A live call: the tool and Vapi's own knowledge lookup. */
    char url[128];
    snprintf(url, sizeof(url), "%s/api/vapi/webhook", suite.base_url);
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"kb-call-1\",\"assistantId\":\"%s\"},"
             "\"toolCallList\":[{\"id\":\"kb-1\",\"type\":\"function\",\"function\":{\"name\":\"getKnowledgeBase\","
             "\"arguments\":{\"query\":\"Where can I park?\"}}}]}}",
             asst_a);
    r = vt_http("POST", url, VAPI_HEADERS, body, strlen(body));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "Elm Street"));
    vt_response_free(&r);
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"knowledge-base-request\",\"call\":{\"id\":\"kb-call-2\",\"assistantId\":\"%s\"},"
             "\"messages\":[{\"role\":\"user\",\"content\":\"Who treats children?\"}],"
             "\"messagesOpenAIFormatted\":[{\"role\":\"user\",\"content\":\"Who treats children?\"}]}}",
             asst_a);
    r = vt_http("POST", url, VAPI_HEADERS, body, strlen(body));
    assert_int_equal(r.status, 200);
    cJSON *answer = cJSON_Parse(r.body);
    const cJSON *docs = cJSON_GetObjectItem(answer, "documents");
    assert_true(cJSON_GetArraySize(docs) >= 1);
    assert_non_null(strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(docs, 0), "content")->valuestring, "Quillfeather"));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetArrayItem(docs, 0), "similarity")));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetArrayItem(docs, 0), "uuid")));
    cJSON_Delete(answer);
    vt_response_free(&r);

    /* The same bytes again: the same document, nothing stored twice. */
    char again[37];
    assert_int_equal(upload(owner_a, "Again", "text/markdown", CLINIC_MD, strlen(CLINIC_MD), again), 200);
    assert_string_equal(again, id);
    assert_int_equal(kb_documents_of(org_a), 1);

    char path[128];
    snprintf(path, sizeof(path), "/api/knowledge-base/documents/%s", id);
    r = kb("DELETE", owner_a, path, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
    expectation gone = {org_a, "Can my son see Dr Quillfeather?", "Quillfeather", false};
    assert_true(vt_wait_for(all_replicas_agree, &gone, 5000));
    r = kb("GET", owner_a, path, NULL, NULL, 0);
    assert_int_equal(r.status, 404);
    vt_response_free(&r);
    assert_int_equal(kb_documents_of(org_a), 0);
    const char *p[1] = {id};
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM kb_chunks WHERE document_id = $1", 1, p), 0);
}

static void test_orgs_never_meet(void **state)
{
    char id[37];
    const char text[] = "Our hygienist Mrs. Featherstonehaugh works on Fridays.";
    assert_int_equal(upload(owner_a, "Staff", "text/plain", text, strlen(text), id), 201);
    expectation a_finds = {org_a, "Featherstonehaugh", "Featherstonehaugh", true};
    assert_true(vt_wait_for(all_replicas_agree, &a_finds, 5000));
    expectation b_never = {org_b, "Featherstonehaugh", "Featherstonehaugh", false};
    assert_true(all_replicas_agree(&b_never));

    char path[128];
    snprintf(path, sizeof(path), "/api/knowledge-base/documents/%s", id);
    vt_response r = kb("GET", owner_b, path, NULL, NULL, 0);
    assert_int_equal(r.status, 404);
    vt_response_free(&r);
    r = kb("DELETE", owner_b, path, NULL, NULL, 0);
    assert_int_equal(r.status, 404);
    vt_response_free(&r);
    r = kb("GET", owner_b, "/api/knowledge-base/documents", NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, id));
    vt_response_free(&r);
    r = kb("GET", owner_b, "/api/knowledge-base/search?q=Featherstonehaugh", NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "Featherstonehaugh\\u0020works")); /* the query is echoed, never A's text */
    assert_null(strstr(r.body, "Fridays"));
    vt_response_free(&r);
    assert_int_equal(kb_documents_of(org_a), 1);

    /* Staff of A: reads and tries, never changes. */
    r = kb("GET", staff_a, "/api/knowledge-base/documents", NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, id));
    vt_response_free(&r);
    r = kb("GET", staff_a, "/api/knowledge-base/search?q=hygienist", NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
    assert_int_equal(upload(staff_a, "Mine", "text/plain", "Staff text.", 11, NULL), 403);
    r = kb("DELETE", staff_a, path, NULL, NULL, 0);
    assert_int_equal(r.status, 403);
    vt_response_free(&r);
    assert_int_equal(kb_documents_of(org_a), 1);
    r = kb("DELETE", owner_a, path, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
}

static void test_bad_input_changes_nothing(void **state)
{
    long before = kb_documents_of(org_a);
    const char text[] = "Some text.";
    assert_int_equal(upload(owner_a, "T", NULL, text, strlen(text), NULL), 415);
    assert_int_equal(upload(owner_a, "T", "text/html", "<p>x</p>", 8, NULL), 415);
    assert_int_equal(upload(owner_a, "T", "text/plain; charset=latin1", text, strlen(text), NULL), 415);
    assert_int_equal(upload(owner_a, "T", "text/plain", "", 0, NULL), 400);
    assert_int_equal(upload(owner_a, "", "text/plain", text, strlen(text), NULL), 400);
    assert_int_equal(upload(owner_a, "%ZZ", "text/plain", text, strlen(text), NULL), 400);
    assert_int_equal(upload(owner_a, "T", "text/plain", "   \n\n\t ", 7, NULL), 422);
    assert_int_equal(upload(owner_a, "T", "application/pdf", "this is not a pdf at all", 24, NULL), 422);
    vt_response r = kb("POST", owner_a, "/api/knowledge-base/documents", "text/plain", text, strlen(text));
    assert_int_equal(r.status, 400); /* no title */
    vt_response_free(&r);
    r = kb("GET", owner_a, "/api/knowledge-base/documents/not-a-uuid", NULL, NULL, 0);
    assert_true(r.status == 400 || r.status == 404);
    vt_response_free(&r);
    r = kb("GET", owner_a, "/api/knowledge-base/search", NULL, NULL, 0);
    assert_int_equal(r.status, 400);
    vt_response_free(&r);
    r = kb("GET", owner_a, "/api/knowledge-base/search?q=x&limit=abc", NULL, NULL, 0);
    assert_int_equal(r.status, 400);
    vt_response_free(&r);
    r = kb("GET", owner_a, "/api/knowledge-base/documents?limit=0", NULL, NULL, 0);
    assert_int_equal(r.status, 400);
    vt_response_free(&r);
    /* Larger than the route's 10 MiB: refused by the gateway before any service. */
    size_t big = ((size_t)10 << 20) + 1;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    assert_int_equal(upload(owner_a, "Huge", "text/plain", huge, big, NULL), 413);
    free(huge);
    assert_int_equal(kb_documents_of(org_a), before);
}

/* A one-page PDF whose page says text (Helvetica, one line). */
static char *tiny_pdf(const char *text, size_t *len)
{
    char content[256];
    int clen = snprintf(content, sizeof(content), "BT /F1 12 Tf 72 720 Td (%s) Tj ET", text);
    char *pdf = malloc(2048);
    size_t off[6];
    size_t n = 0;
    n += (size_t)sprintf(pdf + n, "%%PDF-1.4\n");
    off[1] = n;
    n += (size_t)sprintf(pdf + n, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    off[2] = n;
    n += (size_t)sprintf(pdf + n, "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n");
    off[3] = n;
    n += (size_t)sprintf(pdf + n, "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
                                  " /Resources << /Font << /F1 5 0 R >> >> >> endobj\n");
    off[4] = n;
    n += (size_t)sprintf(pdf + n, "4 0 obj << /Length %d >> stream\n%s\nendstream endobj\n", clen, content);
    off[5] = n;
    n += (size_t)sprintf(pdf + n, "5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n");
    size_t xref = n;
    n += (size_t)sprintf(pdf + n, "xref\n0 6\n0000000000 65535 f \n");
    for (int i = 1; i <= 5; i++)
        n += (size_t)sprintf(pdf + n, "%010zu 00000 n \n", off[i]);
    n += (size_t)sprintf(pdf + n, "trailer << /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", xref);
    *len = n;
    return pdf;
}

/* Six levels of headings of 120 characters each (the chunker's most): the
 * chunk's heading path is stored whole and found. */
static void test_deep_headings_are_kept(void **state)
{
    vx_buf md = VX_BUF_INIT;
    for (int level = 1; level <= 6; level++) {
        vx_buf_printf(&md, "%.*s Level %d ", level, "######", level);
        for (int k = 0; k < 12; k++)
            vx_buf_puts(&md, "Headingword ");
        vx_buf_puts(&md, "\n\n");
    }
    vx_buf_puts(&md, "The Zyzzogeton room is on the second floor.\n");
    char id[37];
    assert_int_equal(upload(owner_a, "Deep", "text/markdown", md.data, md.len, id), 201);
    vx_buf_free(&md);
    expectation found = {org_a, "Where is the Zyzzogeton room?", "Zyzzogeton", true};
    assert_true(vt_wait_for(all_replicas_agree, &found, 5000));
    char path[128];
    snprintf(path, sizeof(path), "/api/knowledge-base/documents/%s", id);
    vt_response r = kb("DELETE", owner_a, path, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
}

static void test_a_pdf_is_read(void **state)
{
    size_t len;
    char *pdf = tiny_pdf("Implants are placed by Dr. Abernathy-Ross.", &len);
    char id[37];
    assert_int_equal(upload(owner_a, "Implants.pdf", "application/pdf", pdf, len, id), 201);
    free(pdf);
    expectation found = {org_a, "Who places implants? Abernathy", "Abernathy-Ross", true};
    assert_true(vt_wait_for(all_replicas_agree, &found, 5000));
    char path[128];
    snprintf(path, sizeof(path), "/api/knowledge-base/documents/%s", id);
    vt_response r = kb("DELETE", owner_a, path, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
}

/* One page of GET /api/knowledge-base/documents?query: the documents' ids
 * in order into ids (at most max, *n of them), the X-Next-Cursor header
 * into next ("" when none). The status. */
static long list_page(const char *token, const char *query, char ids[][37], size_t max, size_t *n, char next[128])
{
    char path[512];
    snprintf(path, sizeof(path), "/api/knowledge-base/documents?%s", query);
    vt_response r = kb("GET", token, path, NULL, NULL, 0);
    long status = r.status;
    snprintf(next, 128, "%s", r.next_cursor);
    *n = 0;
    cJSON *body = cJSON_Parse(r.body);
    if (status == 200) {
        assert_true(cJSON_IsArray(body));
        const cJSON *doc;
        cJSON_ArrayForEach(doc, body)
        {
            assert_true(*n < max);
            snprintf(ids[(*n)++], 37, "%s", cJSON_GetObjectItem(doc, "id")->valuestring);
        }
    } else { /* the one refusal a page expects here */
        assert_int_equal(status, 400);
        assert_string_equal(cJSON_GetObjectItem(body, "code")->valuestring, "invalid_cursor");
        assert_non_null(cJSON_GetObjectItem(body, "error"));
    }
    cJSON_Delete(body);
    vt_response_free(&r);
    return status;
}

static void delete_all(const char *token, char ids[][37], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char path[128];
        snprintf(path, sizeof(path), "/api/knowledge-base/documents/%.36s", ids[i]);
        vt_response r = kb("DELETE", token, path, NULL, NULL, 0);
        assert_int_equal(r.status, 200);
        vt_response_free(&r);
    }
}

/* More documents than a page: the pages, by cursor, hold each once, newest
 * first, and a document uploaded meanwhile changes none of the later pages.
 * A cursor is the list's own and its org's: anything else is 400
 * invalid_cursor, and another org's cursor shows nothing of that org. */
static void test_documents_come_in_pages(void **state)
{
    char mine[6][37], page[4][37], seen[8][37], theirs[2][37], next[128], again[128], query[256];
    size_t n, nseen = 0;
    for (int i = 0; i < 5; i++) {
        char text[64], title[16];
        snprintf(text, sizeof(text), "Paged document number %d.", i);
        snprintf(title, sizeof(title), "Page%d", i);
        assert_int_equal(upload(owner_a, title, "text/plain", text, strlen(text), mine[i]), 201);
    }
    assert_int_equal(list_page(owner_a, "limit=2", page, 4, &n, next), 200);
    assert_int_equal(n, 2);
    assert_true(next[0] != '\0');
    memcpy(seen[nseen], page[0], 37 * n);
    nseen += n;
    /* Uploaded between two pages: newer than all, so on none of the later ones. */
    const char meanwhile[] = "Added while paging.";
    assert_int_equal(upload(owner_a, "Meanwhile", "text/plain", meanwhile, strlen(meanwhile), mine[5]), 201);
    /* The same cursor twice is the same page. */
    snprintf(query, sizeof(query), "limit=2&cursor=%s", next);
    char first[4][37];
    size_t nfirst;
    assert_int_equal(list_page(owner_a, query, first, 4, &nfirst, again), 200);
    while (next[0] != '\0') {
        snprintf(query, sizeof(query), "limit=2&cursor=%s", next);
        assert_int_equal(list_page(owner_a, query, page, 4, &n, next), 200);
        assert_true(nseen + n <= 5);
        memcpy(seen[nseen], page[0], 37 * n);
        nseen += n;
    }
    assert_int_equal(nfirst, 2);
    assert_string_equal(first[0], seen[2]);
    assert_string_equal(first[1], seen[3]);
    /* Each of the five once, newest first: the reverse of their uploads. */
    assert_int_equal(nseen, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(seen[i], mine[4 - i]);

    /* Not a cursor, or not this list's: refused before anything is read. */
    assert_int_equal(list_page(owner_a, "cursor=garbage", page, 4, &n, next), 400);
    assert_int_equal(list_page(owner_a, "cursor=", page, 4, &n, next), 400);
    char *calls_cursor = vx_cursor_encode("calls", org_a, vx_now_ms() * 1000, mine[0]); /* a good cursor, of another list */
    snprintf(query, sizeof(query), "limit=2&cursor=%s", calls_cursor);
    free(calls_cursor);
    assert_int_equal(list_page(owner_a, query, page, 4, &n, next), 400);

    /* Org B's cursor given to A, and A's to B: 400, and nothing of the other's in the answer. */
    const char *const their_texts[2] = {"Org B's first.", "Org B's second."};
    for (int i = 0; i < 2; i++)
        assert_int_equal(
            upload(owner_b, i == 0 ? "Theirs0" : "Theirs1", "text/plain", their_texts[i], strlen(their_texts[i]), theirs[i]), 201);
    char b_next[128], a_next[128];
    assert_int_equal(list_page(owner_b, "limit=1", page, 4, &n, b_next), 200);
    assert_true(b_next[0] != '\0');
    assert_int_equal(list_page(owner_a, "limit=1", page, 4, &n, a_next), 200);
    assert_true(a_next[0] != '\0');
    snprintf(query, sizeof(query), "/api/knowledge-base/documents?limit=1&cursor=%s", b_next);
    vt_response r = kb("GET", owner_a, query, NULL, NULL, 0);
    assert_int_equal(r.status, 400);
    assert_null(strstr(r.body, theirs[0]));
    assert_null(strstr(r.body, theirs[1]));
    assert_null(strstr(r.body, org_b));
    assert_string_equal(r.next_cursor, "");
    vt_response_free(&r);
    snprintf(query, sizeof(query), "limit=1&cursor=%s", a_next);
    assert_int_equal(list_page(owner_b, query, page, 4, &n, next), 400);

    delete_all(owner_a, mine, 6);
    delete_all(owner_b, theirs, 2);
}

/* The owner finds every upload and deletion in the audit log
 * (dashboard-api's GET /api/audit), the other org none of them. */
static void test_changes_are_in_the_owners_audit_log(void **state)
{
    char id[37];
    const char text[] = "Audited: the practice closes at noon on Fridays.";
    assert_int_equal(upload(owner_a, "Friday%20hours", "text/plain", text, strlen(text), id), 201);
    char path[128];
    snprintf(path, sizeof(path), "/api/knowledge-base/documents/%s", id);
    vt_response r = kb("DELETE", owner_a, path, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
    static const char *const actions[] = {"knowledge_base.document_added", "knowledge_base.document_deleted"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "/api/audit?action=%s", actions[i]);
        r = kb("GET", owner_a, path, NULL, NULL, 0);
        assert_int_equal(r.status, 200);
        cJSON *log = cJSON_Parse(r.body);
        const cJSON *entry = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "entries"), 0);
        assert_non_null(entry);
        assert_string_equal(cJSON_GetObjectItem(entry, "target_id")->valuestring, id);
        assert_string_equal(cJSON_GetObjectItem(entry, "actor_role")->valuestring, "owner");
        assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(entry, "details"), "name")->valuestring, "Friday hours");
        assert_null(strstr(r.body, "noon")); /* never the document's words */
        cJSON_Delete(log);
        vt_response_free(&r);
        r = kb("GET", owner_b, path, NULL, NULL, 0);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, id));
        vt_response_free(&r);
    }
}

/* The bus: an envelope the gateway did not sign is refused by rag-search
 * itself, and a request on rpc.rag.search that is not one (garbage, a bad
 * org id, an oversized question) gets an error answer, never a crash. */
static void test_the_bus_is_not_trusted_blindly(void **state)
{
    uint8_t *buf;
    size_t len;
    vt_pack_gateway_request(VX_SUBJECT_KB_DOCUMENTS_LIST, NULL, "", false, 0, &buf, &len);
    natsMsg *reply = NULL;
    assert_int_equal(natsConnection_Request(&reply, nc, VX_SUBJECT_KB_DOCUMENTS_LIST, buf, (int)len, 5000), NATS_OK);
    Voxanne__V1__GatewayResponse *resp =
        voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
    assert_non_null(resp);
    assert_int_equal(resp->status, 401);
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    natsMsg_Destroy(reply);
    free(buf);

    char big[3000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    Voxanne__V1__RagSearchRequest req = VOXANNE__V1__RAG_SEARCH_REQUEST__INIT;
    const char *orgs[] = {"not-a-uuid", org_a};
    const char *queries[] = {"hours", big};
    for (int i = 0; i < 2; i++) {
        req.org_id = (char *)orgs[i];
        req.query = (char *)queries[i];
        uint8_t packed[4096];
        size_t n = voxanne__v1__rag_search_request__pack(&req, packed);
        assert_int_equal(natsConnection_Request(&reply, nc, "rpc.rag.search", packed, (int)n, 5000), NATS_OK);
        Voxanne__V1__RagSearchReply *r = voxanne__v1__rag_search_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(reply),
                                                                               (const uint8_t *)natsMsg_GetData(reply));
        assert_non_null(r);
        assert_string_equal(r->error, "bad request");
        voxanne__v1__rag_search_reply__free_unpacked(r, NULL);
        natsMsg_Destroy(reply);
    }
    assert_int_equal(natsConnection_Request(&reply, nc, "rpc.rag.search", "\xff\xff\xff", 3, 5000), NATS_OK);
    natsMsg_Destroy(reply);
    assert_true(vt_alive(replicas[0]) && vt_alive(replicas[1]));
}

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    admin = vt_admin();
    vt_uuid(asst_a);
    vt_uuid(asst_b);
    vt_create_org(admin, "KB Clinic A", asst_a, NULL, NULL, org_a);
    vt_create_org(admin, "KB Clinic B", asst_b, NULL, NULL, org_b);
    vt_suite_start(&suite);
    VT_REQUIRE(natsConnection_ConnectTo(&nc, vt_env("NATS_URL")) == NATS_OK, "cannot connect to NATS");
    replicas[0] = vt_start_service(nc, "rag-search", "kb", "rag-search-1", NULL);
    replicas[1] = vt_start_service(nc, "rag-search", "kb", "rag-search-2", NULL);
    owner_a = vt_token(&suite, org_a, 3600);
    owner_b = vt_token(&suite, org_b, 3600);
    staff_a = vt_token_as(&suite, org_a, "staff", 3600);
    return 0;
}

static int teardown(void **state)
{
    int r0 = vt_stop(replicas[0], SIGTERM, 5000), r1 = vt_stop(replicas[1], SIGTERM, 5000);
    vt_suite_stop(&suite);
    VT_REQUIRE(r0 == 0 && r1 == 0, "a rag-search replica did not stop cleanly (see build/test-logs/rag-search-*.log)");
    natsConnection_Destroy(nc);
    const char *pa[1] = {org_a}, *pb[1] = {org_b};
    vt_sql_exec(admin, "DELETE FROM organizations WHERE id = $1", 1, pa);
    vt_sql_exec(admin, "DELETE FROM organizations WHERE id = $1", 1, pb);
    PQfinish(admin);
    free(owner_a);
    free(owner_b);
    free(staff_a);
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_search_delete_on_two_replicas),
        cmocka_unit_test(test_orgs_never_meet),
        cmocka_unit_test(test_bad_input_changes_nothing),
        cmocka_unit_test(test_a_pdf_is_read),
        cmocka_unit_test(test_deep_headings_are_kept),
        cmocka_unit_test(test_documents_come_in_pages),
        cmocka_unit_test(test_changes_are_in_the_owners_audit_log),
        cmocka_unit_test(test_the_bus_is_not_trusted_blindly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
