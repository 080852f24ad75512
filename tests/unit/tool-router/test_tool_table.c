/*
 * Unit tests for services/tool-router/tool_table.c: the one table of tools.
 *
 * Proves: every tool of tools/tools.h is found by its Vapi name (and
 * nothing else is, case matters); each row is either a tool_fn or a
 * plan/answer pair, never both or neither; every tool with side effects
 * runs in a transaction (needs the database), and the read-only ones never
 * touch the ledger; the names are names Vapi accepts; the table serves
 * exactly the tools of the catalog we register at Vapi
 * (libcommon/vx_tool_catalog.h); registering the tools' statements needs
 * no connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "tool_table.h"
#include "tools/tools.h"
#include "vapi_message.h"

static const struct {
    const char *name;
    tool_fn run;
    bool side_effects, needs_db;
} EXPECTED[] = {
    {"lookupCaller", NULL, false, true},
    {"checkAvailability", check_availability_run, false, true},
    {"bookClinicAppointment", book_clinic_appointment_run, true, true},
    {"rescheduleAppointment", reschedule_appointment_run, true, true},
    {"cancelAppointment", cancel_appointment_run, true, true},
    {"transferCall", transfer_call_run, true, true},
    {"getKnowledgeBase", get_knowledge_base_run, false, false},
};

static void test_every_tool_is_in_the_table(void **state)
{
    for (size_t i = 0; i < sizeof(EXPECTED) / sizeof(EXPECTED[0]); i++) {
        const tool_table_entry *t = tool_table_find(EXPECTED[i].name);
        assert_non_null(t);
        assert_string_equal(t->name, EXPECTED[i].name);
        assert_true(vapi_message_name_valid(t->name));
        assert_ptr_equal(t->run, EXPECTED[i].run);
        assert_int_equal(t->side_effects, EXPECTED[i].side_effects);
        assert_int_equal(t->needs_db, EXPECTED[i].needs_db);
        /* A tool_fn, or a plan/answer pair: exactly one of them. */
        assert_true((t->run != NULL) != (t->plan != NULL && t->answer != NULL));
        assert_true((t->plan == NULL) == (t->answer == NULL));
        /* Writes happen in a transaction only. */
        assert_true(!t->side_effects || t->needs_db);
    }
    const tool_table_entry *lookup = tool_table_find("lookupCaller");
    assert_ptr_equal(lookup->plan, lookup_caller_plan);
    assert_ptr_equal(lookup->answer, lookup_caller_answer);
}

static void test_anything_else_is_unknown(void **state)
{
    static const char *const unknown[] = {"", "lookupcaller", "LookupCaller", "launchRocket", "lookupCaller ", "bookAppointment"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        assert_null(tool_table_find(unknown[i]));
}

/* The table and the catalog of tools we register at Vapi name the same tools (main refuses to start otherwise). */
static void test_table_is_the_catalog(void **state)
{
    assert_int_equal(tool_table_check_catalog(), 0);
    assert_int_equal(vx_tool_catalog_count(), sizeof(EXPECTED) / sizeof(EXPECTED[0]));
    for (size_t i = 0; i < vx_tool_catalog_count(); i++)
        assert_non_null(tool_table_find(vx_tool_catalog_at(i)->name));
}

static void test_statements_register_without_a_connection(void **state)
{
    vx_pg *pg = vx_pg_create("postgresql://nobody@127.0.0.1:1/none");
    tool_table_prepare(pg);
    vx_pg_destroy(pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_tool_is_in_the_table),
        cmocka_unit_test(test_anything_else_is_unknown),
        cmocka_unit_test(test_table_is_the_catalog),
        cmocka_unit_test(test_statements_register_without_a_connection),
    };
    return cmocka_run_group_tests_name("tool_table", tests, NULL, NULL);
}
