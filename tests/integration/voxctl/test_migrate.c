/*
 * test_migrate: voxctl and the tenancy guarantees of the schema, against the
 * real PostgreSQL started by deploy/local/infra.sh.
 *
 * Environment (infra.sh's env file sourced, plus what the test runner sets):
 *   DATABASE_URL        the app role (no BYPASSRLS): every RLS proof runs as it
 *   ADMIN_DATABASE_URL  the migrating superuser: used to check and to tamper
 *   VOXCTL              path of the voxctl binary under test
 *   MIGRATIONS_DIR      the migrations folder
 *   JWT_SECRET          optional; a test secret is used when unset
 *
 * voxctl runs as a child process (fork/exec, no shell) with its stdout and
 * stderr captured. Every run uses fresh random ids, names and numbers, so the
 * test can run again and again on the same database; the organizations it
 * creates are deleted at the end (cascading to their rows). The tamper tests
 * put schema_migrations back in their teardown even when they fail, but they
 * do change it for a moment: do not run this test while another migrator
 * works on the same database.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "vx_crypto.h"
#include "vx_jwt.h"
#include "vx_validate.h"

#define TEST_JWT_SECRET "test-secret-for-voxctl-integration-0123456789"
#define MAX_ORGS        64

static struct {
    const char *voxctl;
    const char *migrations;
    const char *secret;
    PGconn *admin; /* superuser: checks and tampering only */
    PGconn *app;   /* the services' role: subject to row-level security */
    char orgs[MAX_ORGS][VX_UUID_STR_LEN + 1];
    size_t norgs; /* organizations to delete at the end */
    char saved_checksum[65];
    char ghost_version[8];
} g;

/* ------------------------------------------------------------------ helpers */

static void remember_org(const char *id)
{
    assert_true(g.norgs < MAX_ORGS);
    snprintf(g.orgs[g.norgs++], sizeof(g.orgs[0]), "%s", id);
}

static void new_uuid(char out[VX_UUID_STR_LEN + 1])
{
    vx_uuid_v4(out);
}

/* A random, valid, US-shaped E.164 number: +1 and ten digits. */
static void random_e164(char out[16])
{
    uint8_t r[10];
    vx_random_bytes(r, sizeof(r));
    out[0] = '+';
    out[1] = '1';
    for (size_t i = 0; i < sizeof(r); i++)
        out[2 + i] = (char)('0' + r[i] % 10);
    out[12] = '\0';
}

static char *read_stream(FILE *f)
{
    fflush(f);
    rewind(f);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 1024) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    return buf;
}

typedef struct run_result {
    int status; /* exit status, or 128 + signal */
    char *out;
    char *err;
} run_result;

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* Runs voxctl with args (NULL-terminated). env holds "NAME=value" to set and
 * "NAME" to unset in the child only; it may be NULL. */
static run_result run_voxctl(const char *const *args, const char *const *env)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = g.voxctl;
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(n < 31);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
            const char *eq = strchr(env[i], '=');
            if (eq == NULL) {
                unsetenv(env[i]);
            } else {
                char name[128];
                snprintf(name, sizeof(name), "%.*s", (int)(eq - env[i]), env[i]);
                setenv(name, eq + 1, 1);
            }
        }
        dup2(fileno(out), STDOUT_FILENO);
        dup2(fileno(err), STDERR_FILENO);
        execv(g.voxctl, (char *const *)argv);
        _exit(127);
    }
    int wstatus = 0;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    run_result r;
    r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    r.out = read_stream(out);
    r.err = read_stream(err);
    fclose(out);
    fclose(err);
    return r;
}

/* Prints a failed run's output so the test log explains the failure. */
static void show_run(const char *what, const run_result *r)
{
    print_message("%s: exit %d\n--- stdout\n%s--- stderr\n%s---\n", what, r->status, r->out, r->err);
}

/* True when s is exactly one UUID followed by a newline. */
static bool is_uuid_line(const char *s)
{
    return strlen(s) == VX_UUID_STR_LEN + 1 && s[VX_UUID_STR_LEN] == '\n' && vx_is_uuid(s, VX_UUID_STR_LEN);
}

static PGconn *db_connect(const char *url, const char *which)
{
    PGconn *conn = PQconnectdb(url);
    if (PQstatus(conn) != CONNECTION_OK) {
        print_error("cannot connect with %s: %s", which, PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params)
{
    return PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
}

/* Runs sql and fails the test unless it succeeds. */
static void exec_ok(PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *res = query(conn, sql, n, params);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
}

/* The single value sql returns, malloc'd ("" for NULL). */
static char *query_value(PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *res = query(conn, sql, n, params);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("%s: %s (%d rows)", sql, PQresultErrorMessage(res), PQntuples(res));
    char *v = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    assert_non_null(v);
    return v;
}

static long query_long(PGconn *conn, const char *sql, int n, const char *const *params)
{
    char *v = query_value(conn, sql, n, params);
    long out = strtol(v, NULL, 10);
    free(v);
    return out;
}

/* Runs sql expecting it to fail; returns its SQLSTATE (static buffer). The
 * surrounding transaction, if any, is then aborted: the caller rolls back. */
static const char *exec_fails(PGconn *conn, const char *sql, int n, const char *const *params)
{
    static char state[6];
    PGresult *res = query(conn, sql, n, params);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        fail_msg("expected a failure but it succeeded (%s rows): %s", PQcmdTuples(res), sql);
    const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    snprintf(state, sizeof(state), "%s", s != NULL ? s : "");
    PQclear(res);
    return state;
}

/* Opens a transaction on the app connection whose claims name org (Supabase shape). */
static void begin_as(const char *org)
{
    exec_ok(g.app, "BEGIN", 0, NULL);
    const char *p[1] = {org};
    exec_ok(g.app,
            "SELECT set_config('request.jwt.claims', "
            "json_build_object('role', 'authenticated', 'app_metadata', json_build_object('org_id', $1::text))::text, true)",
            1, p);
}

static void rollback(PGconn *conn)
{
    PQclear(PQexec(conn, "ROLLBACK"));
}

/* Reads a whole file, malloc'd; *len set. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char *data = read_stream(f);
    fclose(f);
    *len = strlen(data);
    return data;
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

/* Creates an organization through voxctl; its id goes to out. */
static void voxctl_org(char out[VX_UUID_STR_LEN + 1])
{
    char name[64], tag[VX_UUID_STR_LEN + 1];
    new_uuid(tag);
    snprintf(name, sizeof(name), "Test clinic %.8s", tag);
    const char *args[] = {"org", "create", "--name", name, NULL};
    run_result r = run_voxctl(args, NULL);
    if (r.status != 0 || !is_uuid_line(r.out))
        show_run("org create", &r);
    assert_int_equal(r.status, 0);
    assert_true(is_uuid_line(r.out));
    snprintf(out, VX_UUID_STR_LEN + 1, "%.36s", r.out);
    remember_org(out);
    run_free(&r);
}

/* ------------------------------------------------------------------ migrate */

static void test_migrate_records_every_file(void **state)
{
    const char *args[] = {"migrate", "--dir", g.migrations, NULL};
    run_result r = run_voxctl(args, NULL);
    if (r.status != 0)
        show_run("migrate", &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "migrate: "));
    run_free(&r);

    char names[128][256];
    size_t n = list_migrations(g.migrations, names, 128);
    assert_true(n >= 2);
    for (size_t i = 0; i < n; i++) {
        char path[1024], version[5], hex[65];
        snprintf(path, sizeof(path), "%s/%s", g.migrations, names[i]);
        size_t len;
        char *data = read_file(path, &len);
        uint8_t digest[VX_SHA256_LEN];
        vx_sha256(data, len, digest);
        vx_hex_encode(digest, sizeof(digest), hex);
        free(data);
        snprintf(version, sizeof(version), "%.4s", names[i]);
        const char *p[1] = {version};
        char *recorded = query_value(g.admin, "SELECT checksum FROM schema_migrations WHERE version = $1", 1, p);
        assert_string_equal(recorded, hex);
        free(recorded);
    }
    assert_int_equal(query_long(g.admin, "SELECT count(*) FROM schema_migrations", 0, NULL), (long)n);
    /* The bookkeeping is the migrator's: the app role cannot even read it. */
    assert_string_equal(exec_fails(g.app, "SELECT count(*) FROM schema_migrations", 0, NULL), "42501");
}

static void test_migrate_second_run_applies_nothing(void **state)
{
    const char *snap_sql = "SELECT string_agg(version || ' ' || checksum || ' ' || applied_at::text, ',' ORDER BY version) "
                           "FROM schema_migrations";
    char *before = query_value(g.admin, snap_sql, 0, NULL);
    const char *args[] = {"migrate", "--dir", g.migrations, NULL};
    run_result r = run_voxctl(args, NULL);
    if (r.status != 0)
        show_run("migrate", &r);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "applied 0"));
    assert_non_null(strstr(r.out, "migrate: 0 applied"));
    char *after = query_value(g.admin, snap_sql, 0, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
    run_free(&r);
}

static int restore_checksum(void **state)
{
    if (g.saved_checksum[0] != '\0') {
        const char *p[1] = {g.saved_checksum};
        PQclear(query(g.admin, "UPDATE schema_migrations SET checksum = $1 WHERE version = '0001'", 1, p));
        g.saved_checksum[0] = '\0';
    }
    return 0;
}

static void test_migrate_refuses_changed_checksum(void **state)
{
    char *saved = query_value(g.admin, "SELECT checksum FROM schema_migrations WHERE version = '0001'", 0, NULL);
    snprintf(g.saved_checksum, sizeof(g.saved_checksum), "%s", saved);
    free(saved);
    exec_ok(g.admin, "UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = '0001'", 0, NULL);

    const char *args[] = {"migrate", "--dir", g.migrations, NULL};
    run_result r = run_voxctl(args, NULL);
    if (r.status == 0)
        show_run("migrate", &r);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "0001_"));
    assert_non_null(strstr(r.err, "changed after it was applied"));
    assert_null(strstr(r.out, "applied 0"));
    run_free(&r);

    restore_checksum(state);
    r = run_voxctl(args, NULL);
    assert_int_equal(r.status, 0);
    run_free(&r);
}

static int delete_ghost(void **state)
{
    if (g.ghost_version[0] != '\0') {
        const char *p[1] = {g.ghost_version};
        PQclear(query(g.admin, "DELETE FROM schema_migrations WHERE version = $1", 1, p));
        g.ghost_version[0] = '\0';
    }
    return 0;
}

static void test_migrate_refuses_missing_file(void **state)
{
    snprintf(g.ghost_version, sizeof(g.ghost_version), "9999");
    exec_ok(g.admin, "INSERT INTO schema_migrations (version, name, checksum) VALUES ('9999', 'ghost', repeat('0', 64))", 0, NULL);
    const char *args[] = {"migrate", "--dir", g.migrations, NULL};
    run_result r = run_voxctl(args, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "9999_ghost.sql is missing"));
    run_free(&r);
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
        char *data = read_file(src, &len);
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

    const char *args[] = {"migrate", "--dir", dir, NULL};
    run_result r = run_voxctl(args, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "9998_vx_test_broken.sql:3: relation \"vx_test_no_such_table\" does not exist"));
    run_free(&r);
    char *table = query_value(g.admin, "SELECT coalesce(to_regclass('vx_test_broken')::text, '')", 0, NULL);
    assert_string_equal(table, "");
    free(table);
    assert_int_equal(query_long(g.admin, "SELECT count(*) FROM schema_migrations WHERE version = '9998'", 0, NULL), 0);

    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    unlink(broken);
    rmdir(dir);
}

/* ------------------------------------------------------------------ org, agent, token */

static void test_org_and_agent_create(void **state)
{
    char org[VX_UUID_STR_LEN + 1];
    voxctl_org(org);
    const char *po[1] = {org};
    char *name = query_value(g.admin, "SELECT name FROM organizations WHERE id = $1", 1, po);
    assert_non_null(strstr(name, "Test clinic "));
    free(name);

    char tag[VX_UUID_STR_LEN + 1], assistant[64], phone_id[64], phone[16];
    new_uuid(tag);
    snprintf(assistant, sizeof(assistant), "asst-%s", tag);
    snprintf(phone_id, sizeof(phone_id), "pn-%s", tag);
    random_e164(phone);
    const char *args[] = {"agent",  "create",         "--org", org,      "--assistant-id", assistant, "--phone-number-id",
                          phone_id, "--phone-number", phone,   "--name", "Front desk",     NULL};
    run_result r = run_voxctl(args, NULL);
    if (r.status != 0)
        show_run("agent create", &r);
    assert_int_equal(r.status, 0);
    assert_true(is_uuid_line(r.out));
    char agent[VX_UUID_STR_LEN + 1];
    snprintf(agent, sizeof(agent), "%.36s", r.out);
    run_free(&r);

    const char *pa[1] = {agent};
    char *row = query_value(g.admin,
                            "SELECT org_id || ' ' || vapi_assistant_id || ' ' || vapi_phone_number_id || ' ' || phone_number "
                            "|| ' ' || name FROM agents WHERE id = $1",
                            1, pa);
    char expect[256];
    snprintf(expect, sizeof(expect), "%s %s %s %s Front desk", org, assistant, phone_id, phone);
    assert_string_equal(row, expect);
    free(row);

    /* The narrow cross-org look-ups find it without any claims. */
    const char *pl[1] = {assistant};
    char *found = query_value(g.app, "SELECT org_for_assistant($1)", 1, pl);
    assert_string_equal(found, org);
    free(found);
    const char *pp[1] = {phone};
    found = query_value(g.app, "SELECT org_for_phone_number($1)", 1, pp);
    assert_string_equal(found, org);
    free(found);
}

static long agents_with_assistant(const char *assistant)
{
    const char *p[1] = {assistant};
    return query_long(g.admin, "SELECT count(*) FROM agents WHERE vapi_assistant_id = $1", 1, p);
}

static void test_bad_input_changes_nothing(void **state)
{
    char org[VX_UUID_STR_LEN + 1], tag[VX_UUID_STR_LEN + 1], assistant[64], unknown_org[VX_UUID_STR_LEN + 1];
    voxctl_org(org);
    new_uuid(tag);
    new_uuid(unknown_org);
    snprintf(assistant, sizeof(assistant), "asst-bad-%s", tag);

    const char *not_uuid[] = {"agent", "create", "--org", "not-a-uuid", "--assistant-id", assistant, NULL};
    run_result r = run_voxctl(not_uuid, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "--org"));
    run_free(&r);

    const char *bad_phone[] = {"agent", "create", "--org", org, "--assistant-id", assistant, "--phone-number", "4155550123", NULL};
    r = run_voxctl(bad_phone, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "E.164"));
    run_free(&r);

    const char *no_such_org[] = {"agent", "create", "--org", unknown_org, "--assistant-id", assistant, NULL};
    r = run_voxctl(no_such_org, NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    run_free(&r);
    assert_int_equal(agents_with_assistant(assistant), 0);

    const char *empty_name[] = {"org", "create", "--name", "", NULL};
    r = run_voxctl(empty_name, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    run_free(&r);

    const char *missing[] = {"org", "create", NULL};
    r = run_voxctl(missing, NULL);
    assert_int_equal(r.status, 2);
    run_free(&r);

    const char *unknown[] = {"frobnicate", NULL};
    r = run_voxctl(unknown, NULL);
    assert_int_equal(r.status, 2);
    run_free(&r);
}

static void test_token_is_accepted_by_vx_jwt(void **state)
{
    char org[VX_UUID_STR_LEN + 1];
    new_uuid(org);
    char secret_env[256];
    snprintf(secret_env, sizeof(secret_env), "JWT_SECRET=%s", g.secret);
    const char *env[] = {secret_env, NULL};
    const char *args[] = {"token", "--org", org, "--user", "user-42", "--role", "owner", "--ttl", "600", NULL};
    int64_t now = (int64_t)time(NULL);
    run_result r = run_voxctl(args, env);
    if (r.status != 0)
        show_run("token", &r);
    assert_int_equal(r.status, 0);
    size_t len = strlen(r.out);
    assert_true(len > 20 && r.out[len - 1] == '\n');
    assert_ptr_equal(strchr(r.out, '\n'), r.out + len - 1); /* exactly one line */
    assert_null(strstr(r.out, g.secret));
    assert_null(strstr(r.err, g.secret));

    vx_jwt_claims claims;
    assert_int_equal(vx_jwt_verify(r.out, len - 1, g.secret, now, &claims), VX_JWT_OK);
    assert_string_equal(claims.org_id, org);
    assert_string_equal(claims.sub, "user-42");
    assert_string_equal(claims.role, "owner");
    assert_true(claims.exp >= now + 590 && claims.exp <= now + 610);
    assert_int_equal(vx_jwt_verify(r.out, len - 1, "another-secret-of-enough-length-000000", now, &claims), VX_JWT_BAD_SIGNATURE);
    assert_int_equal(vx_jwt_verify(r.out, len - 1, g.secret, now + 700, &claims), VX_JWT_EXPIRED);
    run_free(&r);

    const char *no_secret_env[] = {"JWT_SECRET", NULL};
    r = run_voxctl(args, no_secret_env);
    assert_int_not_equal(r.status, 0);
    assert_string_equal(r.out, "");
    run_free(&r);

    const char *bad_org[] = {"token", "--org", "nope", NULL};
    r = run_voxctl(bad_org, env);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    run_free(&r);
}

/* ------------------------------------------------------------------ row-level security */

static const char *const tenant_tables[] = {"organizations", "agents", "contacts", "call_logs"};
#define N_TENANT_TABLES (sizeof(tenant_tables) / sizeof(tenant_tables[0]))

static struct {
    char a[VX_UUID_STR_LEN + 1], b[VX_UUID_STR_LEN + 1];
    char a_contact[VX_UUID_STR_LEN + 1];
    long a_counts[N_TENANT_TABLES], b_counts[N_TENANT_TABLES];
} t;

/* Inserts org (under its own claims, as the app role) with one agent, one
 * contact and ncalls call logs. */
static void seed_org(const char *org, int ncalls, char contact_out[VX_UUID_STR_LEN + 1])
{
    char tag[VX_UUID_STR_LEN + 1], assistant[64], phone[16], contact[VX_UUID_STR_LEN + 1];
    new_uuid(tag);
    new_uuid(contact);
    snprintf(assistant, sizeof(assistant), "asst-rls-%s", tag);
    random_e164(phone);
    begin_as(org);
    const char *po[2] = {org, "RLS test org"};
    exec_ok(g.app, "INSERT INTO organizations (id, name) VALUES ($1, $2)", 2, po);
    remember_org(org);
    const char *pa[2] = {org, assistant};
    exec_ok(g.app, "INSERT INTO agents (org_id, vapi_assistant_id) VALUES ($1, $2)", 2, pa);
    const char *pc[3] = {contact, org, phone};
    exec_ok(g.app, "INSERT INTO contacts (id, org_id, phone, first_name) VALUES ($1, $2, $3, 'Test')", 3, pc);
    for (int i = 0; i < ncalls; i++) {
        char call[VX_UUID_STR_LEN + 1], call_id[64];
        new_uuid(call);
        snprintf(call_id, sizeof(call_id), "call-%s", call);
        const char *pl[4] = {org, call_id, contact, phone};
        exec_ok(g.app,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, contact_id, phone_number) "
                "VALUES ($1, $2, 'CA' || md5($2), $3, $4)",
                4, pl);
    }
    exec_ok(g.app, "COMMIT", 0, NULL);
    if (contact_out != NULL)
        snprintf(contact_out, VX_UUID_STR_LEN + 1, "%s", contact);
}

/* Seeds orgs A and B once, for whichever RLS test runs first. */
static void ensure_tenants(void)
{
    static bool seeded;
    if (seeded)
        return;
    seeded = true;
    new_uuid(t.a);
    new_uuid(t.b);
    seed_org(t.a, 1, t.a_contact);
    seed_org(t.b, 2, NULL);
    const long a[N_TENANT_TABLES] = {1, 1, 1, 1}, b[N_TENANT_TABLES] = {1, 1, 1, 2};
    memcpy(t.a_counts, a, sizeof(a));
    memcpy(t.b_counts, b, sizeof(b));
}

static long count_table(PGconn *conn, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table); /* a name from tenant_tables, never input */
    return query_long(conn, sql, 0, NULL);
}

static void test_app_role_cannot_bypass(void **state)
{
    ensure_tenants();
    char *flags = query_value(
        g.app, "SELECT rolbypassrls::text || ' ' || rolsuper::text FROM pg_roles WHERE rolname = current_user", 0, NULL);
    assert_string_equal(flags, "false false");
    free(flags);
    for (size_t i = 0; i < N_TENANT_TABLES; i++) {
        const char *p[1] = {tenant_tables[i]};
        char *rls = query_value(g.app,
                                "SELECT (relrowsecurity AND relforcerowsecurity)::text FROM pg_class "
                                "WHERE oid = to_regclass($1)",
                                1, p);
        assert_string_equal(rls, "true");
        free(rls);
    }
}

static void test_claims_scope_every_count(void **state)
{
    ensure_tenants();
    for (size_t i = 0; i < N_TENANT_TABLES; i++) {
        begin_as(t.a);
        long a = count_table(g.app, tenant_tables[i]);
        rollback(g.app);
        begin_as(t.b);
        long b = count_table(g.app, tenant_tables[i]);
        rollback(g.app);
        if (a != t.a_counts[i] || b != t.b_counts[i])
            fail_msg("%s: org A sees %ld rows (want %ld), org B sees %ld (want %ld)", tenant_tables[i], a, t.a_counts[i], b,
                     t.b_counts[i]);
        /* The admin, who bypasses RLS, sees both orgs' rows: the filter is real. */
        assert_true(count_table(g.admin, tenant_tables[i]) >= a + b);
    }
    begin_as(t.a);
    const char *pb[1] = {t.b};
    assert_int_equal(query_long(g.app, "SELECT count(*) FROM call_logs WHERE org_id = $1", 1, pb), 0);
    assert_int_equal(query_long(g.app, "SELECT count(*) FROM organizations WHERE id = $1", 1, pb), 0);
    rollback(g.app);
}

static void test_no_claims_sees_nothing(void **state)
{
    ensure_tenants();
    char stranger[VX_UUID_STR_LEN + 1];
    new_uuid(stranger);
    for (size_t i = 0; i < N_TENANT_TABLES; i++) {
        assert_int_equal(count_table(g.app, tenant_tables[i]), 0); /* outside any transaction */
        exec_ok(g.app, "BEGIN", 0, NULL);
        assert_int_equal(count_table(g.app, tenant_tables[i]), 0);
        rollback(g.app);
        begin_as(stranger);
        assert_int_equal(count_table(g.app, tenant_tables[i]), 0);
        rollback(g.app);
    }
}

/* Every table with an org_id column — found in the catalog, so tables added by
 * later migrations are covered without touching this test — is a tenant table:
 * RLS enabled and forced, the tenant_isolation policy, the org_id guard, and
 * under a stranger's claims the app role sees none of its rows even where the
 * admin sees some. */
static void test_every_table_with_org_id_is_isolated(void **state)
{
    ensure_tenants();
    PGresult *tables =
        query(g.admin,
              "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity,"
              " EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'),"
              " EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = c.relname || '_org_id_immutable')"
              " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
              " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped"
              " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1",
              0, NULL);
    assert_true(PQntuples(tables) >= 9);
    char stranger[VX_UUID_STR_LEN + 1];
    new_uuid(stranger);
    for (int i = 0; i < PQntuples(tables); i++) {
        const char *name = PQgetvalue(tables, i, 0);
        if (strcmp(PQgetvalue(tables, i, 1), "t") != 0 || strcmp(PQgetvalue(tables, i, 2), "t") != 0 ||
            strcmp(PQgetvalue(tables, i, 3), "t") != 0)
            fail_msg("%s: RLS forced %s, tenant_isolation policy %s, org_id guard %s", name, PQgetvalue(tables, i, 1),
                     PQgetvalue(tables, i, 2), PQgetvalue(tables, i, 3));
        char sql[160];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM public.%s", name); /* a catalog name, not input */
        begin_as(stranger);
        long seen = query_long(g.app, sql, 0, NULL);
        rollback(g.app);
        if (seen != 0)
            fail_msg("%s: a stranger's claims see %ld rows", name, seen);
    }
    PQclear(tables);
}

static void test_insert_for_other_org_refused(void **state)
{
    ensure_tenants();
    char tag[VX_UUID_STR_LEN + 1], text[64], phone[16];
    new_uuid(tag);
    random_e164(phone);
    snprintf(text, sizeof(text), "x-%s", tag);

    struct {
        const char *sql;
        int n;
    } inserts[] = {
        {"INSERT INTO organizations (id, name) VALUES ($1, $2)", 2},
        {"INSERT INTO agents (org_id, vapi_assistant_id) VALUES ($1, $2)", 2},
        {"INSERT INTO contacts (org_id, phone, first_name) VALUES ($1, $3, $2)", 3},
        {"INSERT INTO call_logs (org_id, vapi_call_id, call_sid) VALUES ($1, $2, $2)", 2},
    };
    char other[VX_UUID_STR_LEN + 1];
    new_uuid(other);
    for (size_t i = 0; i < sizeof(inserts) / sizeof(inserts[0]); i++) {
        /* organizations: a new org other than the claims' one; others: a row for org B. */
        const char *target = i == 0 ? other : t.b;
        const char *p[3] = {target, text, phone};
        begin_as(t.a);
        assert_string_equal(exec_fails(g.app, inserts[i].sql, inserts[i].n, p), "42501");
        rollback(g.app);
    }
    const char *p[1] = {text};
    assert_int_equal(query_long(g.admin, "SELECT count(*) FROM agents WHERE vapi_assistant_id = $1", 1, p), 0);
    assert_int_equal(query_long(g.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", 1, p), 0);
}

static void test_org_id_cannot_change(void **state)
{
    ensure_tenants();
    const char *const tables[] = {"agents", "contacts", "call_logs"};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        char sql[160];
        snprintf(sql, sizeof(sql), "UPDATE %s SET org_id = $1 WHERE org_id = $2", tables[i]);
        const char *p[2] = {t.b, t.a};
        /* The app role, under A's claims: refused (trigger, and the policy's WITH CHECK). */
        begin_as(t.a);
        assert_string_equal(exec_fails(g.app, sql, 2, p), "42501");
        rollback(g.app);
        /* Even the superuser, who bypasses RLS, cannot move a row: the trigger holds. */
        exec_ok(g.admin, "BEGIN", 0, NULL);
        assert_string_equal(exec_fails(g.admin, sql, 2, p), "42501");
        rollback(g.admin);
    }
    char other[VX_UUID_STR_LEN + 1];
    new_uuid(other);
    const char *p[2] = {other, t.a};
    begin_as(t.a);
    assert_string_equal(exec_fails(g.app, "UPDATE organizations SET id = $1 WHERE id = $2", 2, p), "42501");
    rollback(g.app);
    exec_ok(g.admin, "BEGIN", 0, NULL);
    assert_string_equal(exec_fails(g.admin, "UPDATE organizations SET id = $1 WHERE id = $2", 2, p), "42501");
    rollback(g.admin);
    const char *pc[1] = {t.a_contact};
    char *owner = query_value(g.admin, "SELECT org_id::text FROM contacts WHERE id = $1", 1, pc);
    assert_string_equal(owner, t.a);
    free(owner);
}

static void test_other_org_rows_untouchable(void **state)
{
    ensure_tenants();
    const char *pb[1] = {t.b};
    begin_as(t.a);
    PGresult *res = query(g.app, "DELETE FROM contacts WHERE org_id = $1", 1, pb);
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    assert_string_equal(PQcmdTuples(res), "0");
    PQclear(res);
    res = query(g.app, "UPDATE call_logs SET outcome = 'tampered' WHERE org_id = $1", 1, pb);
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    assert_string_equal(PQcmdTuples(res), "0");
    PQclear(res);
    exec_ok(g.app, "COMMIT", 0, NULL);
    assert_int_equal(query_long(g.admin, "SELECT count(*) FROM contacts WHERE org_id = $1", 1, pb), 1);
    assert_int_equal(
        query_long(g.admin, "SELECT count(*) FROM call_logs WHERE org_id = $1 AND outcome IS NOT DISTINCT FROM 'tampered'", 1, pb),
        0);
}

/* ------------------------------------------------------------------ fixture */

/* After a failed assertion a transaction may be left open, holding locks the
 * next test (or the cleanup) would wait for: end it. */
static int end_transactions(void **state)
{
    PGconn *conns[2] = {g.app, g.admin};
    for (size_t i = 0; i < 2; i++) {
        if (conns[i] != NULL && PQtransactionStatus(conns[i]) != PQTRANS_IDLE)
            rollback(conns[i]);
    }
    return 0;
}

static int group_setup(void **state)
{
    const char *names[] = {"DATABASE_URL", "ADMIN_DATABASE_URL", "VOXCTL", "MIGRATIONS_DIR"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = getenv(names[i]);
        if (v == NULL || v[0] == '\0') {
            print_error("%s is not set: source the env written by deploy/local/infra.sh and set VOXCTL and MIGRATIONS_DIR\n",
                        names[i]);
            return -1;
        }
    }
    g.voxctl = getenv("VOXCTL");
    g.migrations = getenv("MIGRATIONS_DIR");
    g.secret = getenv("JWT_SECRET") != NULL && getenv("JWT_SECRET")[0] != '\0' ? getenv("JWT_SECRET") : TEST_JWT_SECRET;
    if (access(g.voxctl, X_OK) != 0) {
        print_error("VOXCTL=%s is not an executable\n", g.voxctl);
        return -1;
    }
    g.admin = db_connect(getenv("ADMIN_DATABASE_URL"), "ADMIN_DATABASE_URL");
    g.app = db_connect(getenv("DATABASE_URL"), "DATABASE_URL");
    if (g.admin == NULL || g.app == NULL)
        return -1;
    /* A broken guarantee must fail the test, never hang it on a lock. */
    PQclear(PQexec(g.admin, "SET client_min_messages = warning"));
    PQclear(PQexec(g.admin, "SET lock_timeout = '10s'"));
    PQclear(PQexec(g.app, "SET lock_timeout = '10s'"));
    /* The RLS tests need the schema: make sure it is there even when run alone. */
    const char *args[] = {"migrate", "--dir", g.migrations, NULL};
    run_result r = run_voxctl(args, NULL);
    int rc = r.status == 0 ? 0 : -1;
    if (rc != 0)
        show_run("migrate (setup)", &r);
    run_free(&r);
    return rc;
}

static int group_teardown(void **state)
{
    end_transactions(state);
    if (g.admin != NULL && g.norgs > 0) {
        for (size_t i = 0; i < g.norgs; i++) {
            const char *p[1] = {g.orgs[i]};
            PQclear(query(g.admin, "DELETE FROM organizations WHERE id = $1", 1, p));
        }
    }
    PQfinish(g.app);
    PQfinish(g.admin);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_migrate_records_every_file, end_transactions),
        cmocka_unit_test_teardown(test_migrate_second_run_applies_nothing, end_transactions),
        cmocka_unit_test_teardown(test_migrate_refuses_changed_checksum, restore_checksum),
        cmocka_unit_test_teardown(test_migrate_refuses_missing_file, delete_ghost),
        cmocka_unit_test_teardown(test_migrate_failed_file_is_rolled_back, end_transactions),
        cmocka_unit_test_teardown(test_org_and_agent_create, end_transactions),
        cmocka_unit_test_teardown(test_bad_input_changes_nothing, end_transactions),
        cmocka_unit_test_teardown(test_token_is_accepted_by_vx_jwt, end_transactions),
        cmocka_unit_test_teardown(test_app_role_cannot_bypass, end_transactions),
        cmocka_unit_test_teardown(test_claims_scope_every_count, end_transactions),
        cmocka_unit_test_teardown(test_no_claims_sees_nothing, end_transactions),
        cmocka_unit_test_teardown(test_every_table_with_org_id_is_isolated, end_transactions),
        cmocka_unit_test_teardown(test_insert_for_other_org_refused, end_transactions),
        cmocka_unit_test_teardown(test_org_id_cannot_change, end_transactions),
        cmocka_unit_test_teardown(test_other_org_rows_untouchable, end_transactions),
    };
    return cmocka_run_group_tests_name("voxctl migrate and tenancy", tests, group_setup, group_teardown);
}
