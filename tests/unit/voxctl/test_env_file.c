/*
 * Unit tests for services/voxctl/env_file.c: parsing the env file `make run`
 * writes (without a shell, refusing what a shell would expand), finding the
 * checkout from the binary's path, choosing the file, and filling only unset
 * variables from it without printing a value.
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

#include "env_file.h"

/* Parses line and checks it is an assignment of want_value to want_name. */
static void assert_assign(const char *line, const char *want_name, const char *want_value)
{
    char *name, *value;
    vxctl_env_file_line kind = vxctl_env_file_parse_line(line, &name, &value);
    if (kind != VXCTL_ENV_FILE_ASSIGN)
        fail_msg("not an assignment: %s", line);
    assert_string_equal(name, want_name);
    assert_string_equal(value, want_value);
    free(name);
    free(value);
}

static void assert_kind(const char *line, vxctl_env_file_line want)
{
    char *name, *value;
    vxctl_env_file_line kind = vxctl_env_file_parse_line(line, &name, &value);
    if (kind != want)
        fail_msg("%s: kind %d, want %d", line, (int)kind, (int)want);
    assert_null(value);
    free(name);
}

static void test_parses_what_the_scripts_write(void **state)
{
    /* infra.sh: export NAME=<printf %q>; run.sh: the same. */
    assert_assign("export DATABASE_URL=postgresql://voxanne_svc@127.0.0.1:23456/voxanne\n", "DATABASE_URL",
                  "postgresql://voxanne_svc@127.0.0.1:23456/voxanne");
    assert_assign("export VX_INFRA_STATE=/tmp/with\\ space\n", "VX_INFRA_STATE", "/tmp/with space");
    assert_assign("JWT_SECRET=0123abcd", "JWT_SECRET", "0123abcd");
    assert_assign("  export   A_1=x\r\n", "A_1", "x");
    assert_assign("A='single $quoted `value` \\n'", "A", "single $quoted `value` \\n");
    assert_assign("A=\"double \\\"quoted\\\" \\$ \\\\ \\n\"", "A", "double \"quoted\" $ \\ \\n");
    assert_assign("A=con'cat'\"en\"ated", "A", "concatenated");
    assert_assign("A=", "A", "");
    assert_assign("A=''", "A", "");
    assert_assign("A=x # a comment", "A", "x");
    assert_assign("A=x#not-a-comment", "A", "x#not-a-comment");
    assert_assign("A=postgresql://u:p%40ss@h:5432/db?sslmode=require", "A", "postgresql://u:p%40ss@h:5432/db?sslmode=require");
}

static void test_refuses_unquoted_ampersand(void **state)
{
    /* An unquoted & ends the command in a shell: refused, not cut short. */
    assert_kind("A=postgresql://h/db?a=1&b=2", VXCTL_ENV_FILE_BAD);
    assert_assign("A='postgresql://h/db?a=1&b=2'", "A", "postgresql://h/db?a=1&b=2");
}

static void test_skips_blanks_and_comments(void **state)
{
    assert_kind("", VXCTL_ENV_FILE_SKIP);
    assert_kind("\n", VXCTL_ENV_FILE_SKIP);
    assert_kind("   \t ", VXCTL_ENV_FILE_SKIP);
    assert_kind("# Written by deploy/local/infra.sh", VXCTL_ENV_FILE_SKIP);
    assert_kind("   # indented comment", VXCTL_ENV_FILE_SKIP);
}

static void test_refuses_what_a_shell_would_compute(void **state)
{
    const char *bad[] = {
        "A=$HOME",
        "A=${HOME}/x",
        "A=$(cat /etc/passwd)",
        "A=`id`",
        "A=\"$HOME\"",
        "A=\"`id`\"",
        "A=$'\\x41'",
        "A=x; rm -rf /",
        "A=x | y",
        "A=x && y",
        "A=x > file",
        "A=(array)",
        "A=~/x",
        "A='open",
        "A=\"open",
        "A=trailing\\",
        "A=x y",
        "echo hello",
        "1A=x",
        "=x",
        "export",
        "export A",
        "A",
        "A =x",
        "unset A",
        "A=x B=y",
        "A=\"x\"y\"",
        "declare -x A=1",
        "A+=x",
        "A[0]=x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_kind(bad[i], VXCTL_ENV_FILE_BAD);
    /* The name is still reported, so a warning can say which variable was ignored. */
    char *name, *value;
    assert_int_equal(vxctl_env_file_parse_line("JWT_SECRET=$(openssl rand -hex 32)", &name, &value), VXCTL_ENV_FILE_BAD);
    assert_string_equal(name, "JWT_SECRET");
    assert_null(value);
    free(name);
}

/* A temporary folder laid out as a checkout: migrations/, deploy/local/run.sh, build/release/bin/. */
static char root[PATH_MAX];

/* Creates root/rel. */
static void make_dir(const char *rel)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int make_checkout(void **state)
{
    snprintf(root, sizeof(root), "/tmp/vx-test-checkout-XXXXXX");
    if (mkdtemp(root) == NULL)
        return -1;
    make_dir("migrations");
    make_dir("deploy");
    make_dir("deploy/local");
    make_dir("build");
    make_dir("build/release");
    make_dir("build/release/bin");
    make_dir(".run");
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/deploy/local/run.sh", root);
    write_file(path, "#!/bin/sh\n");
    return 0;
}

static int remove_checkout(void **state)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_finds_the_checkout_from_the_binary(void **state)
{
    char exe[PATH_MAX + 64], out[PATH_MAX];
    snprintf(exe, sizeof(exe), "%s/build/release/bin/voxctl", root);
    assert_true(vxctl_env_file_checkout_of(exe, out, sizeof(out)));
    assert_string_equal(out, root);
    snprintf(exe, sizeof(exe), "%s/build/asan/bin/voxctl", root); /* any variant */
    assert_true(vxctl_env_file_checkout_of(exe, out, sizeof(out)));
    assert_string_equal(out, root);

    /* Not laid out as build/<variant>/bin/<program>. */
    assert_false(vxctl_env_file_checkout_of("/usr/local/bin/voxctl", out, sizeof(out)));
    assert_false(vxctl_env_file_checkout_of("voxctl", out, sizeof(out)));
    assert_false(vxctl_env_file_checkout_of("build/release/bin/voxctl", out, sizeof(out))); /* relative */
    assert_false(vxctl_env_file_checkout_of("/build/release/bin/voxctl", out, sizeof(out)));
    snprintf(exe, sizeof(exe), "%s/build/release/sbin/voxctl", root);
    assert_false(vxctl_env_file_checkout_of(exe, out, sizeof(out)));
    /* Too small an output buffer. */
    snprintf(exe, sizeof(exe), "%s/build/release/bin/voxctl", root);
    assert_false(vxctl_env_file_checkout_of(exe, out, 4));

    /* A folder that does not look like the checkout does not count. */
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/deploy/local/run.sh", root);
    assert_int_equal(unlink(path), 0);
    assert_false(vxctl_env_file_checkout_of(exe, out, sizeof(out)));
    write_file(path, "#!/bin/sh\n");
    snprintf(path, sizeof(path), "%s/migrations", root);
    assert_int_equal(rmdir(path), 0);
    assert_false(vxctl_env_file_checkout_of(exe, out, sizeof(out)));
    assert_int_equal(mkdir(path, 0755), 0);
    assert_true(vxctl_env_file_checkout_of(exe, out, sizeof(out)));

    /* This test binary is build/<variant>/tests/unit/voxctl/test_env_file: no "bin" folder, no checkout. */
    assert_false(vxctl_env_file_own_checkout(out, sizeof(out)));
}

static void test_chooses_the_file(void **state)
{
    char out[256];
    assert_true(vxctl_env_file_path("/tmp/state", "/src/voxanne", out, sizeof(out)));
    assert_string_equal(out, "/tmp/state/env");
    assert_true(vxctl_env_file_path("", "/src/voxanne", out, sizeof(out)));
    assert_string_equal(out, "/src/voxanne/.run/env");
    assert_true(vxctl_env_file_path(NULL, "/src/voxanne", out, sizeof(out)));
    assert_string_equal(out, "/src/voxanne/.run/env");
    assert_false(vxctl_env_file_path(NULL, NULL, out, sizeof(out)));
    assert_false(vxctl_env_file_path("", NULL, out, sizeof(out)));
    assert_false(vxctl_env_file_path("/a/very/long/state/folder", NULL, out, 8));
}

static const char *const NAMES[] = {"VXT_DATABASE_URL", "VXT_ADMIN_URL", "VXT_SECRET", "VXT_ABSENT"};
#define N_NAMES (sizeof(NAMES) / sizeof(NAMES[0]))

static int clear_names(void **state)
{
    for (size_t i = 0; i < N_NAMES; i++)
        unsetenv(NAMES[i]);
    return 0;
}

static void test_first_set(void **state)
{
    assert_null(vxctl_env_file_first_set(NAMES, N_NAMES));
    setenv("VXT_SECRET", "", 1); /* empty counts as unset, as in vx_config */
    assert_null(vxctl_env_file_first_set(NAMES, N_NAMES));
    setenv("VXT_SECRET", "s", 1);
    assert_string_equal(vxctl_env_file_first_set(NAMES, N_NAMES), "VXT_SECRET");
}

/* Runs apply with stderr captured into err (malloc'd); returns its result. */
static vxctl_env_file_status apply_capturing(const char *path, char *loaded, size_t loaded_len, char **err)
{
    char errpath[] = "/tmp/vx-test-stderr-XXXXXX";
    int fd = mkstemp(errpath);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    vxctl_env_file_status st = vxctl_env_file_apply(path, NAMES, N_NAMES, loaded, loaded_len);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    off_t len = lseek(fd, 0, SEEK_END);
    *err = calloc(1, (size_t)len + 1);
    assert_non_null(*err);
    assert_int_equal(pread(fd, *err, (size_t)len, 0), len);
    close(fd);
    unlink(errpath);
    return st;
}

static void test_apply_fills_only_unset_variables(void **state)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/.run/env", root);
    write_file(path, "# Written by deploy/local/infra.sh start /x\n"
                     "export VXT_DATABASE_URL=postgresql://first\n"
                     "export VXT_DATABASE_URL=postgresql://voxanne_svc@127.0.0.1:23456/voxanne\n"
                     "export VXT_ADMIN_URL='postgresql://voxanne@127.0.0.1:23456/voxanne'\n"
                     "\n"
                     "# development only\n"
                     "export VXT_SECRET=$(cat /etc/shadow)\n"
                     "export VXT_UNASKED=never-set\n"
                     "export VXT_ABSENT=\n");
    setenv("VXT_ADMIN_URL", "postgresql://from-the-environment", 1);
    char loaded[128], *err = NULL;
    assert_int_equal(apply_capturing(path, loaded, sizeof(loaded), &err), VXCTL_ENV_FILE_OK);
    assert_string_equal(loaded, "VXT_DATABASE_URL");
    /* The last assignment wins, as when the file is sourced. */
    assert_string_equal(getenv("VXT_DATABASE_URL"), "postgresql://voxanne_svc@127.0.0.1:23456/voxanne");
    /* What the environment has is kept. */
    assert_string_equal(getenv("VXT_ADMIN_URL"), "postgresql://from-the-environment");
    /* A value a shell would compute is never taken, nor executed; the warning names the line, not the value. */
    assert_null(getenv("VXT_SECRET"));
    assert_non_null(strstr(err, ":7: the value of VXT_SECRET"));
    assert_null(strstr(err, "shadow"));
    /* Only the names asked for; an empty value sets nothing. */
    assert_null(getenv("VXT_UNASKED"));
    assert_null(getenv("VXT_ABSENT"));
    free(err);

    /* An empty variable in the environment counts as unset. */
    unsetenv("VXT_DATABASE_URL");
    setenv("VXT_ADMIN_URL", "", 1);
    assert_int_equal(apply_capturing(path, loaded, sizeof(loaded), &err), VXCTL_ENV_FILE_OK);
    assert_string_equal(loaded, "VXT_DATABASE_URL, VXT_ADMIN_URL");
    assert_string_equal(getenv("VXT_ADMIN_URL"), "postgresql://voxanne@127.0.0.1:23456/voxanne");
    free(err);
    unlink(path);
}

static void test_apply_without_a_file(void **state)
{
    char path[PATH_MAX + 64], loaded[64] = "stale";
    snprintf(path, sizeof(path), "%s/.run/no-such-env", root);
    assert_int_equal(vxctl_env_file_apply(path, NAMES, N_NAMES, loaded, sizeof(loaded)), VXCTL_ENV_FILE_MISSING);
    assert_string_equal(loaded, "");
    snprintf(path, sizeof(path), "%s/deploy/local/run.sh/env", root); /* a file as the folder */
    assert_int_equal(vxctl_env_file_apply(path, NAMES, N_NAMES, NULL, 0), VXCTL_ENV_FILE_MISSING);
    assert_null(getenv("VXT_DATABASE_URL"));
    if (geteuid() != 0) { /* root reads anything */
        snprintf(path, sizeof(path), "%s/.run/env", root);
        write_file(path, "export VXT_SECRET=s\n");
        chmod(path, 0);
        char *err = NULL;
        assert_int_equal(apply_capturing(path, NULL, 0, &err), VXCTL_ENV_FILE_ERROR);
        assert_non_null(strstr(err, "cannot read"));
        free(err);
        unlink(path);
    }
    /* A folder where the file should be: unreadable as a file. */
    snprintf(path, sizeof(path), "%s/.run", root);
    char *err = NULL;
    assert_int_equal(apply_capturing(path, NULL, 0, &err), VXCTL_ENV_FILE_ERROR);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parses_what_the_scripts_write),
        cmocka_unit_test(test_refuses_unquoted_ampersand),
        cmocka_unit_test(test_skips_blanks_and_comments),
        cmocka_unit_test(test_refuses_what_a_shell_would_compute),
        cmocka_unit_test(test_finds_the_checkout_from_the_binary),
        cmocka_unit_test(test_chooses_the_file),
        cmocka_unit_test_setup_teardown(test_first_set, clear_names, clear_names),
        cmocka_unit_test_setup_teardown(test_apply_fills_only_unset_variables, clear_names, clear_names),
        cmocka_unit_test_setup_teardown(test_apply_without_a_file, clear_names, clear_names),
    };
    return cmocka_run_group_tests(tests, make_checkout, remove_checkout);
}
