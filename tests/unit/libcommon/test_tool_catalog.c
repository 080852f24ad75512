/*
 * Unit tests of libcommon/vx_tool_catalog.c: the one definition of our Vapi
 * tools.
 *
 * Proves: the canonical JSON of a tool is exactly the create-tool body of
 * contracts/vapi.md §4.1, byte for byte (two goldens: a function tool and
 * the transferCall tool), and it is JSON cJSON reads; its hash is the
 * SHA-256 of those bytes (pinned), the same on every call, and different as
 * soon as anything Vapi sees differs — the base URL, the credential — but
 * not for a trailing '/'; for every tool, the schema's properties are its
 * argument table, in order, with type, description, enum and format, and
 * "required" lists exactly the required ones; the names are names Vapi
 * accepts ([a-zA-Z0-9_-]{1,64}) and unique; every tool but transferCall is a
 * "function" whose server URL is its per-tool route, transferCall is Vapi's
 * transfer tool without destinations whose URL is the webhook (both checked
 * against the gateway's route table); every VX_TOOL_ARG_* belongs to some
 * tool; a base URL that is not http(s), has no host, holds spaces, a query
 * or a fragment gives no JSON and no hash.
 */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vx_crypto.h"
#include "vx_routes.h"
#include "vx_tool_catalog.h"

#define BASE "https://voxanne.example"

/* getKnowledgeBase on BASE "/" with credential "cred-1". */
static const char KNOWLEDGE_GOLDEN[] =
    "{\"type\":\"function\",\"function\":{\"name\":\"getKnowledgeBase\",\"description\":\"Look up the answer to a question "
    "about the clinic (services, prices, opening times, location, policies) in the clinic's own knowledge base. Use it before "
    "saying you do not know.\",\"parameters\":{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\","
    "\"description\":\"The caller's question in a few words, such as \\\"where can I park\\\".\"}},\"required\":[\"query\"]}},"
    "\"server\":{\"url\":\"https://voxanne.example/api/vapi/tools/getKnowledgeBase\",\"timeoutSeconds\":20,\"credentialId\":"
    "\"cred-1\"}}";
/* sha256sum of KNOWLEDGE_GOLDEN, computed outside this code. */
#define KNOWLEDGE_GOLDEN_SHA256 "ad9c4148de136e9b58aa1f45749f0c062f63f6f1c121a41d43d777b536157021"

/* transferCall on BASE without a credential: no destinations, the webhook's URL. */
static const char TRANSFER_GOLDEN[] =
    "{\"type\":\"transferCall\",\"function\":{\"name\":\"transferCall\",\"description\":\"Transfer the caller to a person at "
    "the clinic, when they ask for a human or need help you cannot give.\",\"parameters\":{\"type\":\"object\",\"properties\":"
    "{\"summary\":{\"type\":\"string\",\"description\":\"One sentence on what the caller needs, for the person who takes the "
    "call.\"},\"department\":{\"type\":\"string\",\"description\":\"The department the caller asked for (such as billing), if "
    "any. Leave out for the clinic's main line.\"}},\"required\":[]}},\"server\":{\"url\":\"https://voxanne.example/api/vapi/"
    "webhook\",\"timeoutSeconds\":20}}";

static const vx_tool_def *tool(const char *name)
{
    const vx_tool_def *t = vx_tool_catalog_find(name);
    if (t == NULL)
        fail_msg("no tool %s in the catalog", name);
    return t;
}

static void test_canonical_json_golden(void **state)
{
    char *json = vx_tool_catalog_json(tool(VX_TOOL_GET_KNOWLEDGE_BASE), BASE "/", "cred-1");
    assert_non_null(json);
    assert_string_equal(json, KNOWLEDGE_GOLDEN);
    free(json);
    json = vx_tool_catalog_json(tool(VX_TOOL_TRANSFER_CALL), BASE, NULL);
    assert_non_null(json);
    assert_string_equal(json, TRANSFER_GOLDEN);
    free(json);
    /* "" is no credential either. */
    json = vx_tool_catalog_json(tool(VX_TOOL_TRANSFER_CALL), BASE, "");
    assert_string_equal(json, TRANSFER_GOLDEN);
    free(json);
}

static void test_hash_is_the_sha256_of_the_canonical_json(void **state)
{
    char h[VX_TOOL_CATALOG_HASH_SIZE], again[VX_TOOL_CATALOG_HASH_SIZE];
    const vx_tool_def *kb = tool(VX_TOOL_GET_KNOWLEDGE_BASE);
    assert_int_equal(vx_tool_catalog_hash(kb, BASE "/", "cred-1", h), 0);
    assert_string_equal(h, KNOWLEDGE_GOLDEN_SHA256);
    assert_int_equal(vx_tool_catalog_hash(kb, BASE "/", "cred-1", again), 0);
    assert_string_equal(h, again);
    /* Every tool: its hash is the SHA-256 of its JSON, and no two tools share one. */
    char hashes[16][VX_TOOL_CATALOG_HASH_SIZE];
    assert_true(vx_tool_catalog_count() <= 16);
    for (size_t i = 0; i < vx_tool_catalog_count(); i++) {
        const vx_tool_def *t = vx_tool_catalog_at(i);
        char *json = vx_tool_catalog_json(t, BASE, NULL);
        uint8_t d[VX_SHA256_LEN];
        char want[VX_TOOL_CATALOG_HASH_SIZE];
        vx_sha256(json, strlen(json), d);
        vx_hex_encode(d, sizeof(d), want);
        assert_int_equal(vx_tool_catalog_hash(t, BASE, NULL, hashes[i]), 0);
        assert_string_equal(hashes[i], want);
        assert_int_equal(strlen(hashes[i]), 64);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(hashes[k], hashes[i]);
        free(json);
    }
}

/* Anything Vapi would see changes the hash; a trailing '/' on the base is not something it sees. */
static void test_hash_follows_what_vapi_sees(void **state)
{
    char a[VX_TOOL_CATALOG_HASH_SIZE], b[VX_TOOL_CATALOG_HASH_SIZE];
    for (size_t i = 0; i < vx_tool_catalog_count(); i++) {
        const vx_tool_def *t = vx_tool_catalog_at(i);
        assert_int_equal(vx_tool_catalog_hash(t, BASE, NULL, a), 0);
        assert_int_equal(vx_tool_catalog_hash(t, BASE "//", "", b), 0);
        assert_string_equal(a, b);
        assert_int_equal(vx_tool_catalog_hash(t, "https://other.example", NULL, b), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(vx_tool_catalog_hash(t, "http://voxanne.example", NULL, b), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(vx_tool_catalog_hash(t, BASE "/v2", NULL, b), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(vx_tool_catalog_hash(t, BASE, "cred-1", b), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(vx_tool_catalog_hash(t, BASE, "cred-2", a), 0);
        assert_string_not_equal(a, b);
    }
}

/* [a-zA-Z0-9_-]{1,64}: what Vapi accepts as a function name. */
static bool vapi_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return false;
    return true;
}

/* The keys of object o, in order, joined by ','. */
static void keys_of(const cJSON *o, char *out, size_t size)
{
    out[0] = '\0';
    for (const cJSON *c = o != NULL ? o->child : NULL; c != NULL; c = c->next)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] != '\0' ? "," : "", c->string);
}

static const char *str_at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The route the gateway matches for url's path under BASE, which must be one of ours. */
static vx_route_match route_of(const char *url)
{
    assert_memory_equal(url, BASE, strlen(BASE));
    const char *path = url + strlen(BASE);
    size_t n;
    const vx_route *table = vx_routes_table(&n);
    vx_route_match m;
    assert_int_equal(vx_routes_match(table, n, "POST", 4, path, strlen(path), &m), VX_ROUTE_FOUND);
    return m;
}

/* Checks the parsed schema of t against its argument table. */
static void check_parameters(const vx_tool_def *t, const cJSON *params)
{
    char keys[512];
    keys_of(params, keys, sizeof(keys));
    assert_string_equal(keys, "type,properties,required");
    assert_string_equal(str_at(params, "type"), "object");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(params, "properties");
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(params, "required");
    assert_true(cJSON_IsObject(props));
    assert_true(cJSON_IsArray(required));
    /* properties == the argument table, in its order. */
    assert_int_equal(cJSON_GetArraySize(props), (int)t->nargs);
    size_t nrequired = 0;
    const cJSON *p = props->child;
    for (size_t i = 0; i < t->nargs; i++, p = p->next) {
        const vx_tool_catalog_arg *a = &t->args[i];
        assert_string_equal(p->string, a->name);
        assert_true(vapi_name(a->name));
        assert_ptr_equal(vx_tool_catalog_arg_find(t, a->name), a); /* names are unique within a tool */
        assert_string_equal(str_at(p, "type"), a->json_type);
        assert_string_equal(str_at(p, "description"), a->description);
        assert_true(strlen(a->description) > 10);
        keys_of(p, keys, sizeof(keys));
        char want[64];
        snprintf(want, sizeof(want), "type,description%s%s", a->enum_values != NULL ? ",enum" : "",
                 a->format != NULL ? ",format" : "");
        assert_string_equal(keys, want);
        if (a->enum_values != NULL) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(p, "enum");
            size_t k = 0;
            for (const cJSON *v = e->child; v != NULL; v = v->next, k++)
                assert_string_equal(v->valuestring, a->enum_values[k]);
            assert_null(a->enum_values[k]);
        }
        if (a->format != NULL)
            assert_string_equal(str_at(p, "format"), a->format);
        if (a->required) {
            const cJSON *r = cJSON_GetArrayItem(required, (int)nrequired++);
            assert_true(cJSON_IsString(r));
            assert_string_equal(r->valuestring, a->name);
        }
    }
    assert_int_equal(cJSON_GetArraySize(required), (int)nrequired);
}

static void test_every_tool_is_its_table(void **state)
{
    assert_int_equal(vx_tool_catalog_count(), 7);
    for (size_t i = 0; i < vx_tool_catalog_count(); i++) {
        const vx_tool_def *t = vx_tool_catalog_at(i);
        assert_true(vapi_name(t->name));
        assert_ptr_equal(vx_tool_catalog_find(t->name), t); /* names are unique */
        assert_true(strlen(t->description) > 20);
        char *json = vx_tool_catalog_json(t, BASE, "cred-1");
        assert_non_null(json);
        cJSON *root = cJSON_Parse(json);
        if (root == NULL)
            fail_msg("%s: not JSON: %s", t->name, json);
        char *reprinted = cJSON_PrintUnformatted(root); /* no whitespace between tokens: printed as it parses */
        assert_string_equal(reprinted, json);
        free(reprinted);
        char keys[256];
        keys_of(root, keys, sizeof(keys));
        assert_string_equal(keys, "type,function,server");
        assert_string_equal(str_at(root, "type"), vx_tool_catalog_type_name(t));
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(root, "function");
        keys_of(fn, keys, sizeof(keys));
        assert_string_equal(keys, "name,description,parameters");
        assert_string_equal(str_at(fn, "name"), t->name);
        assert_string_equal(str_at(fn, "description"), t->description);
        check_parameters(t, cJSON_GetObjectItemCaseSensitive(fn, "parameters"));

        const cJSON *server = cJSON_GetObjectItemCaseSensitive(root, "server");
        keys_of(server, keys, sizeof(keys));
        assert_string_equal(keys, "url,timeoutSeconds,credentialId");
        assert_string_equal(str_at(server, "credentialId"), "cred-1");
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(server, "timeoutSeconds")->valueint, VX_TOOL_CATALOG_TIMEOUT_S);
        vx_route_match m = route_of(str_at(server, "url"));
        if (t->type == VX_TOOL_CATALOG_FUNCTION) {
            /* The tool's own route, naming it. */
            assert_string_equal(vx_tool_catalog_type_name(t), "function");
            assert_int_equal(m.route->target, VX_TARGET_VAPI_TOOL);
            assert_int_equal(m.nparams, 1);
            assert_int_equal(m.params[0].value_len, strlen(t->name));
            assert_memory_equal(m.params[0].value, t->name, strlen(t->name));
        } else {
            /* Vapi's transfer tool asks for its destination at the webhook, by message type. */
            assert_string_equal(t->name, VX_TOOL_TRANSFER_CALL);
            assert_string_equal(vx_tool_catalog_type_name(t), "transferCall");
            assert_int_equal(m.route->target, VX_TARGET_VAPI_WEBHOOK);
        }
        assert_null(cJSON_GetObjectItemCaseSensitive(root, "destinations"));
        cJSON_Delete(root);
        free(json);
    }
}

/* transferCall is the only transfer tool, and has no destinations at all: Vapi asks us. */
static void test_transfer_call_has_no_destinations(void **state)
{
    for (size_t i = 0; i < vx_tool_catalog_count(); i++)
        assert_int_equal(vx_tool_catalog_at(i)->type == VX_TOOL_CATALOG_TRANSFER_CALL,
                         strcmp(vx_tool_catalog_at(i)->name, VX_TOOL_TRANSFER_CALL) == 0);
    char *json = vx_tool_catalog_json(tool(VX_TOOL_TRANSFER_CALL), BASE, NULL);
    assert_null(strstr(json, "destinations"));
    cJSON *root = cJSON_Parse(json);
    assert_string_equal(str_at(root, "type"), "transferCall");
    cJSON_Delete(root);
    free(json);
}

/* Every argument name tool-router may read is some tool's, and the tools are the ones the header names. */
static void test_every_argument_name_has_a_tool(void **state)
{
    static const char *const names[] = {
        VX_TOOL_ARG_SEARCH_KEY,     VX_TOOL_ARG_SEARCH_TYPE,   VX_TOOL_ARG_DATE,      VX_TOOL_ARG_SERVICE,
        VX_TOOL_ARG_NAME,           VX_TOOL_ARG_PHONE,         VX_TOOL_ARG_EMAIL,     VX_TOOL_ARG_START,
        VX_TOOL_ARG_APPOINTMENT_ID, VX_TOOL_ARG_CURRENT_START, VX_TOOL_ARG_NEW_START, VX_TOOL_ARG_SUMMARY,
        VX_TOOL_ARG_DEPARTMENT,     VX_TOOL_ARG_QUERY,
    };
    size_t total = 0;
    for (size_t i = 0; i < vx_tool_catalog_count(); i++)
        total += vx_tool_catalog_at(i)->nargs;
    size_t seen = 0;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        size_t uses = 0;
        for (size_t i = 0; i < vx_tool_catalog_count(); i++)
            uses += vx_tool_catalog_arg_find(vx_tool_catalog_at(i), names[k]) != NULL;
        if (uses == 0)
            fail_msg("argument %s belongs to no tool", names[k]);
        seen += uses;
    }
    assert_int_equal(seen, total); /* and no tool has an argument the header does not name */
    static const char *const tools[] = {VX_TOOL_LOOKUP_CALLER,          VX_TOOL_CHECK_AVAILABILITY, VX_TOOL_BOOK_CLINIC_APPOINTMENT,
                                        VX_TOOL_RESCHEDULE_APPOINTMENT, VX_TOOL_CANCEL_APPOINTMENT, VX_TOOL_TRANSFER_CALL,
                                        VX_TOOL_GET_KNOWLEDGE_BASE};
    assert_int_equal(sizeof(tools) / sizeof(tools[0]), vx_tool_catalog_count());
    for (size_t k = 0; k < sizeof(tools) / sizeof(tools[0]); k++)
        assert_ptr_equal(vx_tool_catalog_at(k), tool(tools[k]));
}

static void test_lookups(void **state)
{
    assert_null(vx_tool_catalog_at(vx_tool_catalog_count()));
    assert_null(vx_tool_catalog_find(NULL));
    assert_null(vx_tool_catalog_find("lookupcaller"));
    assert_null(vx_tool_catalog_find(""));
    const vx_tool_def *book = tool(VX_TOOL_BOOK_CLINIC_APPOINTMENT);
    assert_non_null(vx_tool_catalog_arg_find(book, VX_TOOL_ARG_START));
    assert_null(vx_tool_catalog_arg_find(book, VX_TOOL_ARG_NEW_START));
    assert_null(vx_tool_catalog_arg_find(book, NULL));
    assert_true(vx_tool_catalog_arg_find(book, VX_TOOL_ARG_NAME)->required);
    assert_false(vx_tool_catalog_arg_find(book, VX_TOOL_ARG_PHONE)->required);
}

static void test_bad_base_url_gives_nothing(void **state)
{
    static const char *const bad[] = {NULL,
                                      "",
                                      "voxanne.example",
                                      "ftp://voxanne.example",
                                      "https://",
                                      "https:///",
                                      "https:///path",
                                      "https://voxanne .example",
                                      "https://voxanne.example/\n",
                                      "https://voxanne.example?x=1",
                                      "https://voxanne.example/#top",
                                      "https://voxanne.example/\xc3\xa9"};
    const vx_tool_def *t = tool(VX_TOOL_LOOKUP_CALLER);
    char h[VX_TOOL_CATALOG_HASH_SIZE];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(vx_tool_catalog_json(t, bad[i], NULL));
        assert_int_equal(vx_tool_catalog_hash(t, bad[i], NULL, h), -1);
    }
    char *ok = vx_tool_catalog_json(t, "http://127.0.0.1:8080/", NULL);
    assert_non_null(strstr(ok, "\"url\":\"http://127.0.0.1:8080/api/vapi/tools/lookupCaller\""));
    free(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_json_golden),
        cmocka_unit_test(test_hash_is_the_sha256_of_the_canonical_json),
        cmocka_unit_test(test_hash_follows_what_vapi_sees),
        cmocka_unit_test(test_every_tool_is_its_table),
        cmocka_unit_test(test_transfer_call_has_no_destinations),
        cmocka_unit_test(test_every_argument_name_has_a_tool),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_bad_base_url_gives_nothing),
    };
    return cmocka_run_group_tests_name("tool_catalog", tests, NULL, NULL);
}
