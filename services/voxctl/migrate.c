/*
 * migrate: apply migrations/NNNN_name.sql in order, forward only.
 *
 * Design: first the whole plan is built and checked without touching the
 * database's schema — every file of the folder is read into memory and hashed
 * (so what runs is exactly what was hashed), the advisory lock is taken, and
 * the applied rows of schema_migrations are compared with the files. Any
 * mismatch stops the run before anything is applied. Then each new file runs
 * in its own transaction together with the INSERT that records it, so a
 * migration is either applied and recorded or not at all.
 *
 * A file is executed as one multi-statement string (PQexec): migrations are
 * trusted code from the repository, the one place where SQL runs as written.
 * Files must therefore not contain transaction control, COPY FROM STDIN or
 * commands that cannot run inside a transaction (CREATE INDEX CONCURRENTLY).
 * Bookkeeping statements use PQexecParams with bound parameters.
 */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "vx_crypto.h"
#include "vx_time.h"

#define VERSION_LEN      4
#define CHECKSUM_HEX_LEN (VX_SHA256_LEN * 2)

typedef struct migration {
    char version[VERSION_LEN + 1];
    char *name; /* the part between "NNNN_" and ".sql" */
    char *file; /* "NNNN_name.sql" */
    char *sql;  /* the file's bytes, NUL-terminated */
    size_t len;
    char checksum[CHECKSUM_HEX_LEN + 1];
    bool applied;
} migration;

typedef struct plan {
    const char *dir;
    migration *items; /* sorted by file name, hence by version */
    size_t n;
} plan;

static void plan_free(plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].name);
        free(p->items[i].file);
        free(p->items[i].sql);
    }
    free(p->items);
    p->items = NULL;
    p->n = 0;
}

/* True for NNNN_name.sql where name is [A-Za-z0-9_-]+. */
static bool is_migration_name(const char *s)
{
    size_t len = strlen(s);
    if (len < VERSION_LEN + 1 + 1 + 4 || strcmp(s + len - 4, ".sql") != 0 || s[VERSION_LEN] != '_')
        return false;
    for (size_t i = 0; i < VERSION_LEN; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    for (size_t i = VERSION_LEN + 1; i < len - 4; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Reads path into a malloc'd NUL-terminated buffer. Returns 0, or -1 after printing why. */
static int read_file(const char *path, char **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        vxctl_errorf("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        abort();
    for (;;) {
        if (cap - len < 4096) {
            cap *= 2;
            char *grown = realloc(buf, cap);
            if (grown == NULL)
                abort();
            buf = grown;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        vxctl_errorf("cannot read %s", path);
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL) {
        vxctl_errorf("%s contains a NUL byte: not an SQL text file", path);
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

static int compare_migrations(const void *a, const void *b)
{
    return strcmp(((const migration *)a)->file, ((const migration *)b)->file);
}

/* Fills p with every migration file of dir, read and hashed, sorted.
 * Returns 0, or -1 after printing why (unreadable folder or file, a *.sql file
 * whose name does not follow NNNN_name.sql, two files with one version). */
static int plan_load(plan *p, const char *dir)
{
    p->dir = dir;
    DIR *d = opendir(dir);
    if (d == NULL) {
        vxctl_errorf("cannot open the migrations folder %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        if (!is_migration_name(e->d_name)) {
            vxctl_errorf("%s/%s: migration files must be named NNNN_name.sql (name: letters, digits, _ or -)", dir, e->d_name);
            rc = -1;
            continue;
        }
        if (p->n == cap) {
            cap = cap ? cap * 2 : 16;
            migration *grown = realloc(p->items, cap * sizeof(*grown));
            if (grown == NULL)
                abort();
            p->items = grown;
        }
        migration *m = &p->items[p->n++];
        memset(m, 0, sizeof(*m));
        memcpy(m->version, e->d_name, VERSION_LEN);
        m->file = strdup(e->d_name);
        m->name = strndup(e->d_name + VERSION_LEN + 1, len - VERSION_LEN - 1 - 4);
        if (m->file == NULL || m->name == NULL)
            abort();
    }
    closedir(d);
    if (rc != 0)
        return -1;
    qsort(p->items, p->n, sizeof(*p->items), compare_migrations);
    for (size_t i = 0; i < p->n; i++) {
        migration *m = &p->items[i];
        if (i > 0 && strcmp(m->version, p->items[i - 1].version) == 0) {
            vxctl_errorf("%s/%s and %s/%s share version %s: renumber one of them", dir, p->items[i - 1].file, dir, m->file,
                         m->version);
            return -1;
        }
        char path[4096];
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, m->file) >= sizeof(path)) {
            vxctl_errorf("path too long: %s/%s", dir, m->file);
            return -1;
        }
        if (read_file(path, &m->sql, &m->len) != 0)
            return -1;
        uint8_t digest[VX_SHA256_LEN];
        vx_sha256(m->sql, m->len, digest);
        vx_hex_encode(digest, sizeof(digest), m->checksum);
    }
    return 0;
}

/* libpq's message for conn without its trailing newline (kept in a static buffer). */
static const char *conn_error(const PGconn *conn)
{
    static char msg[1024];
    snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
    size_t len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        msg[--len] = '\0';
    return msg;
}

/* The server's primary message for a failed result, else libpq's for conn. */
static const char *result_error(const PGresult *res, const PGconn *conn)
{
    const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    return primary != NULL ? primary : conn_error(conn);
}

/* Runs one parameterless bookkeeping statement. Returns 0, or -1 after printing
 * "<what>: <server message>". */
static int exec_command(PGconn *conn, const char *sql, const char *what)
{
    PGresult *res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        PQclear(res);
        return 0;
    }
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state != NULL && strcmp(state, "55P03") == 0)
        vxctl_errorf("%s: another migrator has held the migration lock for too long; try again later", what);
    else
        vxctl_errorf("%s: %s", what, result_error(res, conn));
    PQclear(res);
    return -1;
}

/* Waits (up to lock_timeout) until no other migrator runs; the lock is held
 * until the connection closes. Then makes sure schema_migrations exists. */
static int lock_and_prepare(PGconn *conn)
{
    if (exec_command(conn, "SET client_min_messages = warning", "configuring the session") != 0 ||
        exec_command(conn, "SET lock_timeout = '120s'", "configuring the session") != 0 ||
        exec_command(conn, "SELECT pg_advisory_lock(hashtextextended('voxanne.schema_migrations', 0))",
                     "taking the migration lock") != 0 ||
        exec_command(conn, "RESET lock_timeout", "configuring the session") != 0)
        return -1;
    return exec_command(conn,
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version text PRIMARY KEY,"
                        " name text,"
                        " checksum text NOT NULL,"
                        " applied_at timestamptz DEFAULT now())",
                        "creating schema_migrations");
}

static migration *plan_find(plan *p, const char *version)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->items[i].version, version) == 0)
            return &p->items[i];
    }
    return NULL;
}

/* Compares schema_migrations with the files and marks the applied ones.
 * Returns 0, or -1 after printing every problem found. */
static int plan_check_applied(plan *p, PGconn *conn)
{
    PGresult *res = PQexecParams(conn, "SELECT version, coalesce(name, ''), checksum FROM schema_migrations ORDER BY version", 0,
                                 NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        vxctl_errorf("reading schema_migrations: %s", result_error(res, conn));
        PQclear(res);
        return -1;
    }
    int rc = 0;
    const char *newest = NULL;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *version = PQgetvalue(res, r, 0);
        const char *name = PQgetvalue(res, r, 1);
        const char *checksum = PQgetvalue(res, r, 2);
        migration *m = plan_find(p, version);
        if (m == NULL) {
            vxctl_errorf("migration %s_%s is recorded as applied but %s/%s_%s.sql is missing", version, name, p->dir, version,
                         name);
            rc = -1;
            continue;
        }
        if (strcmp(m->name, name) != 0) {
            vxctl_errorf("migration %s was applied as %s_%s.sql but the file is now %s/%s: restore the original name", version,
                         version, name, p->dir, m->file);
            rc = -1;
        } else if (strcmp(m->checksum, checksum) != 0) {
            vxctl_errorf("%s/%s changed after it was applied (recorded sha256 %.12s…, file %.12s…): applied migrations "
                         "are never edited; restore the file and add a new migration instead",
                         p->dir, m->file, checksum, m->checksum);
            rc = -1;
        }
        m->applied = true;
        newest = m->version;
    }
    for (size_t i = 0; rc == 0 && newest != NULL && i < p->n; i++) {
        migration *m = &p->items[i];
        if (!m->applied && strcmp(m->version, newest) < 0) {
            vxctl_errorf("%s/%s is numbered below the newest applied migration %s: give it a number above %s", p->dir, m->file,
                         newest, newest);
            rc = -1;
        }
    }
    PQclear(res);
    return rc;
}

/* The 1-based line of the character at 1-based position pos (as PostgreSQL
 * counts: characters, not bytes) in sql. */
static int line_of_position(const char *sql, size_t len, long pos)
{
    long chars = 0;
    int line = 1;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)sql[i] & 0xc0) != 0x80 && ++chars >= pos)
            break;
        if (sql[i] == '\n')
            line++;
    }
    return line;
}

/* Prints a failed migration's error as "dir/file:line: message (SQLSTATE x)"
 * followed by the server's detail, hint and context when it gave them. */
static void report_sql_error(const plan *p, const migration *m, const PGresult *res, PGconn *conn)
{
    if (res == NULL) {
        vxctl_errorf("%s/%s: %s", p->dir, m->file, conn_error(conn));
        return;
    }
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    char where[64] = "";
    if (pos != NULL)
        snprintf(where, sizeof(where), ":%d", line_of_position(m->sql, m->len, atol(pos)));
    if (primary == NULL) {
        vxctl_errorf("%s/%s%s: %s", p->dir, m->file, where, PQresultErrorMessage(res));
        return;
    }
    vxctl_errorf("%s/%s%s: %s (SQLSTATE %s)", p->dir, m->file, where, primary, state != NULL ? state : "?");
    const struct {
        int field;
        const char *label;
    } extra[] = {{PG_DIAG_MESSAGE_DETAIL, "detail"}, {PG_DIAG_MESSAGE_HINT, "hint"}, {PG_DIAG_CONTEXT, "context"}};
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        const char *v = PQresultErrorField(res, extra[i].field);
        if (v != NULL)
            fprintf(stderr, "  %s: %s\n", extra[i].label, v);
    }
}

/* Applies m and records it, in one transaction. Returns 0, or -1 after
 * printing why and rolling back. */
static int apply_one(const plan *p, migration *m, PGconn *conn)
{
    int64_t started = vx_monotonic_us();
    if (exec_command(conn, "BEGIN", "starting a transaction") != 0)
        return -1;
    PGresult *res = PQexec(conn, m->sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        report_sql_error(p, m, res, conn);
        PQclear(res);
        goto fail;
    }
    PQclear(res);
    if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
        vxctl_errorf("%s/%s ended the migrator's transaction itself (COMMIT or ROLLBACK in the file): it is NOT recorded "
                     "and may be partly applied; remove the transaction control and check the schema",
                     p->dir, m->file);
        return -1;
    }
    const char *params[3] = {m->version, m->name, m->checksum};
    res = PQexecParams(conn, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3, NULL, params, NULL,
                       NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        vxctl_errorf("recording %s in schema_migrations: %s", m->file, result_error(res, conn));
        PQclear(res);
        goto fail;
    }
    PQclear(res);
    if (exec_command(conn, "COMMIT", m->file) != 0)
        goto fail;
    m->applied = true;
    printf("applied %s (%lld ms)\n", m->file, (long long)((vx_monotonic_us() - started) / 1000));
    fflush(stdout);
    return 0;
fail:
    if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
    vxctl_errorf("%s was not applied; nothing of it was kept", m->file);
    return -1;
}

vxctl_status vxctl_migrate(const char *conninfo, const char *dir)
{
    plan p = {0};
    vxctl_status status = VXCTL_FAILED;
    PGconn *conn = NULL;
    size_t before = 0, applied = 0;
    if (plan_load(&p, dir) != 0)
        goto out;
    conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        vxctl_errorf("cannot connect to the database: %s", conn_error(conn));
        goto out;
    }
    /* Positions in error messages are counted in characters of this encoding. */
    if (PQsetClientEncoding(conn, "UTF8") != 0) {
        vxctl_errorf("cannot set the client encoding: %s", conn_error(conn));
        goto out;
    }
    if (lock_and_prepare(conn) != 0 || plan_check_applied(&p, conn) != 0)
        goto out;
    for (size_t i = 0; i < p.n; i++)
        before += p.items[i].applied;
    for (size_t i = 0; i < p.n; i++) {
        if (p.items[i].applied)
            continue;
        if (apply_one(&p, &p.items[i], conn) != 0)
            goto out;
        applied++;
    }
    printf("migrate: %zu applied, %zu already applied; schema version %s\n", applied, before,
           p.n > 0 ? p.items[p.n - 1].version : "none");
    status = VXCTL_OK;
out:
    if (status != VXCTL_OK)
        fprintf(stderr, "voxctl: migrate stopped: %zu migration(s) applied by this run\n", applied);
    PQfinish(conn);
    plan_free(&p);
    return status;
}

static bool is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

vxctl_migrate_dir_source vxctl_migrate_pick_dir(const char *flag, const char *env_dir, const char *checkout, char *out,
                                                size_t out_len)
{
    out[0] = '\0';
    if (flag != NULL) {
        bool fits = (size_t)snprintf(out, out_len, "%s", flag) < out_len;
        return fits && is_folder(flag) ? VXCTL_MIGRATE_DIR_GIVEN : VXCTL_MIGRATE_DIR_NONE;
    }
    if (env_dir != NULL && env_dir[0] != '\0') {
        bool fits = (size_t)snprintf(out, out_len, "%s", env_dir) < out_len;
        return fits && is_folder(env_dir) ? VXCTL_MIGRATE_DIR_ENV : VXCTL_MIGRATE_DIR_NONE;
    }
    if (checkout != NULL && (size_t)snprintf(out, out_len, "%s/migrations", checkout) < out_len && is_folder(out))
        return VXCTL_MIGRATE_DIR_CHECKOUT;
    if (is_folder("migrations")) {
        snprintf(out, out_len, "migrations");
        return VXCTL_MIGRATE_DIR_CWD;
    }
    out[0] = '\0';
    return VXCTL_MIGRATE_DIR_NONE;
}

vxctl_status vxctl_migrate_choose_dir(const char *flag, const char *env_dir, const char *checkout, char *out, size_t out_len)
{
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        snprintf(cwd, sizeof(cwd), "?");
    switch (vxctl_migrate_pick_dir(flag, env_dir, checkout, out, out_len)) {
    case VXCTL_MIGRATE_DIR_GIVEN:
        printf("migrate: migrations from %s (--dir)\n", out);
        return VXCTL_OK;
    case VXCTL_MIGRATE_DIR_ENV:
        printf("migrate: migrations from %s (MIGRATIONS_DIR)\n", out);
        return VXCTL_OK;
    case VXCTL_MIGRATE_DIR_CHECKOUT:
        printf("migrate: migrations from %s (the checkout this voxctl was built in)\n", out);
        return VXCTL_OK;
    case VXCTL_MIGRATE_DIR_CWD:
        printf("migrate: migrations from %s/migrations (the working directory)\n", strcmp(cwd, "/") == 0 ? "" : cwd);
        return VXCTL_OK;
    case VXCTL_MIGRATE_DIR_NONE:
        break;
    }
    if (flag != NULL)
        vxctl_errorf("migrate: --dir %s is not a folder", flag);
    else if (env_dir != NULL && env_dir[0] != '\0')
        vxctl_errorf("migrate: MIGRATIONS_DIR=%s is not a folder", env_dir);
    else
        vxctl_errorf("migrate: no migrations folder: --dir is not given, MIGRATIONS_DIR is not set, %s, and there is no "
                     "migrations folder in the working directory (%s); set MIGRATIONS_DIR or pass --dir",
                     checkout != NULL ? "the checkout this voxctl was built in has no migrations folder"
                                      : "this voxctl is not inside a checkout",
                     cwd);
    return VXCTL_USAGE;
}
