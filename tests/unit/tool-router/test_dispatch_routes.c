/*
 * Unit test of services/tool-router/dispatch.c's start-up check: the subjects
 * tool-router serves agree with the suite's routes (libcommon/vx_routes.c).
 * A route renamed on one side only fails here, not as a silent 404 in
 * production.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dispatch.h"

static void test_subjects_agree_with_the_routes(void **state)
{
    assert_int_equal(dispatch_check_routes(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subjects_agree_with_the_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
