/*
 * Vapi's knowledge-base-request (messages/knowledge_base_request.c,
 * clients/rag_search.c) with stand-ins for rag-search on real NATS, driven
 * in-process through dispatch_request.
 *
 * Proves: without rag-search the answer is an empty documents list; with it,
 * the caller's last utterance is the question and each chunk comes back as
 * a document of its own (cleaned to one line, with its similarity and the
 * chunk's id as uuid); a rag-search that never answers and an org that
 * cannot be resolved both give an empty list (Vapi carries on).
 */
#include "../tool_router_test.h"

#include "clients/rag_search.h"

static int setup(void **state)
{
    tr_open_in_process("test_knowledge_base_request", true);
    TR.config.rag_timeout_ms = 300;
    tr_make_clinics();
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

/* A knowledge-base-request of assistant whose caller's last words were utterance. */
static tr_answer ask(const char *assistant, const char *utterance)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"knowledge-base-request\",\"call\":{\"assistantId\":\"%s\"},"
             "\"messages\":[{\"role\":\"assistant\",\"message\":\"How can I help?\"},{\"role\":\"user\",\"message\":\"%s\"}]}}",
             assistant, utterance);
    return tr_webhook(body);
}

static void test_without_rag_search(void **state)
{
    tr_answer a = ask(CLINICS.asst_a, "hours?");
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{\"documents\":[]}");
    tr_answer_free(&a);
}

static void test_with_rag_search(void **state)
{
    natsSubscription *rag = tr_stand_in(RAG_SEARCH_SUBJECT, tr_rag_answering);
    tr_answer a = ask(CLINICS.asst_a, "hours?");
    const cJSON *docs = cJSON_GetObjectItem(a.json, "documents");
    /* One document per chunk, with rag-search's similarity and the chunk's id. */
    assert_int_equal(cJSON_GetArraySize(docs), 2);
    assert_string_equal(tr_str(cJSON_GetArrayItem(docs, 0), "content"), "Hours: We are open 9 to 5. Monday to Friday.");
    assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(docs, 0), "similarity")->valuedouble, 0.75, 1e-6);
    assert_string_equal(tr_str(cJSON_GetArrayItem(docs, 0), "uuid"), "11111111-0000-4000-8000-000000000001");
    assert_string_equal(tr_str(cJSON_GetArrayItem(docs, 1), "content"), "Parking is free.");
    tr_answer_free(&a);
    /* No org for the message: nothing is asked, nothing found. */
    a = ask("asst-nobody-knows", "hours?");
    assert_string_equal(a.body, "{\"documents\":[]}");
    tr_answer_free(&a);
    tr_stand_in_stop(rag);
}

static void test_with_a_silent_rag_search(void **state)
{
    natsSubscription *rag = tr_stand_in(RAG_SEARCH_SUBJECT, tr_rag_silent);
    tr_answer a = ask(CLINICS.asst_a, "parking?");
    assert_string_equal(a.body, "{\"documents\":[]}");
    tr_answer_free(&a);
    tr_stand_in_stop(rag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_rag_search),
        cmocka_unit_test(test_with_rag_search),
        cmocka_unit_test(test_with_a_silent_rag_search),
    };
    return cmocka_run_group_tests_name("messages/knowledge_base_request", tests, setup, teardown);
}
