/*
 * Unit tests for vxctl_vault_rotate_args (services/voxctl/vault.c), the
 * options of `voxctl vault rotate`: --timeout-s N (1 to 3600, default 60),
 * as "--timeout-s N" or "--timeout-s=N"; anything else — another option, a
 * stray word, a value out of range or not a number, the option twice or
 * without its value — is a usage error (VXCTL_USAGE).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vault.h"

/* Parses the NULL-terminated args into *spec. */
static vxctl_status parse(const char *const *args, vxctl_vault_rotate_spec *spec)
{
    char *argv[8];
    int argc = 0;
    while (argc < 8 && args[argc] != NULL) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    return vxctl_vault_rotate_args(argc, argv, spec);
}

static void test_defaults_to_60_seconds(void **state)
{
    const char *none[] = {NULL};
    vxctl_vault_rotate_spec spec = {.timeout_s = -1};
    assert_int_equal(parse(none, &spec), VXCTL_OK);
    assert_int_equal(spec.timeout_s, 60);
    assert_int_equal(VXCTL_VAULT_TIMEOUT_S_DEFAULT, 60);
}

static void test_takes_timeout_in_both_forms(void **state)
{
    vxctl_vault_rotate_spec spec;
    const char *apart[] = {"--timeout-s", "5", NULL};
    assert_int_equal(parse(apart, &spec), VXCTL_OK);
    assert_int_equal(spec.timeout_s, 5);
    const char *joined[] = {"--timeout-s=120", NULL};
    assert_int_equal(parse(joined, &spec), VXCTL_OK);
    assert_int_equal(spec.timeout_s, 120);
    const char *lowest[] = {"--timeout-s", "1", NULL};
    assert_int_equal(parse(lowest, &spec), VXCTL_OK);
    assert_int_equal(spec.timeout_s, 1);
    const char *highest[] = {"--timeout-s", "3600", NULL};
    assert_int_equal(parse(highest, &spec), VXCTL_OK);
    assert_int_equal(spec.timeout_s, 3600);
}

static void test_refuses_bad_values(void **state)
{
    const char *bad[] = {"0", "-1", "3601", "abc", "5s", "", " 5", "1e3", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *args[] = {"--timeout-s", bad[i], NULL};
        vxctl_vault_rotate_spec spec;
        if (parse(args, &spec) != VXCTL_USAGE)
            fail_msg("--timeout-s '%s' accepted", bad[i]);
    }
}

static void test_refuses_anything_else(void **state)
{
    const char *const cases[][4] = {
        {"--timeout-s", NULL},                    /* no value */
        {"--timeout-s", "5", "--timeout-s", "6"}, /* twice */
        {"--timeout", "5", NULL},                 /* no such option */
        {"--batch", "10", NULL},
        {"now", NULL}, /* a stray word */
        {"--timeout-s", "5", "extra", NULL},
        {"-t", "5", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[5] = {NULL};
        for (size_t j = 0; j < 4 && cases[i][j] != NULL; j++)
            args[j] = cases[i][j];
        vxctl_vault_rotate_spec spec;
        if (parse(args, &spec) != VXCTL_USAGE)
            fail_msg("case %zu accepted", i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_to_60_seconds),
        cmocka_unit_test(test_takes_timeout_in_both_forms),
        cmocka_unit_test(test_refuses_bad_values),
        cmocka_unit_test(test_refuses_anything_else),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
