/*
 * vt: test support. Everything here fails loudly (vt_die) rather than
 * returning errors: a test that cannot set itself up has nothing to say.
 */
#include "vt.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "voxanne/v1/vapi.pb-c.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_envelope.h"
#include "vx_jwt.h"
#include "vx_nats.h"
#include "vx_time.h"
#include "vx_vapi.h"
#include "vx_validate.h"

void vt_die(const char *file, int line, const char *msg)
{
    fprintf(stderr, "%s:%d: test setup failed: %s\n", file, line, msg);
    exit(1);
}

const char *vt_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "test needs %s in the environment (run it through tests/run-all.sh)\n", name);
        exit(1);
    }
    return v;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The bus identity a program of the suite gets, as "K=V" entries: NATS_URL
 * without credentials (the tests' own NATS_URL is admin's) and, when the
 * run's NATS has a user named like the program (deploy/nats/users.conf),
 * NATS_USER and NATS_PASSWORD. Without VX_NATS_SERVICE_URL (a NATS without
 * users) nothing changes. */
typedef struct bus_identity {
    char url[512], user[96], password[160];
    char envelope_key[96]; /* "ENVELOPE_KEY=<hex>" for a program that serves rpc subjects */
    char org_hint_key[96]; /* "ORG_HINT_KEY=<hex>" for the programs that sign or read org hints */
} bus_identity;

static void bus_identity_for(const char *program, bus_identity *id)
{
    memset(id, 0, sizeof(*id));
    const char *service = vx_envelope_program_service(program);
    if (service != NULL && getenv("ENVELOPE_MASTER_KEY") != NULL) {
        char hex[2 * VX_ENVELOPE_KEY_LEN + 1];
        vt_envelope_key_hex(service, hex);
        snprintf(id->envelope_key, sizeof(id->envelope_key), "ENVELOPE_KEY=%s", hex);
        vt_envelope_key_hex(VX_VAPI_ORG_HINT_KEY_NAME, hex);
        snprintf(id->org_hint_key, sizeof(id->org_hint_key), "ORG_HINT_KEY=%s", hex);
    }
    const char *service_url = getenv("VX_NATS_SERVICE_URL");
    const char *users_dir = getenv("VX_NATS_USERS_DIR");
    if (service_url == NULL || service_url[0] == '\0')
        return;
    snprintf(id->url, sizeof(id->url), "NATS_URL=%s", service_url);
    char file[512];
    snprintf(file, sizeof(file), "%s/%s", users_dir != NULL ? users_dir : "", program);
    FILE *f = users_dir != NULL ? fopen(file, "r") : NULL;
    if (f == NULL)
        return; /* a fake, or a program without a user: it connects as no one */
    char password[128] = "";
    if (fgets(password, sizeof(password), f) != NULL) {
        password[strcspn(password, "\r\n")] = '\0';
        snprintf(id->user, sizeof(id->user), "NATS_USER=%s", program);
        snprintf(id->password, sizeof(id->password), "NATS_PASSWORD=%s", password);
    }
    fclose(f);
}

/* The key derived for name from the run's ENVELOPE_MASTER_KEY, as voxctl derives it. */
static void derived_key(const char *name, uint8_t key[VX_ENVELOPE_KEY_LEN])
{
    uint8_t master[VX_ENVELOPE_KEY_LEN];
    VT_REQUIRE(vx_envelope_key_parse(vt_env("ENVELOPE_MASTER_KEY"), master) == 0, "ENVELOPE_MASTER_KEY is not 64 hex digits");
    vx_envelope_service_key(master, name, key);
}

void vt_envelope_key_hex(const char *service, char out[2 * VX_ENVELOPE_KEY_LEN + 1])
{
    uint8_t key[VX_ENVELOPE_KEY_LEN];
    derived_key(service, key);
    vx_hex_encode(key, sizeof(key), out);
}

natsMsg *vt_signed_msg(const char *subject, const char *reply, const void *data, size_t len)
{
    uint8_t key[VX_ENVELOPE_KEY_LEN];
    char service[64], signature[VX_ENVELOPE_SIG_SIZE];
    VT_REQUIRE(vx_envelope_subject_service(subject, service, sizeof(service)) == 0, "not an rpc.<service> subject");
    derived_key(service, key);
    vx_envelope_sign(key, subject, data, len, signature);
    natsMsg *msg = NULL;
    VT_REQUIRE(natsMsg_Create(&msg, subject, reply, data, (int)len) == NATS_OK, "natsMsg_Create");
    VT_REQUIRE(natsMsgHeader_Set(msg, VX_ENVELOPE_HEADER, signature) == NATS_OK, "natsMsgHeader_Set");
    return msg;
}

void vt_org_hint_sig(const char *org_id, const char *call_id, char out[65])
{
    /* Signed as tool-router signs, with the key the suite gives it. */
    uint8_t key[VX_ENVELOPE_KEY_LEN];
    derived_key(VX_VAPI_ORG_HINT_KEY_NAME, key);
    VT_REQUIRE(vx_vapi_org_hint_sign_with(key, org_id, call_id, out) == 0, "cannot sign an org hint");
}

char *vt_nats_password(const char *user)
{
    char file[512];
    snprintf(file, sizeof(file), "%s/%s", vt_env("VX_NATS_USERS_DIR"), user);
    size_t len = 0;
    char *password = vt_read_file(file, &len);
    password[strcspn(password, "\r\n")] = '\0';
    return password;
}

pid_t vt_spawn(const char *program, const char *log_name, const char *const *extra_env)
{
    char path[512], log_path[512];
    bus_identity id;
    bus_identity_for(program, &id);
    /* A program of the suite, or else one of the test fakes. */
    snprintf(path, sizeof(path), "%s/%s", vt_env("BIN_DIR"), program);
    if (access(path, X_OK) != 0)
        snprintf(path, sizeof(path), "%s/%s", vt_env("FAKES_DIR"), program);
    mkdir("build", 0755);
    mkdir("build/test-logs", 0755);
    snprintf(log_path, sizeof(log_path), "build/test-logs/%s.log", log_name);
    pid_t pid = fork();
    VT_REQUIRE(pid >= 0, "fork failed");
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        /* The test's own entries come last: they may override the identity.
         * A service gets its own envelope key, never the gateway's master. */
        if (id.envelope_key[0] != '\0') {
            unsetenv("ENVELOPE_MASTER_KEY");
            putenv(id.envelope_key);
            putenv(id.org_hint_key);
        }
        if (id.url[0] != '\0')
            putenv(id.url);
        if (id.user[0] != '\0') {
            putenv(id.user);
            putenv(id.password);
        }
        for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
            putenv((char *)extra_env[i]);
        execl(path, path, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    return pid;
}

bool vt_alive(pid_t pid)
{
    int status;
    return waitpid(pid, &status, WNOHANG) == 0;
}

int vt_stop(pid_t pid, int sig, int timeout_ms)
{
    if (pid <= 0)
        return -1;
    kill(pid, sig);
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0)
            return -1;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

typedef struct grow {
    char *data;
    size_t len;
} grow;

static size_t on_body(char *ptr, size_t size, size_t n, void *userdata)
{
    grow *g = userdata;
    size_t add = size * n;
    char *d = realloc(g->data, g->len + add + 1);
    VT_REQUIRE(d != NULL, "out of memory");
    memcpy(d + g->len, ptr, add);
    g->len += add;
    d[g->len] = '\0';
    g->data = d;
    return add;
}

/* Copies the value of header name (lower case, with its colon) from line into out. */
static void header_value(const char *ptr, size_t len, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(ptr, name, n) != 0)
        return;
    size_t start = n;
    while (start < len && ptr[start] == ' ')
        start++;
    size_t end = len;
    while (end > start && (ptr[end - 1] == '\r' || ptr[end - 1] == '\n'))
        end--;
    snprintf(out, cap, "%.*s", (int)(end - start), ptr + start);
}

static size_t on_header(char *ptr, size_t size, size_t n, void *userdata)
{
    vt_response *r = userdata;
    size_t len = size * n;
    header_value(ptr, len, "x-request-id:", r->request_id, sizeof(r->request_id));
    header_value(ptr, len, "location:", r->location, sizeof(r->location));
    header_value(ptr, len, "x-next-cursor:", r->next_cursor, sizeof(r->next_cursor));
    return len;
}

struct vt_client {
    CURL *curl;
};

vt_client *vt_client_new(void)
{
    vt_client *c = calloc(1, sizeof(*c));
    VT_REQUIRE(c != NULL && (c->curl = curl_easy_init()) != NULL, "curl_easy_init failed");
    return c;
}

void vt_client_free(vt_client *c)
{
    curl_easy_cleanup(c->curl);
    free(c);
}

vt_response vt_client_http(vt_client *client, const char *method, const char *url, const char *const *headers, const char *body,
                           size_t body_len)
{
    vt_response r;
    memset(&r, 0, sizeof(r));
    grow g = {NULL, 0};
    CURL *c = client->curl;
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        list = curl_slist_append(list, headers[i]);
    list = curl_slist_append(list, "Expect:");
    if (body != NULL)
        list = curl_slist_append(list, "Content-Type: application/json");
    curl_easy_reset(c); /* keeps the connection cache: the next request reuses the connection */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(list);
    r.body = g.data != NULL ? g.data : strdup("");
    r.body_len = g.len;
    return r;
}

vt_response vt_http(const char *method, const char *url, const char *const *headers, const char *body, size_t body_len)
{
    vt_client *c = vt_client_new();
    vt_response r = vt_client_http(c, method, url, headers, body, body_len);
    vt_client_free(c);
    return r;
}

void vt_response_free(vt_response *r)
{
    free(r->body);
    r->body = NULL;
}

PGconn *vt_admin(void)
{
    PGconn *conn = PQconnectdb(vt_env("ADMIN_DATABASE_URL"));
    VT_REQUIRE(PQstatus(conn) == CONNECTION_OK, PQerrorMessage(conn));
    return conn;
}

PGconn *vt_service_conn(void)
{
    PGconn *conn = PQconnectdb(vt_env("DATABASE_URL"));
    VT_REQUIRE(PQstatus(conn) == CONNECTION_OK, PQerrorMessage(conn));
    return conn;
}

void vt_prepare(PGconn *conn, const char *name, const char *sql)
{
    PGresult *res = PQprepare(conn, name, sql, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        fprintf(stderr, "prepare %s failed: %s\n", name, PQresultErrorMessage(res));
    VT_REQUIRE(PQresultStatus(res) == PGRES_COMMAND_OK, "a statement could not be prepared");
    PQclear(res);
}

char *vt_explain(PGconn *conn, const char *name, const char *args)
{
    vx_buf sql = VX_BUF_INIT, plan = VX_BUF_INIT;
    vx_buf_printf(&sql, "EXPLAIN EXECUTE %s(%s)", name, args);
    PGresult *res = PQexec(conn, sql.data);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fprintf(stderr, "%s failed: %s\n", sql.data, PQresultErrorMessage(res));
    VT_REQUIRE(PQresultStatus(res) == PGRES_TUPLES_OK, "EXPLAIN failed");
    for (int i = 0; i < PQntuples(res); i++)
        vx_buf_printf(&plan, "%s\n", PQgetvalue(res, i, 0));
    PQclear(res);
    vx_buf_free(&sql);
    return vx_buf_steal(&plan);
}

static PGresult *run(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        fprintf(stderr, "SQL failed: %s\n%s\n", sql, PQresultErrorMessage(res));
        exit(1);
    }
    return res;
}

char *vt_sql_value(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = run(conn, sql, nparams, params);
    char *v = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return v;
}

long vt_sql_long(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    char *v = vt_sql_value(conn, sql, nparams, params);
    long n = v != NULL ? atol(v) : 0;
    free(v);
    return n;
}

void vt_sql_exec(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    PQclear(run(conn, sql, nparams, params));
}

bool vt_wait_for(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        if (cond(arg))
            return true;
        sleep_ms(20);
    }
    return cond(arg);
}

long vt_wait_sql_long(PGconn *conn, const char *sql, int nparams, const char *const *params, long want, int timeout_ms)
{
    long v = -1;
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        v = vt_sql_long(conn, sql, nparams, params);
        if (v == want)
            return v;
        sleep_ms(50);
    }
    return v;
}

char *vt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    VT_REQUIRE(f != NULL, path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    VT_REQUIRE(buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n, path);
    buf[n] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)n;
    return buf;
}

char *vt_replace(const char *s, const char *from, const char *to)
{
    size_t flen = strlen(from), tlen = strlen(to), count = 0;
    for (const char *p = strstr(s, from); p != NULL; p = strstr(p + flen, from))
        count++;
    char *out = malloc(strlen(s) + count * tlen + 1);
    VT_REQUIRE(out != NULL, "out of memory");
    char *o = out;
    for (const char *p = s;;) {
        const char *hit = strstr(p, from);
        if (hit == NULL) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, to, tlen);
        o += tlen;
        p = hit + flen;
    }
    return out;
}

void vt_uuid(char out[37])
{
    vx_uuid_v4(out);
}

/* A free port below the ephemeral range (where the kernel picks clients'
 * ports, so a port found there can be taken again before the server binds it). */
int vt_infra(const char *verb)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "deploy/local/infra.sh %s '%s' >/dev/null", verb, vt_env("VX_STATE_DIR"));
    return system(cmd);
}

int vt_free_port(void)
{
    static unsigned seed;
    if (seed == 0)
        seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    for (int attempt = 0; attempt < 200; attempt++) {
        int port = 10000 + (int)(rand_r(&seed) % 10000);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        addr.sin_addr.s_addr = htonl(INADDR_ANY);
        int ok = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
        close(fd);
        if (ok)
            return port;
    }
    vt_die(__FILE__, __LINE__, "no free port in 10000-19999");
}

bool vt_service_healthy(natsConnection *nc, const char *service)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "rpc.%s.health", service);
    natsMsg *m = NULL;
    bool ok = false;
    if (natsConnection_RequestString(&m, nc, subject, "", 500) == NATS_OK && !natsMsg_IsNoResponders(m)) {
        Voxanne__V1__HealthReply *h =
            voxanne__v1__health_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
        ok = h != NULL && h->ok && strcmp(h->service, service) == 0;
        if (h != NULL)
            voxanne__v1__health_reply__free_unpacked(h, NULL);
    }
    natsMsg_Destroy(m);
    return ok;
}

bool vt_wait_service_healthy(natsConnection *nc, const char *service, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        if (vt_service_healthy(nc, service))
            return true;
        sleep_ms(50);
    }
    return false;
}

static bool suite_ready(void *arg)
{
    vt_suite *s = arg;
    char url[128];
    snprintf(url, sizeof(url), "%s/ready", s->base_url);
    vt_response r = vt_http("GET", url, NULL, NULL, 0);
    bool ok = r.status == 200;
    vt_response_free(&r);
    return ok;
}

void vt_suite_start(vt_suite *s)
{
    vt_vapi_auth mode = s->vapi_auth;
    const char *const *extra = s->gateway_env;
    const char *const *dashboard_extra = s->dashboard_env;
    memset(s, 0, sizeof(*s));
    s->vapi_auth = mode;
    s->gateway_env = extra;
    s->dashboard_env = dashboard_extra;
    s->port = vt_free_port();
    snprintf(s->base_url, sizeof(s->base_url), "http://127.0.0.1:%d", s->port);
    snprintf(s->vapi_secret, sizeof(s->vapi_secret), "test-vapi-secret");
    if (mode == VT_VAPI_HMAC)
        snprintf(s->hmac_secret, sizeof(s->hmac_secret), "test-hmac-secret");
    snprintf(s->jwt_secret, sizeof(s->jwt_secret), "%s", VT_JWT_SECRET);
    snprintf(s->metrics_token, sizeof(s->metrics_token), "test-metrics-token-0123456789");
    static char port_env[32], vapi_env[96], hmac_env[96], jwt_env[96], metrics_env[96];
    snprintf(port_env, sizeof(port_env), "GATEWAY_PORT=%d", s->port);
    snprintf(vapi_env, sizeof(vapi_env), "VAPI_WEBHOOK_SECRET=%s", s->vapi_secret);
    /* Unset in the default mode: an empty value counts as unset (vx_config). */
    snprintf(hmac_env, sizeof(hmac_env), "VAPI_WEBHOOK_HMAC_SECRET=%s", s->hmac_secret);
    snprintf(jwt_env, sizeof(jwt_env), "JWT_SECRET=%s", s->jwt_secret);
    snprintf(metrics_env, sizeof(metrics_env), "METRICS_TOKEN=%s", s->metrics_token);
    const char *gw_env[32] = {
        port_env, vapi_env, hmac_env, jwt_env, metrics_env, "GATEWAY_MAX_BODY_BYTES=262144", "GATEWAY_UPSTREAM_TIMEOUT_MS=2000",
        NULL};
    for (size_t n = 7, i = 0; extra != NULL && extra[i] != NULL; i++, n++) {
        VT_REQUIRE(n + 1 < sizeof gw_env / sizeof gw_env[0], "too much gateway environment");
        gw_env[n] = extra[i];
    }
    s->ingest = vt_spawn("webhook-ingest", "webhook-ingest", NULL);
    /* dashboard-api signs the built-in sign-in's tokens with the gateway's secret. */
    const char *dashboard_env[8] = {jwt_env, NULL};
    for (size_t n = 1, i = 0; dashboard_extra != NULL && dashboard_extra[i] != NULL; i++, n++) {
        VT_REQUIRE(n + 1 < sizeof dashboard_env / sizeof dashboard_env[0], "too much dashboard-api environment");
        dashboard_env[n] = dashboard_extra[i];
    }
    s->dashboard = vt_spawn("dashboard-api", "dashboard-api", dashboard_env);
    s->tools = vt_spawn("tool-router", "tool-router", NULL);
    s->gateway = vt_spawn("gateway", "gateway", gw_env);
    VT_REQUIRE(vt_wait_for(suite_ready, s, 20000), "the suite did not become ready (see build/test-logs/)");
}

void vt_suite_stop(vt_suite *s)
{
    /* Stop every program before judging any, so a failure leaves no orphans behind. */
    int gateway = vt_stop(s->gateway, SIGTERM, 5000);
    int ingest = vt_stop(s->ingest, SIGTERM, 10000);
    int dashboard = vt_stop(s->dashboard, SIGTERM, 5000);
    int tools = vt_stop(s->tools, SIGTERM, 5000);
    VT_REQUIRE(gateway == 0, "gateway did not stop cleanly (see build/test-logs/gateway.log)");
    VT_REQUIRE(ingest == 0, "webhook-ingest did not stop cleanly (see build/test-logs/webhook-ingest.log)");
    VT_REQUIRE(dashboard == 0, "dashboard-api did not stop cleanly (see build/test-logs/dashboard-api.log)");
    VT_REQUIRE(tools == 0, "tool-router did not stop cleanly (see build/test-logs/tool-router.log)");
}

void vt_create_org(PGconn *admin, const char *name, const char *assistant_id, const char *phone_number_id, const char *phone_number,
                   char org_id[37])
{
    vt_uuid(org_id);
    const char *p[2] = {org_id, name};
    vt_sql_exec(admin, "INSERT INTO organizations (id, name) VALUES ($1, $2)", 2, p);
    if (assistant_id != NULL || phone_number_id != NULL || phone_number != NULL) {
        const char *a[4] = {org_id, assistant_id, phone_number_id, phone_number};
        vt_sql_exec(admin,
                    "INSERT INTO agents (org_id, vapi_assistant_id, vapi_phone_number_id, phone_number) "
                    "VALUES ($1, $2, $3, $4)",
                    4, a);
    }
}

char *vt_vapi_report(const char *call_id, const char *assistant_id)
{
    char *raw = vt_read_file("tests/fixtures/vapi/end-of-call-report.json", NULL);
    cJSON *root = cJSON_Parse(raw);
    free(raw);
    VT_REQUIRE(root != NULL, "the end-of-call-report fixture is not JSON");
    cJSON *call = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "message"), "call");
    cJSON_ReplaceItemInObject(call, "id", cJSON_CreateString(call_id));
    cJSON_ReplaceItemInObject(call, "assistantId", cJSON_CreateString(assistant_id));
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

char *vt_token(const vt_suite *s, const char *org_id, long ttl_s)
{
    return vt_token_as(s, org_id, "owner", ttl_s);
}

char *vt_token_as(const vt_suite *s, const char *org_id, const char *role, long ttl_s)
{
    int64_t now = vx_now_ms() / 1000;
    vx_jwt_grant g = {.org_id = org_id, .user_id = "user-1", .role = role, .iat = now, .exp = now + ttl_s};
    if (ttl_s <= 0)
        g.iat = now - 3600;
    return vx_jwt_sign(s->jwt_secret, &g);
}

void vt_hmac_sign(const vt_suite *s, const char *body, size_t body_len, int64_t ts, vt_hmac_headers *h)
{
    VT_REQUIRE(s->hmac_secret[0] != '\0', "the suite has no HMAC key (start it with vapi_auth = VT_VAPI_HMAC)");
    char stamp[24];
    snprintf(stamp, sizeof(stamp), "%lld", (long long)ts);
    size_t stamp_len = strlen(stamp), len = stamp_len + 1 + body_len;
    char *payload = malloc(len);
    VT_REQUIRE(payload != NULL, "out of memory");
    memcpy(payload, stamp, stamp_len);
    payload[stamp_len] = '.';
    if (body_len > 0)
        memcpy(payload + stamp_len + 1, body, body_len);
    uint8_t mac[VX_SHA256_LEN];
    char hex[2 * VX_SHA256_LEN + 1];
    vx_hmac_sha256(s->hmac_secret, strlen(s->hmac_secret), payload, len, mac);
    free(payload);
    vx_hex_encode(mac, sizeof(mac), hex);
    snprintf(h->signature, sizeof(h->signature), "x-signature: %s", hex);
    snprintf(h->timestamp, sizeof(h->timestamp), "x-timestamp: %s", stamp);
    h->list[0] = h->signature;
    h->list[1] = h->timestamp;
    h->list[2] = NULL;
}

vt_response vt_operator_get(const vt_suite *s, const char *path, bool as_operator)
{
    char url[256], auth[128];
    snprintf(url, sizeof(url), "%s%s", s->base_url, path);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->metrics_token);
    const char *const headers[] = {auth, NULL};
    return vt_http("GET", url, as_operator ? headers : NULL, NULL, 0);
}

void vt_pack_gateway_request(const char *route, const char *path_tool, const char *body, bool vapi, int64_t deadline_ms,
                             uint8_t **buf, size_t *len)
{
    Voxanne__V1__GatewayRequest req = VOXANNE__V1__GATEWAY_REQUEST__INIT;
    Voxanne__V1__AuthContext auth = VOXANNE__V1__AUTH_CONTEXT__INIT;
    Voxanne__V1__KeyValue param = VOXANNE__V1__KEY_VALUE__INIT;
    Voxanne__V1__KeyValue *params[1] = {&param};
    req.request_id = "vt-request";
    req.route = (char *)route;
    req.method = "POST";
    auth.vapi = vapi;
    req.auth = &auth;
    if (path_tool != NULL) {
        param.key = "tool";
        param.value = (char *)path_tool;
        req.path_params = params;
        req.n_path_params = 1;
    }
    req.body.data = (uint8_t *)body;
    req.body.len = strlen(body);
    /* As the gateway: a deadline its timeout ahead (services refuse none),
     * and a nonce of its own (identical envelopes would be replays). */
    req.deadline_unix_ms = deadline_ms != 0 ? deadline_ms : vx_now_ms() + 10000;
    uint8_t nonce[16];
    vx_random_bytes(nonce, sizeof(nonce));
    req.nonce.data = nonce;
    req.nonce.len = sizeof(nonce);
    *len = voxanne__v1__gateway_request__get_packed_size(&req);
    *buf = malloc(*len > 0 ? *len : 1);
    VT_REQUIRE(*buf != NULL, "out of memory");
    voxanne__v1__gateway_request__pack(&req, *buf);
}

Voxanne__V1__GatewayResponse *vt_gateway_call(natsConnection *nc, const char *subject, const uint8_t *buf, size_t len)
{
    natsMsg *reply = NULL;
    natsMsg *request = vt_signed_msg(subject, NULL, buf, len);
    natsStatus s = natsConnection_RequestMsg(&reply, nc, request, 10000);
    natsMsg_Destroy(request);
    VT_REQUIRE(s == NATS_OK, "the service did not answer");
    Voxanne__V1__GatewayResponse *resp =
        voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
    VT_REQUIRE(resp != NULL, "not a GatewayResponse");
    return resp;
}

static bool answers_ok(void *url)
{
    vt_response r = vt_http("GET", url, NULL, NULL, 0);
    bool ok = r.status == 200;
    vt_response_free(&r);
    return ok;
}

bool vt_wait_http_ok(const char *url, int timeout_ms)
{
    return vt_wait_for(answers_ok, (void *)url, timeout_ms);
}

void vt_http_post_expect(const char *url, const char *body, long status)
{
    vt_response r = vt_http("POST", url, NULL, body, strlen(body));
    long got = r.status;
    vt_response_free(&r);
    VT_REQUIRE(got == status, "unexpected HTTP status");
}

void vt_fake_post(const char *base, const char *path, const char *body)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", base, path);
    vt_response r = vt_http("POST", url, NULL, body, strlen(body));
    long got = r.status;
    vt_response_free(&r);
    VT_REQUIRE(got >= 200 && got < 300, "a fake refused a control request");
}

cJSON *vt_fake_get_json(const char *base, const char *path)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", base, path);
    vt_response r = vt_http("GET", url, NULL, NULL, 0);
    cJSON *doc = r.status == 200 ? cJSON_Parse(r.body) : NULL;
    vt_response_free(&r);
    VT_REQUIRE(doc != NULL, "a fake's control endpoint gave no JSON");
    return doc;
}

pid_t vt_start_service(natsConnection *nc, const char *program, const char *service, const char *log_name,
                       const char *const *extra_env)
{
    pid_t pid = vt_spawn(program, log_name, extra_env);
    VT_REQUIRE(vt_wait_service_healthy(nc, service, 10000), "the service did not start (see build/test-logs/)");
    return pid;
}

void vt_sleep_ms(int ms)
{
    sleep_ms(ms);
}

void vt_random_e164(char out[16])
{
    uint8_t r[10];
    vx_random_bytes(r, sizeof(r));
    out[0] = '+';
    out[1] = '1';
    for (size_t i = 0; i < sizeof(r); i++)
        out[2 + i] = (char)('0' + r[i] % 10);
    out[12] = '\0';
}

/* The whole of a (temporary) file, from its start, malloc'd and NUL-terminated. */
static char *slurp(FILE *f)
{
    fflush(f);
    rewind(f);
    grow g = {NULL, 0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        on_body(chunk, 1, got, &g);
    return g.data != NULL ? g.data : strdup("");
}

vt_run_result vt_run(const char *path, const char *const *args, const char *const *env)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = path;
    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        VT_REQUIRE(n < 63, "too many arguments");
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    FILE *out = tmpfile(), *err = tmpfile();
    VT_REQUIRE(out != NULL && err != NULL, "tmpfile failed");
    fflush(NULL);
    pid_t pid = fork();
    VT_REQUIRE(pid >= 0, "fork failed");
    if (pid == 0) {
        for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
            const char *eq = strchr(env[i], '=');
            if (eq == NULL) {
                unsetenv(env[i]);
            } else {
                char name[256];
                snprintf(name, sizeof(name), "%.*s", (int)(eq - env[i]), env[i]);
                setenv(name, eq + 1, 1);
            }
        }
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0) {
            dup2(in, STDIN_FILENO);
            close(in);
        }
        dup2(fileno(out), STDOUT_FILENO);
        dup2(fileno(err), STDERR_FILENO);
        execv(path, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    int wstatus = 0;
    VT_REQUIRE(waitpid(pid, &wstatus, 0) == pid, "waitpid failed");
    vt_run_result r;
    r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    r.out = slurp(out);
    r.err = slurp(err);
    fclose(out);
    fclose(err);
    return r;
}

void vt_run_free(vt_run_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

void vt_run_show(const char *what, const vt_run_result *r)
{
    fprintf(stderr, "%s: exit %d\n--- stdout\n%s--- stderr\n%s---\n", what, r->status, r->out, r->err);
}

PGconn *vt_app(void)
{
    PGconn *conn = PQconnectdb(vt_env("DATABASE_URL"));
    VT_REQUIRE(PQstatus(conn) == CONNECTION_OK, PQerrorMessage(conn));
    return conn;
}

void vt_begin_as(PGconn *conn, const char *org_id)
{
    vt_sql_exec(conn, "BEGIN", 0, NULL);
    const char *p[1] = {org_id};
    vt_sql_exec(conn,
                "SELECT set_config('request.jwt.claims', "
                "json_build_object('role', 'authenticated', 'app_metadata', json_build_object('org_id', $1::text))::text, true)",
                1, p);
}

void vt_sql_sqlstate(PGconn *conn, const char *sql, int nparams, const char *const *params, char sqlstate[6])
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    snprintf(sqlstate, 6, "%s", st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || state == NULL ? "" : state);
    PQclear(res);
}

bool vt_service_health_is(natsConnection *nc, const char *service, bool want)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "rpc.%s.health", service);
    natsMsg *m = NULL;
    bool match = false;
    if (natsConnection_RequestString(&m, nc, subject, "", 5000) == NATS_OK && !natsMsg_IsNoResponders(m)) {
        Voxanne__V1__HealthReply *h =
            voxanne__v1__health_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
        match = h != NULL && h->ok == want && strcmp(h->service, service) == 0;
        if (h != NULL)
            voxanne__v1__health_reply__free_unpacked(h, NULL);
    }
    natsMsg_Destroy(m);
    return match;
}

void vt_js_publish(jsCtx *js, const char *subject, const void *data, size_t len)
{
    char msg_id[37];
    vt_uuid(msg_id);
    natsMsg *m = NULL;
    VT_REQUIRE(natsMsg_Create(&m, subject, NULL, data, (int)len) == NATS_OK, "natsMsg_Create failed");
    VT_REQUIRE(natsMsgHeader_Set(m, "Nats-Msg-Id", msg_id) == NATS_OK, "natsMsgHeader_Set failed");
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    VT_REQUIRE(js_PublishMsg(&pa, js, m, NULL, &jerr) == NATS_OK, "js_PublishMsg failed (no PubAck)");
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
}

void vt_publish_vapi_event(jsCtx *js, const char *type, const char *call_id, const char *raw, size_t raw_len)
{
    char request_id[37], subject[128];
    vt_uuid(request_id);
    Voxanne__V1__VapiMessageEvent ev = VOXANNE__V1__VAPI_MESSAGE_EVENT__INIT;
    ev.request_id = request_id;
    ev.type = (char *)type;
    ev.call_id = (char *)(call_id != NULL ? call_id : "");
    ev.raw_json.data = (uint8_t *)raw;
    ev.raw_json.len = raw_len;
    ev.received_at_ms = vx_now_ms();
    size_t len = voxanne__v1__vapi_message_event__get_packed_size(&ev);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    VT_REQUIRE(buf != NULL, "out of memory");
    voxanne__v1__vapi_message_event__pack(&ev, buf);
    snprintf(subject, sizeof(subject), VX_SUBJECT_VAPI_PREFIX "%s", type);
    vt_js_publish(js, subject, buf, len);
    free(buf);
}

typedef struct consumer_ref {
    jsCtx *js;
    const char *stream, *consumer;
    bool drained; /* wait for nothing pending, nothing unacknowledged; else only for it to exist */
} consumer_ref;

static bool consumer_state(void *arg)
{
    consumer_ref *c = arg;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    if (js_GetConsumerInfo(&ci, c->js, c->stream, c->consumer, NULL, &jerr) != NATS_OK)
        return false;
    bool ok = !c->drained || (ci->NumPending == 0 && ci->NumAckPending == 0);
    jsConsumerInfo_Destroy(ci);
    return ok;
}

bool vt_wait_consumer(jsCtx *js, const char *stream, const char *consumer, int timeout_ms)
{
    consumer_ref c = {js, stream, consumer, false};
    return vt_wait_for(consumer_state, &c, timeout_ms);
}

bool vt_wait_consumer_drained(jsCtx *js, const char *stream, const char *consumer, int timeout_ms)
{
    consumer_ref c = {js, stream, consumer, true};
    return vt_wait_for(consumer_state, &c, timeout_ms);
}
