/*
 * ledger.c through the framework: exactly-once side effects per (org,
 * toolCallId), driven in-process through dispatch_request (tool_run claims
 * the id, runs the tool, stores the answer and commits in one transaction).
 * transferCall is the side-effect tool used (it writes the call's row).
 *
 * Proves: a repeated toolCallId — even with other arguments — gets the
 * first answer word for word and writes nothing again; the stored answer is
 * exactly what was said; read-only tools leave no ledger row; eight copies
 * of one call racing on eight connections at once run the tool once (one
 * ledger row, one call row written by the transaction that owns the claim)
 * and all eight hear the same answer.
 */
#include <pthread.h>
#include <unistd.h>

#include "tool_router_test.h"

static int setup(void **state)
{
    tr_open_in_process("test_ledger", false);
    tr_make_clinics();
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_repeated_tool_call_id_runs_once(void **state)
{
    char call_id[64], tc[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-r");
    tr_fresh_id(tc, sizeof(tc), "tc");
    tr_answer first =
        tr_run_tool(CLINICS.asst_a, call_id, tc, "transferCall", "{\"summary\":\"first\",\"department\":\"billing\"}");
    char *time1 = tr_sql_str1("SELECT transfer_time::text FROM call_logs WHERE vapi_call_id = $1", call_id);
    usleep(20000);
    /* Same toolCallId, other arguments: the first answer, nothing written again. */
    tr_answer again =
        tr_run_tool(CLINICS.asst_a, call_id, tc, "transferCall", "{\"summary\":\"second\",\"department\":\"medical\"}");
    assert_string_equal(first.body, again.body);
    char *time2 = tr_sql_str1("SELECT transfer_time::text FROM call_logs WHERE vapi_call_id = $1", call_id);
    assert_string_equal(time1, time2);
    char *row = tr_transfer_row(call_id);
    assert_non_null(strstr(row, "|first|"));
    free(row);
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM tool_calls WHERE tool_call_id = $1", tc), 1);
    char *stored =
        tr_sql_str1("SELECT tool_name || ' ' || is_error::text || ' ' || result_text FROM tool_calls WHERE tool_call_id = $1", tc);
    assert_string_equal(stored, "transferCall false Transferring you to our billing team now.");
    free(stored);
    free(time1);
    free(time2);
    tr_answer_free(&first);
    tr_answer_free(&again);

    /* Read-only tools do not use the ledger. */
    tr_answer l = tr_run_tool(CLINICS.asst_a, call_id, "ro-1", "lookupCaller", "{\"searchKey\":\"Jane Doe\"}");
    tr_answer_free(&l);
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM tool_calls WHERE tool_call_id = $1", "ro-1"), 0);
}

typedef struct racer {
    const char *body;
    pthread_barrier_t *barrier;
    tr_answer a;
} racer;

/* One copy of the call, on a dispatcher (and database connection) of its own, as another pool thread or replica. */
static void *race(void *arg)
{
    racer *r = arg;
    dispatch *d = dispatch_create(vt_env("DATABASE_URL"), NULL, NULL, &TR.config, NULL);
    VT_REQUIRE(vx_pg_ensure(d->pg) == 0, "racer could not connect");
    pthread_barrier_wait(r->barrier);
    r->a = tr_dispatch(d, false, NULL, r->body, true, vx_now_ms() + 10000);
    dispatch_destroy(d);
    return NULL;
}

static void test_repeated_tool_call_id_concurrently(void **state)
{
    enum { N = 8 };
    char call_id[64], tc[64];
    tr_fresh_id(call_id, sizeof(call_id), "call-rc");
    tr_fresh_id(tc, sizeof(tc), "tcc");
    char *call = tr_one_call(tc, "transferCall", "{\"summary\":\"race\",\"department\":\"billing\"}");
    char *body = tr_tool_calls(CLINICS.asst_a, call_id, CLINICS.jane_phone, call);
    pthread_t threads[N];
    racer racers[N];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, N);
    for (int i = 0; i < N; i++) {
        racers[i].body = body;
        racers[i].barrier = &barrier;
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < N; i++) {
        assert_int_equal(racers[i].a.status, 200);
        assert_string_equal(racers[i].a.body, racers[0].a.body);
        assert_string_equal(tr_said(&racers[i].a, 0, NULL), "Transferring you to our billing team now.");
    }
    for (int i = 0; i < N; i++)
        tr_answer_free(&racers[i].a);
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM tool_calls WHERE tool_call_id = $1", tc), 1);
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", call_id), 1);
    /* Written once: by the transaction that wrote the ledger row (now() is its start time). */
    const char *p[2] = {call_id, tc};
    assert_int_equal(vt_sql_long(TR.admin,
                                 "SELECT count(*) FROM call_logs l JOIN tool_calls t ON t.tool_call_id = $2"
                                 " WHERE l.vapi_call_id = $1 AND l.transfer_time = t.created_at",
                                 2, p),
                     1);
    free(call);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeated_tool_call_id_runs_once),
        cmocka_unit_test(test_repeated_tool_call_id_concurrently),
    };
    return cmocka_run_group_tests_name("tool-router ledger", tests, setup, teardown);
}
