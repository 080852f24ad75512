/*
 * The knowledge base's audit entries (services/rag-search/routes/upload.c
 * and documents.c through store.c, libcommon/vx_audit.c): rag-search as a
 * real process on NATS and PostgreSQL, asked as the gateway asks it, and
 * dashboard-api's GET /api/audit reading what it wrote.
 *
 * Proves: an upload that stores a document leaves one
 * knowledge_base.document_added entry (the owner's user id and role, the
 * request id, target kb_document and the document's id, details name, kind
 * and size — never the text); the same bytes again store nothing and add no
 * entry; a deletion leaves knowledge_base.document_deleted with the name,
 * and a second one (404) nothing. A refused upload writes no entry, and the
 * entry shares the change's transaction both ways: an upload that fails
 * after its entry was written (its chunks refused) leaves neither document
 * nor entry, and an entry that cannot be written fails the upload or the
 * deletion, which then changes nothing. The owner reads the entries through
 * GET /api/audit; another org's owner never sees them.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "store.h"
#include "vt.h"
#include "vt_dashboard.h"
#include "vx_routes.h"

/* Words a test puts in a document's text or title to make PostgreSQL refuse it (setup's triggers). */
#define REFUSE_CHUNK "Refusedchunkmarker"
#define REFUSE_AUDIT "Refused by the audit log"

static PGconn *admin;
static natsConnection *nc;
static pid_t rag, dashboard;
static char org_a[37], org_b[37];

typedef struct answer {
    unsigned status;
    cJSON *json;
} answer;

static answer ask(const char *subject, const char *org, const char *id, const char *query, const char *content_type,
                  const char *body)
{
    Voxanne__V1__GatewayResponse *r =
        vt_dashboard_call_typed(nc, subject, org, "owner", id, query, content_type, body, body != NULL ? strlen(body) : 0);
    answer a = {.status = r->status, .json = cJSON_ParseWithLength((const char *)r->body.data, r->body.len)};
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    return a;
}

/* Uploads text as title (a query value); the answer's status, and the document's id into id when stored. */
static unsigned upload(const char *title, const char *content_type, const char *text, char id[37])
{
    char query[256];
    snprintf(query, sizeof(query), "title=%s", title);
    answer a = ask(VX_SUBJECT_KB_DOCUMENTS_CREATE, org_a, NULL, query, content_type, text);
    if (id != NULL)
        snprintf(id, 37, "%s", a.status <= 201 ? cJSON_GetObjectItem(a.json, "id")->valuestring : "");
    cJSON_Delete(a.json);
    return a.status;
}

static unsigned delete_document(const char *id)
{
    answer a = ask(VX_SUBJECT_KB_DOCUMENTS_DELETE, org_a, id, NULL, NULL, NULL);
    cJSON_Delete(a.json);
    return a.status;
}

static long entries(const char *action)
{
    const char *p[2] = {org_a, action};
    return vt_sql_long(admin, "SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = $2", 2, p);
}

static long documents(void)
{
    const char *p[1] = {org_a};
    return vt_sql_long(admin, "SELECT count(*) FROM kb_documents WHERE org_id = $1", 1, p);
}

/* The newest entry of action in org's audit log as GET /api/audit lists
 * it (the answer's array: cJSON_Delete it); *entry NULL when none. */
static cJSON *listed(const char *org, const char *action, const cJSON **entry)
{
    char query[128];
    snprintf(query, sizeof(query), "action=%s", action);
    vt_answer a = vt_dashboard_request(nc, VX_SUBJECT_AUDIT_LIST, org, "owner", NULL, query, NULL, 0);
    vt_expect_status(&a, 200);
    cJSON *list = cJSON_DetachItemFromObject(a.json, "entries");
    vt_answer_free(&a);
    *entry = cJSON_GetArrayItem(list, 0);
    return list;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Fails unless org A's audit log shows action on document id, its details'
 * key being value, and org B's shows no entry of action at all. */
static void assert_listed(const char *action, const char *id, const char *key, const char *value)
{
    const cJSON *entry;
    cJSON *list = listed(org_a, action, &entry);
    assert_non_null(entry);
    assert_string_equal(str(entry, "target_type"), STORE_AUDIT_TARGET);
    assert_string_equal(str(entry, "target_id"), id);
    assert_string_equal(str(cJSON_GetObjectItem(entry, "details"), key), value);
    cJSON_Delete(list);
    list = listed(org_b, action, &entry);
    assert_null(entry);
    cJSON_Delete(list);
}

static const char MD[] = "# Opening hours\n\nWe open at 8 on weekdays; Saturdays by appointment with Dr. Auditworth.\n";

static void test_an_upload_and_a_deletion_are_audited(void **state)
{
    long added = entries(STORE_AUDIT_ADDED), deleted = entries(STORE_AUDIT_DELETED);
    char id[37];
    assert_int_equal(upload("Opening%20hours", "text/markdown; charset=utf-8", MD, id), 201);
    assert_int_equal(entries(STORE_AUDIT_ADDED), added + 1);

    /* What is stored: who, what, which document, and its name, kind and size only. */
    const char *p[2] = {org_a, STORE_AUDIT_ADDED};
    char *row = vt_sql_value(
        admin,
        "SELECT concat_ws('|', actor_user_id, actor_role, target_type, target_id, request_id,"
        " details->>'name', details->>'kind', details->>'byte_size', (SELECT count(*) FROM jsonb_object_keys(details)))"
        " FROM audit_log WHERE org_id = $1 AND action = $2 ORDER BY id DESC LIMIT 1",
        2, p);
    char want[256];
    snprintf(want, sizeof(want), "user-1|owner|" STORE_AUDIT_TARGET "|%s|it-dashboard|Opening hours|markdown|%zu|3", id,
             strlen(MD));
    assert_string_equal(row, want);
    free(row);
    assert_int_equal(
        vt_sql_long(admin, "SELECT count(*) FROM audit_log WHERE org_id = $1 AND details::text LIKE '%Auditworth%'", 1, p), 0);

    /* The owner's audit log lists it; the other org's does not. */
    assert_listed(STORE_AUDIT_ADDED, id, "kind", "markdown");

    /* The same bytes again: nothing stored, nothing audited. */
    char again[37];
    assert_int_equal(upload("Again", "text/markdown", MD, again), 200);
    assert_string_equal(again, id);
    assert_int_equal(entries(STORE_AUDIT_ADDED), added + 1);

    /* The deletion: its entry names the document; a second one finds nothing and adds nothing. */
    assert_int_equal(delete_document(id), 200);
    assert_int_equal(entries(STORE_AUDIT_DELETED), deleted + 1);
    assert_listed(STORE_AUDIT_DELETED, id, "name", "Opening hours");
    assert_int_equal(delete_document(id), 404);
    assert_int_equal(entries(STORE_AUDIT_DELETED), deleted + 1);

    /* Another org's owner cannot delete A's document, and no entry is written for either org. */
    assert_int_equal(upload("Kept", "text/plain", "Kept for the tenancy check.", id), 201);
    answer a = ask(VX_SUBJECT_KB_DOCUMENTS_DELETE, org_b, id, NULL, NULL, NULL);
    assert_int_equal(a.status, 404);
    cJSON_Delete(a.json);
    const char *pb[1] = {org_b};
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM audit_log WHERE org_id = $1", 1, pb), 0);
    assert_int_equal(entries(STORE_AUDIT_DELETED), deleted + 1);
    assert_int_equal(delete_document(id), 200);
}

static void test_a_refused_upload_writes_no_entry(void **state)
{
    long added = entries(STORE_AUDIT_ADDED), before = documents();
    assert_int_equal(upload("T", "text/html", "<p>x</p>", NULL), 415);
    assert_int_equal(upload("T", "text/plain", "  \n\t ", NULL), 422);
    assert_int_equal(upload("T", "application/pdf", "not a pdf at all", NULL), 422);
    assert_int_equal(entries(STORE_AUDIT_ADDED), added);
    assert_int_equal(documents(), before);
}

/* The entry is written in the change's transaction: one never outlives the other. */
static void test_the_entry_and_the_change_commit_together(void **state)
{
    long added = entries(STORE_AUDIT_ADDED), deleted = entries(STORE_AUDIT_DELETED), before = documents();
    /* The chunks are written after the entry: refused, the entry goes too. */
    assert_int_equal(upload("Chunks", "text/plain", "This text holds the " REFUSE_CHUNK " word.", NULL), 500);
    assert_int_equal(entries(STORE_AUDIT_ADDED), added);
    assert_int_equal(documents(), before);
    /* The entry refused: no document either. */
    assert_int_equal(upload("Refused%20by%20the%20audit%20log", "text/plain", "Nothing wrong with this text.", NULL), 500);
    assert_int_equal(entries(STORE_AUDIT_ADDED), added);
    assert_int_equal(documents(), before);

    /* A deletion whose entry is refused deletes nothing. */
    char id[37];
    assert_int_equal(upload("Deletable", "text/plain", "A document to delete.", id), 201);
    const char *refused[2] = {id, REFUSE_AUDIT}, *plain[2] = {id, "Deletable"};
    vt_sql_exec(admin, "UPDATE kb_documents SET title = $2 WHERE id = $1", 2, refused);
    assert_int_equal(delete_document(id), 500);
    assert_int_equal(entries(STORE_AUDIT_DELETED), deleted);
    assert_int_equal(documents(), before + 1);
    vt_sql_exec(admin, "UPDATE kb_documents SET title = $2 WHERE id = $1", 2, plain);
    assert_int_equal(delete_document(id), 200);
    assert_int_equal(entries(STORE_AUDIT_DELETED), deleted + 1);
    assert_int_equal(documents(), before);
}

static int setup(void **state)
{
    admin = vt_admin();
    vt_create_org(admin, "KB audit A", NULL, NULL, NULL, org_a);
    vt_create_org(admin, "KB audit B", NULL, NULL, NULL, org_b);
    /* PostgreSQL refusing, on purpose, what carries the markers: a chunk
     * (written after the entry) and an entry (written before the chunks). */
    vt_sql_exec(admin,
                "CREATE OR REPLACE FUNCTION vt_kb_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
                0, NULL);
    vt_sql_exec(admin,
                "CREATE TRIGGER vt_kb_refuse_chunk BEFORE INSERT ON kb_chunks FOR EACH ROW"
                " WHEN (NEW.content LIKE '%" REFUSE_CHUNK "%') EXECUTE FUNCTION vt_kb_refuse()",
                0, NULL);
    vt_sql_exec(admin,
                "CREATE TRIGGER vt_kb_refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW"
                " WHEN (NEW.details->>'name' = '" REFUSE_AUDIT "') EXECUTE FUNCTION vt_kb_refuse()",
                0, NULL);
    dashboard = vt_dashboard_start(&nc, "dashboard-api-kb-audit");
    const char *env[] = {"RAG_EMBEDDER=none", NULL};
    rag = vt_start_service(nc, "rag-search", "kb", "rag-search-audit", env);
    return 0;
}

static int teardown(void **state)
{
    int rc = vt_stop(rag, SIGTERM, 5000);
    vt_dashboard_stop(dashboard, nc);
    vt_sql_exec(admin, "DROP TRIGGER vt_kb_refuse_chunk ON kb_chunks", 0, NULL);
    vt_sql_exec(admin, "DROP TRIGGER vt_kb_refuse_audit ON audit_log", 0, NULL);
    vt_sql_exec(admin, "DROP FUNCTION vt_kb_refuse()", 0, NULL);
    const char *p[2] = {org_a, org_b};
    vt_sql_exec(admin, "DELETE FROM organizations WHERE id IN ($1::uuid, $2::uuid)", 2, p);
    PQfinish(admin);
    VT_REQUIRE(rc == 0, "rag-search did not stop cleanly (see build/test-logs/rag-search-audit.log)");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_upload_and_a_deletion_are_audited),
        cmocka_unit_test(test_a_refused_upload_writes_no_entry),
        cmocka_unit_test(test_the_entry_and_the_change_commit_together),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
