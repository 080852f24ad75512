/*
 * test_migrate: voxctl migrate (services/voxctl/migrate.c), the real binary
 * against the real PostgreSQL started by deploy/local/infra.sh: every file
 * recorded with its SHA-256, a second run applies nothing and changes
 * nothing, a changed or vanished applied file is refused by name, and a file
 * that fails half-way leaves neither its objects nor a record.
 *
 * Environment (infra.sh's env file sourced, plus what tests/run-all.sh sets):
 *   DATABASE_URL        the app role: it may not even read schema_migrations
 *   ADMIN_DATABASE_URL  the migrating superuser: used to check and to tamper
 *   VOXCTL              path of the voxctl binary under test
 *   MIGRATIONS_DIR      the migrations folder
 *
 * The tamper tests put schema_migrations back in their teardown even when
 * they fail, but they do change it for a moment: do not run this test while
 * another migrator works on the same database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "vt.h"
#include "vx_crypto.h"

static struct {
    const char *voxctl;
    const char *migrations;
    PGconn *admin; /* superuser: checks and tampering only */
    PGconn *app;   /* the services' role */
    char saved_checksum[65];
    char ghost_version[8];
} g;

static vt_run_result migrate(const char *dir)
{
    const char *args[] = {"migrate", "--dir", dir, NULL};
    return vt_run(g.voxctl, args, NULL);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The names of the migration files (NNNN_*.sql) of dir, sorted; returns how many. */
static size_t list_migrations(const char *dir, char names[][256], size_t max)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s", dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 9 && len < 256 && strcmp(e->d_name + len - 4, ".sql") == 0 && e->d_name[4] == '_') {
            assert_true(n < max);
            snprintf(names[n++], 256, "%s", e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, 256, compare_names);
    return n;
}

static void test_migrate_records_every_file(void **state)
{
    vt_run_result r = migrate(g.migrations);
    if (r.status != 0)
        vt_run_show("migrate", &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "migrate: "));
    vt_run_free(&r);

    char names[128][256];
    size_t n = list_migrations(g.migrations, names, 128);
    assert_true(n >= 2);
    for (size_t i = 0; i < n; i++) {
        char path[1024], version[5], hex[65];
        snprintf(path, sizeof(path), "%s/%s", g.migrations, names[i]);
        size_t len;
        char *data = vt_read_file(path, &len);
        uint8_t digest[VX_SHA256_LEN];
        vx_sha256(data, len, digest);
        vx_hex_encode(digest, sizeof(digest), hex);
        free(data);
        snprintf(version, sizeof(version), "%.4s", names[i]);
        const char *p[1] = {version};
        char *recorded = vt_sql_value(g.admin, "SELECT checksum FROM schema_migrations WHERE version = $1", 1, p);
        assert_non_null(recorded);
        assert_string_equal(recorded, hex);
        free(recorded);
    }
    assert_int_equal(vt_sql_long(g.admin, "SELECT count(*) FROM schema_migrations", 0, NULL), (long)n);
    /* The bookkeeping is the migrator's: the app role cannot even read it. */
    char sqlstate[6];
    vt_sql_sqlstate(g.app, "SELECT count(*) FROM schema_migrations", 0, NULL, sqlstate);
    assert_string_equal(sqlstate, "42501");
}

static void test_migrate_second_run_applies_nothing(void **state)
{
    const char *snap_sql = "SELECT string_agg(version || ' ' || checksum || ' ' || applied_at::text, ',' ORDER BY version) "
                           "FROM schema_migrations";
    char *before = vt_sql_value(g.admin, snap_sql, 0, NULL);
    vt_run_result r = migrate(g.migrations);
    if (r.status != 0)
        vt_run_show("migrate", &r);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "applied 0"));
    assert_non_null(strstr(r.out, "migrate: 0 applied"));
    char *after = vt_sql_value(g.admin, snap_sql, 0, NULL);
    assert_non_null(before);
    assert_non_null(after);
    assert_string_equal(before, after);
    free(before);
    free(after);
    vt_run_free(&r);
}

static int restore_checksum(void **state)
{
    if (g.saved_checksum[0] != '\0') {
        const char *p[1] = {g.saved_checksum};
        PQclear(
            PQexecParams(g.admin, "UPDATE schema_migrations SET checksum = $1 WHERE version = '0001'", 1, NULL, p, NULL, NULL, 0));
        g.saved_checksum[0] = '\0';
    }
    return 0;
}

static void test_migrate_refuses_changed_checksum(void **state)
{
    char *saved = vt_sql_value(g.admin, "SELECT checksum FROM schema_migrations WHERE version = '0001'", 0, NULL);
    assert_non_null(saved);
    snprintf(g.saved_checksum, sizeof(g.saved_checksum), "%s", saved);
    free(saved);
    vt_sql_exec(g.admin, "UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = '0001'", 0, NULL);

    vt_run_result r = migrate(g.migrations);
    if (r.status == 0)
        vt_run_show("migrate", &r);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "0001_"));
    assert_non_null(strstr(r.err, "changed after it was applied"));
    assert_null(strstr(r.out, "applied 0"));
    vt_run_free(&r);

    restore_checksum(state);
    r = migrate(g.migrations);
    assert_int_equal(r.status, 0);
    vt_run_free(&r);
}

static int delete_ghost(void **state)
{
    if (g.ghost_version[0] != '\0') {
        const char *p[1] = {g.ghost_version};
        PQclear(PQexecParams(g.admin, "DELETE FROM schema_migrations WHERE version = $1", 1, NULL, p, NULL, NULL, 0));
        g.ghost_version[0] = '\0';
    }
    return 0;
}

static void test_migrate_refuses_missing_file(void **state)
{
    snprintf(g.ghost_version, sizeof(g.ghost_version), "9999");
    vt_sql_exec(g.admin, "INSERT INTO schema_migrations (version, name, checksum) VALUES ('9999', 'ghost', repeat('0', 64))", 0,
                NULL);
    vt_run_result r = migrate(g.migrations);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "9999_ghost.sql is missing"));
    vt_run_free(&r);
}

/* A migration that fails half-way leaves nothing: neither its objects nor a record. */
static void test_migrate_failed_file_is_rolled_back(void **state)
{
    char dir[] = "/tmp/vx-test-migrations-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char names[128][256];
    size_t n = list_migrations(g.migrations, names, 128);
    for (size_t i = 0; i < n; i++) {
        char src[1024], dst[1024];
        snprintf(src, sizeof(src), "%s/%s", g.migrations, names[i]);
        snprintf(dst, sizeof(dst), "%s/%s", dir, names[i]);
        size_t len;
        char *data = vt_read_file(src, &len);
        FILE *f = fopen(dst, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
        free(data);
    }
    char broken[1024];
    snprintf(broken, sizeof(broken), "%s/9998_vx_test_broken.sql", dir);
    FILE *f = fopen(broken, "wb");
    assert_non_null(f);
    fputs("CREATE TABLE vx_test_broken (id int);\n-- the next statement fails\nSELECT * FROM vx_test_no_such_table;\n", f);
    fclose(f);

    vt_run_result r = migrate(dir);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "9998_vx_test_broken.sql:3: relation \"vx_test_no_such_table\" does not exist"));
    vt_run_free(&r);
    char *table = vt_sql_value(g.admin, "SELECT coalesce(to_regclass('vx_test_broken')::text, '')", 0, NULL);
    assert_non_null(table);
    assert_string_equal(table, "");
    free(table);
    assert_int_equal(vt_sql_long(g.admin, "SELECT count(*) FROM schema_migrations WHERE version = '9998'", 0, NULL), 0);

    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    unlink(broken);
    rmdir(dir);
}

static int group_setup(void **state)
{
    g.voxctl = vt_env("VOXCTL");
    g.migrations = vt_env("MIGRATIONS_DIR");
    if (access(g.voxctl, X_OK) != 0) {
        print_error("VOXCTL=%s is not an executable\n", g.voxctl);
        return -1;
    }
    g.admin = vt_admin();
    g.app = vt_app();
    PQclear(PQexec(g.admin, "SET client_min_messages = warning"));
    /* A broken guarantee must fail the test, never hang it on a lock. */
    PQclear(PQexec(g.admin, "SET lock_timeout = '10s'"));
    return 0;
}

static int group_teardown(void **state)
{
    restore_checksum(state);
    delete_ghost(state);
    PQfinish(g.app);
    PQfinish(g.admin);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_records_every_file),
        cmocka_unit_test(test_migrate_second_run_applies_nothing),
        cmocka_unit_test_teardown(test_migrate_refuses_changed_checksum, restore_checksum),
        cmocka_unit_test_teardown(test_migrate_refuses_missing_file, delete_ghost),
        cmocka_unit_test(test_migrate_failed_file_is_rolled_back),
    };
    return cmocka_run_group_tests_name("voxctl migrate", tests, group_setup, group_teardown);
}
