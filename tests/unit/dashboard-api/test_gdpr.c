/*
 * Unit test of services/dashboard-api/gdpr.c's reading of DELETE
 * /api/contacts/{id}'s query: which requests are the GDPR erasure, which the
 * plain delete, and which are refused. (The routes themselves:
 * tests/integration/dashboard-api/test_gdpr.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gdpr.h"

static void test_erase_true_is_the_erasure(void **state)
{
    assert_int_equal(dashboard_gdpr_delete_query("erase=true"), DASHBOARD_GDPR_ERASE);
    /* Percent-encoding is read as every query parameter is. */
    assert_int_equal(dashboard_gdpr_delete_query("erase=tru%65"), DASHBOARD_GDPR_ERASE);
}

static void test_no_query_or_erase_false_is_the_plain_delete(void **state)
{
    assert_int_equal(dashboard_gdpr_delete_query(NULL), DASHBOARD_GDPR_PLAIN_DELETE);
    assert_int_equal(dashboard_gdpr_delete_query(""), DASHBOARD_GDPR_PLAIN_DELETE);
    assert_int_equal(dashboard_gdpr_delete_query("erase=false"), DASHBOARD_GDPR_PLAIN_DELETE);
}

/* Nothing else may look done: every other query is refused. */
static void test_anything_else_is_refused(void **state)
{
    const char *const bad[] = {"erase=maybe",
                               "erase=TRUE",
                               "erase=True",
                               "erase=1",
                               "erase=yes",
                               "erase=",
                               "erase",
                               "erase=true&force=1",
                               "a=1&erase=true",
                               "erase=true&",
                               "force=1",
                               "erase=truee",
                               "erase=true%00",
                               "erase=%zz",
                               "erase= true",
                               "ERASE=true",
                               "erase=false&erase=true"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dashboard_gdpr_delete_query(bad[i]) != DASHBOARD_GDPR_BAD_QUERY)
            fail_msg("not refused: %s", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_erase_true_is_the_erasure),
        cmocka_unit_test(test_no_query_or_erase_false_is_the_plain_delete),
        cmocka_unit_test(test_anything_else_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
