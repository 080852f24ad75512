/*
 * Unit test of libcommon/vx_audit.c without a database: which action names
 * the writer takes (exactly those audit_log's CHECK in migrations/0014
 * accepts), and that a name the table would refuse is refused before any
 * statement is sent. The entries themselves are proved on PostgreSQL by the
 * services' integration tests (dashboard-api's, credential-vault's,
 * tests/integration/rag-search/routes/test_documents.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "vx_audit.h"

static void test_action_names_as_the_table_takes_them(void **state)
{
    static const char *const good[] = {
        "service.created", "settings.notifications.updated", "knowledge_base.document_added", "auth.refresh_reuse_detected", "a.b",
        "a_.b_",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!vx_audit_action_valid(good[i]))
            fail_msg("refused \"%s\"", good[i]);
    static const char *const bad[] = {
        "",
        "service",       /* one segment */
        ".service",      /* empty first segment */
        "service.",      /* empty last segment */
        "service..made", /* empty middle segment */
        "_a.b",          /* a segment starts with a letter */
        "a._b",
        "Service.created", /* lower case only */
        "service.created2",
        "service-x.created",
        "service.created ",
        "service created",
        "servicé.created",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (vx_audit_action_valid(bad[i]))
            fail_msg("accepted \"%s\"", bad[i]);
    assert_false(vx_audit_action_valid(NULL));
    /* At most 64 characters. */
    char name[VX_AUDIT_ACTION_MAX + 2];
    memset(name, 'a', sizeof(name));
    name[10] = '.';
    name[VX_AUDIT_ACTION_MAX] = '\0';
    assert_true(vx_audit_action_valid(name));
    name[VX_AUDIT_ACTION_MAX] = 'a';
    name[VX_AUDIT_ACTION_MAX + 1] = '\0';
    assert_false(vx_audit_action_valid(name));
}

/* A name the table would refuse fails the write at once: the handle points
 * nowhere, so any statement sent would fail differently (and slowly). */
static void test_a_bad_action_is_refused_before_the_database(void **state)
{
    vx_pg *pg = vx_pg_create("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1");
    assert_non_null(pg);
    vx_audit_prepare(pg);
    assert_int_equal(vx_audit_record_as(pg, "req-1", "7d9f3c1e-2b4a-4c6d-8e0f-1a2b3c4d5e6f", "user-1", "owner", "Not An Action",
                                        "contact", NULL, NULL),
                     -1);
    assert_string_equal(vx_pg_sqlstate(pg), "");
    vx_pg_destroy(pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_action_names_as_the_table_takes_them),
        cmocka_unit_test(test_a_bad_action_is_refused_before_the_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
