/*
 * test_agents: voxctl agent create (services/voxctl/agents.c), the real
 * binary against the real PostgreSQL: it prints exactly the new agent's id
 * and stores every field for the org; the narrow cross-org look-ups
 * (org_for_assistant, org_for_phone_number) then find the org without any
 * claims; bad input (an org that is not a UUID, a number that is not E.164)
 * is a usage error and an unknown org a failure, each with nothing on stdout
 * and no agent stored.
 *
 * Environment: DATABASE_URL, ADMIN_DATABASE_URL (deploy/local/infra.sh),
 * VOXCTL; the schema migrated (tests/run-all.sh does it first). The org is
 * made with admin SQL (voxctl org create has its own test) and deleted at
 * the end, with its agents.
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
    PGconn *app; /* the services' role: what the look-up functions are for */
    char org[VX_UUID_STR_LEN + 1];
} g;

static long agents_with_assistant(const char *assistant)
{
    const char *p[1] = {assistant};
    return vt_sql_long(g.admin, "SELECT count(*) FROM agents WHERE vapi_assistant_id = $1", 1, p);
}

static void test_agent_create(void **state)
{
    char tag[VX_UUID_STR_LEN + 1], assistant[64], phone_id[64], phone[16];
    vt_uuid(tag);
    snprintf(assistant, sizeof(assistant), "asst-%s", tag);
    snprintf(phone_id, sizeof(phone_id), "pn-%s", tag);
    vt_random_e164(phone);
    const char *args[] = {"agent",  "create",         "--org", g.org,    "--assistant-id", assistant, "--phone-number-id",
                          phone_id, "--phone-number", phone,   "--name", "Front desk",     NULL};
    vt_run_result r = vt_run(g.voxctl, args, NULL);
    if (r.status != 0)
        vt_run_show("agent create", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(strlen(r.out), VX_UUID_STR_LEN + 1);
    assert_true(vx_is_uuid(r.out, VX_UUID_STR_LEN) && r.out[VX_UUID_STR_LEN] == '\n');
    char agent[VX_UUID_STR_LEN + 1];
    snprintf(agent, sizeof(agent), "%.36s", r.out);
    vt_run_free(&r);

    const char *pa[1] = {agent};
    char *row = vt_sql_value(g.admin,
                             "SELECT org_id || ' ' || vapi_assistant_id || ' ' || vapi_phone_number_id || ' ' || phone_number "
                             "|| ' ' || name FROM agents WHERE id = $1",
                             1, pa);
    char expect[256];
    snprintf(expect, sizeof(expect), "%s %s %s %s Front desk", g.org, assistant, phone_id, phone);
    assert_non_null(row);
    assert_string_equal(row, expect);
    free(row);

    /* The narrow cross-org look-ups find it without any claims. */
    const char *pl[1] = {assistant};
    char *found = vt_sql_value(g.app, "SELECT org_for_assistant($1)", 1, pl);
    assert_non_null(found);
    assert_string_equal(found, g.org);
    free(found);
    const char *pp[1] = {phone};
    found = vt_sql_value(g.app, "SELECT org_for_phone_number($1)", 1, pp);
    assert_non_null(found);
    assert_string_equal(found, g.org);
    free(found);
}

static void test_bad_input_changes_nothing(void **state)
{
    char tag[VX_UUID_STR_LEN + 1], assistant[64], unknown_org[VX_UUID_STR_LEN + 1];
    vt_uuid(tag);
    vt_uuid(unknown_org);
    snprintf(assistant, sizeof(assistant), "asst-bad-%s", tag);

    const char *not_uuid[] = {"agent", "create", "--org", "not-a-uuid", "--assistant-id", assistant, NULL};
    vt_run_result r = vt_run(g.voxctl, not_uuid, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "--org"));
    vt_run_free(&r);

    const char *bad_phone[] = {"agent",   "create",         "--org",      g.org, "--assistant-id",
                               assistant, "--phone-number", "4155550123", NULL};
    r = vt_run(g.voxctl, bad_phone, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "E.164"));
    vt_run_free(&r);

    const char *no_such_org[] = {"agent", "create", "--org", unknown_org, "--assistant-id", assistant, NULL};
    r = vt_run(g.voxctl, no_such_org, NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    vt_run_free(&r);

    const char *missing[] = {"agent", "create", "--org", g.org, NULL};
    r = vt_run(g.voxctl, missing, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    vt_run_free(&r);

    assert_int_equal(agents_with_assistant(assistant), 0);
}

static int group_setup(void **state)
{
    g.voxctl = vt_env("VOXCTL");
    g.admin = vt_admin();
    g.app = vt_app();
    vt_create_org(g.admin, "voxctl agent test", NULL, NULL, NULL, g.org);
    return 0;
}

static int group_teardown(void **state)
{
    const char *p[1] = {g.org};
    vt_sql_exec(g.admin, "DELETE FROM organizations WHERE id = $1", 1, p);
    PQfinish(g.app);
    PQfinish(g.admin);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_create),
        cmocka_unit_test(test_bad_input_changes_nothing),
    };
    return cmocka_run_group_tests_name("voxctl agent create", tests, group_setup, group_teardown);
}
