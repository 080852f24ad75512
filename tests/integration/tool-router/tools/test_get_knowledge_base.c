/*
 * The getKnowledgeBase tool (tools/get_knowledge_base.c, clients/rag_search.c)
 * with stand-ins for rag-search on real NATS, driven in-process through
 * dispatch_request (the tool's requests go on the test's connection).
 *
 * Proves: without rag-search (no responders) the caller hears the
 * no-knowledge sentence as a result, not an error; with it, the context
 * comes back as the result, on one line (the stand-in's newline is gone),
 * and the question reached rag-search in the caller's org; a missing query
 * asks for one; a rag-search that never answers is given up on — the
 * answer arrives, with the no-knowledge sentence — and the call goes on.
 */
#include "../tool_router_test.h"

#include "clients/rag_search.h"

static int setup(void **state)
{
    tr_open_in_process("test_get_knowledge_base", true);
    TR.config.rag_timeout_ms = 300;
    tr_make_clinics();
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_without_rag_search(void **state)
{
    tr_answer a = tr_run_tool(CLINICS.asst_a, NULL, "kb-1", "getKnowledgeBase", "{\"query\":\"What are your opening hours?\"}");
    bool err;
    assert_string_equal(tr_said(&a, 0, &err), "I don't have that information in front of me right now.");
    assert_false(err);
    tr_answer_free(&a);
}

static void test_with_rag_search(void **state)
{
    natsSubscription *rag = tr_stand_in(RAG_SEARCH_SUBJECT, tr_rag_answering);
    tr_answer a = tr_run_tool(CLINICS.asst_a, NULL, "kb-2", "getKnowledgeBase", "{\"query\":\"opening hours\"}");
    bool err;
    assert_string_equal(tr_said(&a, 0, &err), "We are open 9 to 5. Question was: opening hours");
    assert_false(err);
    tr_answer_free(&a);
    /* Missing query: a sayable error, and rag-search is not asked. */
    a = tr_run_tool(CLINICS.asst_a, NULL, "kb-3", "getKnowledgeBase", "{}");
    assert_string_equal(tr_said(&a, 0, &err), "What would you like to know?");
    assert_true(err);
    tr_answer_free(&a);
    tr_stand_in_stop(rag);
}

static void test_with_a_silent_rag_search(void **state)
{
    natsSubscription *rag = tr_stand_in(RAG_SEARCH_SUBJECT, tr_rag_silent);
    tr_answer a = tr_run_tool(CLINICS.asst_a, NULL, "kb-4", "getKnowledgeBase", "{\"query\":\"parking?\"}");
    bool err;
    assert_string_equal(tr_said(&a, 0, &err), "I don't have that information in front of me right now.");
    assert_false(err);
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
    return cmocka_run_group_tests_name("tools/get_knowledge_base", tests, setup, teardown);
}
