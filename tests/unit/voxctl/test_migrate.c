/*
 * Unit tests for vxctl_migrate_pick_dir (services/voxctl/migrate.c): which
 * migrations folder `voxctl migrate` uses — --dir, then MIGRATIONS_DIR, then
 * the checkout's migrations/, then ./migrations — and that an explicit
 * choice that is not a folder is an error, never silently replaced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrate.h"

static char root[PATH_MAX];          /* holds checkout/migrations, other/, cwd/migrations, empty/ */
static char checkout[PATH_MAX + 64]; /* root/checkout */
static char other[PATH_MAX + 64];    /* root/other */
static char saved_cwd[PATH_MAX];

static void make(const char *rel)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
    snprintf(root, sizeof(root), "/tmp/vx-test-migdir-XXXXXX");
    if (mkdtemp(root) == NULL || getcwd(saved_cwd, sizeof(saved_cwd)) == NULL)
        return -1;
    make("checkout");
    make("checkout/migrations");
    make("other");
    make("cwd");
    make("cwd/migrations");
    make("empty");
    snprintf(checkout, sizeof(checkout), "%s/checkout", root);
    snprintf(other, sizeof(other), "%s/other", root);
    return 0;
}

static int teardown(void **state)
{
    if (chdir(saved_cwd) != 0)
        return -1;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void in(const char *rel)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    assert_int_equal(chdir(path), 0);
}

static void test_order(void **state)
{
    char out[PATH_MAX + 128], want[PATH_MAX + 128];
    in("cwd");
    assert_int_equal(vxctl_migrate_pick_dir(other, checkout, checkout, out, sizeof(out)), VXCTL_MIGRATE_DIR_GIVEN);
    assert_string_equal(out, other);
    assert_int_equal(vxctl_migrate_pick_dir(NULL, other, checkout, out, sizeof(out)), VXCTL_MIGRATE_DIR_ENV);
    assert_string_equal(out, other);
    snprintf(want, sizeof(want), "%s/migrations", checkout);
    assert_int_equal(vxctl_migrate_pick_dir(NULL, NULL, checkout, out, sizeof(out)), VXCTL_MIGRATE_DIR_CHECKOUT);
    assert_string_equal(out, want);
    assert_int_equal(vxctl_migrate_pick_dir(NULL, "", checkout, out, sizeof(out)), VXCTL_MIGRATE_DIR_CHECKOUT); /* empty = unset */
    assert_int_equal(vxctl_migrate_pick_dir(NULL, NULL, NULL, out, sizeof(out)), VXCTL_MIGRATE_DIR_CWD);
    assert_string_equal(out, "migrations");
    /* A checkout without migrations/ is passed over. */
    assert_int_equal(vxctl_migrate_pick_dir(NULL, NULL, other, out, sizeof(out)), VXCTL_MIGRATE_DIR_CWD);
}

static void test_nothing_found(void **state)
{
    char out[PATH_MAX + 64];
    in("empty");
    assert_int_equal(vxctl_migrate_pick_dir(NULL, NULL, NULL, out, sizeof(out)), VXCTL_MIGRATE_DIR_NONE);
    assert_int_equal(vxctl_migrate_pick_dir(NULL, NULL, other, out, sizeof(out)), VXCTL_MIGRATE_DIR_NONE);
}

static void test_explicit_choice_is_never_replaced(void **state)
{
    char out[PATH_MAX + 64], missing[PATH_MAX + 64];
    in("cwd");
    snprintf(missing, sizeof(missing), "%s/no-such-folder", root);
    assert_int_equal(vxctl_migrate_pick_dir(missing, NULL, checkout, out, sizeof(out)), VXCTL_MIGRATE_DIR_NONE);
    assert_int_equal(vxctl_migrate_pick_dir(NULL, missing, checkout, out, sizeof(out)), VXCTL_MIGRATE_DIR_NONE);
    /* A file is not a folder. */
    assert_int_equal(vxctl_migrate_pick_dir(NULL, "/etc/hostname", checkout, out, sizeof(out)), VXCTL_MIGRATE_DIR_NONE);
    /* Too long to hold. */
    assert_int_equal(vxctl_migrate_pick_dir(other, NULL, NULL, out, 4), VXCTL_MIGRATE_DIR_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_nothing_found),
        cmocka_unit_test(test_explicit_choice_is_never_replaced),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
