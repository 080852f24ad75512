/*
 * test_orgs: voxctl org create (services/voxctl/orgs.c), the real binary
 * against the real PostgreSQL: it prints exactly the new organization's id,
 * stores the name, and refuses bad input with status 2 and nothing on
 * stdout; an unknown command is a usage error too.
 *
 * Environment: DATABASE_URL, ADMIN_DATABASE_URL (deploy/local/infra.sh),
 * VOXCTL; the schema migrated (tests/run-all.sh does it first). The
 * organizations created are deleted at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "vt.h"
#include "vx_validate.h"

static struct {
    const char *voxctl;
    PGconn *admin;
    char orgs[8][VX_UUID_STR_LEN + 1];
    size_t norgs; /* to delete at the end */
} g;

/* True when s is exactly one UUID followed by a newline. */
static bool is_uuid_line(const char *s)
{
    return strlen(s) == VX_UUID_STR_LEN + 1 && s[VX_UUID_STR_LEN] == '\n' && vx_is_uuid(s, VX_UUID_STR_LEN);
}

static void test_org_create(void **state)
{
    char name[64], tag[VX_UUID_STR_LEN + 1];
    vt_uuid(tag);
    snprintf(name, sizeof(name), "Test clinic %.8s", tag);
    const char *args[] = {"org", "create", "--name", name, NULL};
    vt_run_result r = vt_run(g.voxctl, args, NULL);
    if (r.status != 0 || !is_uuid_line(r.out))
        vt_run_show("org create", &r);
    assert_int_equal(r.status, 0);
    assert_true(is_uuid_line(r.out));
    assert_true(g.norgs < sizeof(g.orgs) / sizeof(g.orgs[0]));
    char *org = g.orgs[g.norgs++];
    snprintf(org, VX_UUID_STR_LEN + 1, "%.36s", r.out);
    vt_run_free(&r);

    const char *p[1] = {org};
    char *stored = vt_sql_value(g.admin, "SELECT name FROM organizations WHERE id = $1", 1, p);
    assert_non_null(stored);
    assert_string_equal(stored, name);
    free(stored);
}

static void test_bad_input_is_a_usage_error(void **state)
{
    const char *empty_name[] = {"org", "create", "--name", "", NULL};
    vt_run_result r = vt_run(g.voxctl, empty_name, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    vt_run_free(&r);

    const char *missing[] = {"org", "create", NULL};
    r = vt_run(g.voxctl, missing, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    vt_run_free(&r);

    const char *unknown[] = {"frobnicate", NULL};
    r = vt_run(g.voxctl, unknown, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    vt_run_free(&r);
}

static int group_setup(void **state)
{
    g.voxctl = vt_env("VOXCTL");
    g.admin = vt_admin();
    return 0;
}

static int group_teardown(void **state)
{
    for (size_t i = 0; i < g.norgs; i++) {
        const char *p[1] = {g.orgs[i]};
        vt_sql_exec(g.admin, "DELETE FROM organizations WHERE id = $1", 1, p);
    }
    PQfinish(g.admin);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_org_create),
        cmocka_unit_test(test_bad_input_is_a_usage_error),
    };
    return cmocka_run_group_tests_name("voxctl org create", tests, group_setup, group_teardown);
}
