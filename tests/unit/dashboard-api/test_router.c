/*
 * Unit test of services/dashboard-api/router.c's start-up check: the
 * service's subject → handler table agrees with the suite's routes
 * (libcommon/vx_routes.c). A route renamed on one side only fails here, not
 * as a silent 404 in production.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "router.h"

static void test_handlers_agree_with_the_routes(void **state)
{
    assert_int_equal(dashboard_check_routes(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handlers_agree_with_the_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
