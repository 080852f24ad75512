/*
 * End to end: what a request costs the gateway before it is authenticated.
 *
 * Raw sockets, so a test controls exactly what reaches the gateway and when:
 * a head without its body, a body that never ends, connections that say
 * nothing. Judged on what the gateway answers (and when it answers before
 * the body was sent: it did not wait for it) and on its memory as the kernel
 * counts it (/proc/<pid>/status VmRSS, VmHWM). No assertion on time: the
 * timeouts below only keep a broken gateway from hanging the test.
 *
 * Memory under sanitizers: ASan and TSan add shadow memory and keep freed
 * blocks in quarantine, so the gateway starts far above 64 MiB there. The
 * flood test then bounds the growth (VmHWM after the flood minus VmRSS
 * before it) instead of the absolute figure, by twice as much: h2o's input
 * buffers grow by doubling towards the largest route body (10 MiB since
 * knowledge-base uploads), and TSan's allocator holds on to what they
 * touched — with a 7 MiB limit the growth was ~40 MiB, with 10 MiB ~80 MiB,
 * while the release build stays under the absolute 64 MiB. What it guards
 * against — a body buffered per unauthenticated connection, 1,000 x 4 MiB —
 * would still exceed it by far.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "vt.h"
#include "vx_buf.h"
#include "vx_routes.h"
#include "vx_time.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

#define MIB                    (1024L * 1024)
#define SUITE_LIMIT            262144 /* GATEWAY_MAX_BODY_BYTES of vt_suite_start */
#define GUARD_MS               10000  /* how long a socket read waits before the test gives up */
#define FLOOD_CONNS            1000
#define FLOOD_BODY             (4 * MIB)
#define FLOOD_CHUNK            65536
#define MEMORY_BOUND           (64 * MIB)
#define SANITIZER_GROWTH_BOUND (2 * MEMORY_BOUND)

static vt_suite suite;

static const char *const WITH_SECRET[] = {"x-vapi-secret: test-vapi-secret", NULL};
static const char TOOL_CALL[] = "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[{\"id\":\"call_1\",\"type\":\"function\","
                                "\"function\":{\"name\":\"lookupCaller\",\"arguments\":{\"searchKey\":\"+15551234567\"}}}]}}";

/* ---- the gateway's memory ---- */

typedef struct memory {
    long rss, hwm; /* bytes */
} memory;

static memory memory_of(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    VT_REQUIRE(f != NULL, "cannot read the gateway's /proc status");
    memory m = {0, 0};
    long kb;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            m.rss = kb * 1024;
        else if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            m.hwm = kb * 1024;
    }
    fclose(f);
    return m;
}

/* ---- raw HTTP ---- */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    VT_REQUIRE(fd >= 0, "socket failed");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    VT_REQUIRE(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "cannot connect to the gateway");
    struct timeval guard = {GUARD_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof(guard));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &guard, sizeof(guard));
    return fd;
}

static void send_text(int fd, const char *s)
{
    size_t len = strlen(s), done = 0;
    while (done < len) {
        ssize_t n = send(fd, s + done, len - done, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* the gateway may have answered and closed already */
        done += (size_t)n;
    }
}

/* What the gateway sent until it closed (or the guard passed): '\0'-terminated. */
typedef struct answer {
    long status; /* 0: nothing came */
    char *text;
    bool closed; /* it closed the connection (EOF or reset), rather than the guard passing */
} answer;

static answer read_answer(int fd)
{
    answer a = {0, NULL, false};
    size_t len = 0, cap = 4096;
    a.text = malloc(cap);
    for (;;) {
        if (len + 1 == cap)
            a.text = realloc(a.text, cap *= 2);
        ssize_t n = recv(fd, a.text + len, cap - len - 1, 0);
        if (n > 0) {
            len += (size_t)n;
            continue;
        }
        a.closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        break;
    }
    a.text[len] = '\0';
    sscanf(a.text, "HTTP/1.%*d %ld", &a.status);
    return a;
}

/* Fails unless the answer has status and a JSON {"error", "code"} body with code. */
static void expect_json_error(const answer *a, long status, const char *code)
{
    assert_int_equal(a->status, status);
    const char *body = strstr(a->text, "\r\n\r\n");
    assert_non_null(body);
    cJSON *json = cJSON_Parse(body + 4);
    assert_non_null(json);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(json, "error")));
    assert_string_equal(cJSON_GetObjectItem(json, "code")->valuestring, code);
    cJSON_Delete(json);
}

/* Reads one answer of a kept-alive connection: its head, then Content-Length
 * bytes of body. Returns its status (0: none). */
static long read_one_answer(int fd, char *out, size_t cap)
{
    size_t len = 0;
    const char *end = NULL;
    size_t want = SIZE_MAX;
    while (len < want && len + 1 < cap) {
        ssize_t n = recv(fd, out + len, cap - len - 1, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        out[len] = '\0';
        if (end == NULL && (end = strstr(out, "\r\n\r\n")) != NULL) {
            const char *cl = strcasestr(out, "content-length:");
            want = (size_t)(end + 4 - out) + (cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0);
        }
    }
    out[len] = '\0';
    long status = 0;
    sscanf(out, "HTTP/1.%*d %ld", &status);
    return status;
}

/* Sends only a request head and reads the answer: one that comes was given
 * without the body (none is ever sent). */
static answer head_only(int port, const char *head)
{
    int fd = connect_to(port);
    send_text(fd, head);
    answer a = read_answer(fd);
    close(fd);
    return a;
}

/* ---- fixtures ---- */

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    vt_suite_start(&suite);
    return 0;
}

static pid_t small_gateway_pid; /* stopped by teardown too when a test failed before it */

static int teardown(void **state)
{
    if (small_gateway_pid > 0)
        vt_stop(small_gateway_pid, SIGTERM, 5000);
    vt_suite_stop(&suite);
    return 0;
}

static long legit_tool_call(void)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/api/vapi/webhook", suite.base_url);
    vt_response r = vt_http("POST", url, WITH_SECRET, TOOL_CALL, strlen(TOOL_CALL));
    long status = r.status;
    if (status == 200)
        assert_non_null(strstr(r.body, "\"results\""));
    vt_response_free(&r);
    return status;
}

/* ---- refused on the head ---- */

static void test_oversized_content_length_is_refused_before_the_body(void **state)
{
    /* Over the limit (256 KiB), with and without credentials: the size comes first. */
    const char *heads[] = {
        "POST /api/vapi/webhook HTTP/1.1\r\nHost: t\r\nx-vapi-secret: test-vapi-secret\r\nContent-Type: application/json\r\n"
        "Content-Length: 300000\r\n\r\n",
        "POST /api/vapi/webhook HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n\r\n",
        "POST /api/vapi/tools/lookupCaller HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        answer a = head_only(suite.port, heads[i]);
        expect_json_error(&a, 413, "body_too_large");
        assert_non_null(strcasestr(a.text, "connection: close"));
        assert_non_null(strcasestr(a.text, "x-request-id: "));
        assert_true(a.closed);
        free(a.text);
    }
}

/* A route with its own limit (the contacts import: 10,000 rows with notes)
 * takes a body every other route refuses, and still has a limit. */
static void test_a_route_may_take_a_larger_body(void **state)
{
    PGconn *admin = vt_admin();
    char org[37];
    vt_create_org(admin, "Limits import", NULL, NULL, NULL, org);
    PQfinish(admin);
    char *token = vt_token(&suite, org, 600);
    vx_buf csv = VX_BUF_INIT;
    /* Long notes: few rows, so the import itself is quick even under ASan. */
    char notes[241];
    memset(notes, 'n', sizeof notes - 1);
    notes[sizeof notes - 1] = '\0';
    vx_buf_puts(&csv, "first_name,phone,notes\n");
    for (int i = 0; csv.len <= SUITE_LIMIT + 50000; i++)
        vx_buf_printf(&csv, "Caller%05d,+1555%07d,%s\n", i, i, notes);
    char url[128], auth[1024];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = {auth, "Content-Type: text/csv", NULL};
    snprintf(url, sizeof url, "%s/api/contacts/import", suite.base_url);
    vt_response r = vt_http("POST", url, headers, csv.data, csv.len);
    if (r.status != 200)
        fail_msg("import of %zu bytes: %ld %s", csv.len, r.status, r.body);
    assert_non_null(strstr(r.body, "\"imported\""));
    vt_response_free(&r);
    snprintf(url, sizeof url, "%s/api/contacts", suite.base_url);
    r = vt_http("POST", url, headers, csv.data, csv.len);
    assert_int_equal(r.status, 413);
    vt_response_free(&r);
    char head[1400];
    snprintf(head, sizeof head, "POST /api/contacts/import HTTP/1.1\r\nHost: t\r\n%s\r\nContent-Length: %zu\r\n\r\n", auth,
             VX_ROUTE_BODY_MAX + 1);
    answer a = head_only(suite.port, head);
    expect_json_error(&a, 413, "body_too_large");
    free(a.text);
    vx_buf_free(&csv);
    free(token);
}

static void test_missing_credentials_are_refused_before_the_body(void **state)
{
    const char *heads[] = {
        /* no credentials, a body under the limit */
        "POST /api/vapi/webhook HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n",
        /* a chunked body: its size is unknown, the credentials are not */
        "POST /api/vapi/webhook HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        /* the wrong secret, and a wrong bearer */
        "POST /api/vapi/tools/lookupCaller HTTP/1.1\r\nHost: t\r\nx-vapi-secret: nope\r\nContent-Length: 10\r\n\r\n",
        "POST /api/vapi/webhook HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer nope\r\nContent-Length: 10\r\n\r\n",
        /* a dashboard route with a token that is not one */
        "GET /api/calls HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer a.b.c\r\nContent-Length: 10\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        answer a = head_only(suite.port, heads[i]);
        expect_json_error(&a, 401, "unauthorized");
        assert_true(a.closed);
        free(a.text);
    }
    /* No route at all: 404 before any body. */
    answer a = head_only(suite.port, "POST /nowhere HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n");
    expect_json_error(&a, 404, "not_found");
    free(a.text);
    /* A head that is not HTTP. */
    a = head_only(suite.port, "HELLO\r\n\r\n");
    expect_json_error(&a, 400, "bad_request");
    free(a.text);
}

/* A chunked body that does not stop, from a caller with the right secret:
 * h2o reads it up to the limit and no further, and answers in JSON. Its
 * size is unknown at its head, so the limit h2o holds it to is the largest
 * any route takes (VX_ROUTE_BODY_MAX: the contacts import). */
static void test_chunked_body_over_the_limit_is_413_json(void **state)
{
    int fd = connect_to(suite.port);
    send_text(fd, "POST /api/vapi/webhook HTTP/1.1\r\nHost: t\r\nx-vapi-secret: test-vapi-secret\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n");
    static char frame[16 + FLOOD_CHUNK + 2];
    int head = snprintf(frame, sizeof(frame), "%x\r\n", FLOOD_CHUNK);
    memset(frame + head, 'a', FLOOD_CHUNK);
    memcpy(frame + head + FLOOD_CHUNK, "\r\n", 2);
    size_t frame_len = (size_t)head + FLOOD_CHUNK + 2;
    /* Twice the limit, never the last chunk. */
    for (size_t sent = 0; sent < 2 * VX_ROUTE_BODY_MAX; sent += FLOOD_CHUNK)
        if (send(fd, frame, frame_len, MSG_NOSIGNAL) != (ssize_t)frame_len)
            break; /* answered and closed: fine */
    answer a = read_answer(fd);
    close(fd);
    expect_json_error(&a, 413, "body_too_large");
    assert_true(a.closed);
    free(a.text);
}

/* An anonymous caller gets one answer per connection (the next request on it
 * would reach h2o without a check of its head); an authenticated one keeps
 * its connection. */
static void test_only_authenticated_connections_are_kept_alive(void **state)
{
    int fd = connect_to(suite.port);
    send_text(fd, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
    answer a = read_answer(fd);
    close(fd);
    assert_int_equal(a.status, 200);
    assert_non_null(strcasestr(a.text, "connection: close"));
    assert_true(a.closed);
    free(a.text);

    fd = connect_to(suite.port);
    char request[1024];
    snprintf(request, sizeof(request),
             "POST /api/vapi/webhook HTTP/1.1\r\nHost: t\r\nx-vapi-secret: test-vapi-secret\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(TOOL_CALL), TOOL_CALL);
    for (int i = 0; i < 2; i++) {
        send_text(fd, request);
        char buf[16384];
        assert_int_equal(read_one_answer(fd, buf, sizeof(buf)), 200);
        assert_non_null(strcasestr(buf, "connection: keep-alive"));
    }
    close(fd);
}

/* ---- the flood: 1,000 unauthenticated 4 MiB bodies at once ---- */

typedef struct flood_conn {
    int fd;
    bool chunked;
    size_t out;     /* bytes of the request sent so far */
    bool send_done; /* all sent, or the gateway stopped taking it */
    char in[512];   /* the start of the answer */
    size_t in_len;
    bool read_done; /* the gateway closed its side (or reset the connection) */
    bool closed;    /* both done: the socket is closed */
} flood_conn;

static char flood_data[16 + FLOOD_CHUNK + 2]; /* a chunk frame; its payload is also the plain body's */
static size_t flood_frame_len, flood_frame_head;

static const char FLOOD_HEAD_LENGTH[] = "POST /api/vapi/webhook HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                        "Content-Length: 4194304\r\n\r\n";
static const char FLOOD_HEAD_CHUNKED[] = "POST /api/vapi/webhook HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                         "Transfer-Encoding: chunked\r\n\r\n";

/* The request as one stream: the next bytes to send at c->out (0: all sent). */
static size_t flood_next(const flood_conn *c, const char **p)
{
    const char *head = c->chunked ? FLOOD_HEAD_CHUNKED : FLOOD_HEAD_LENGTH;
    size_t head_len = strlen(head);
    if (c->out < head_len) {
        *p = head + c->out;
        return head_len - c->out;
    }
    size_t at = c->out - head_len;
    if (!c->chunked) {
        if (at >= (size_t)FLOOD_BODY)
            return 0;
        *p = flood_data + flood_frame_head + at % FLOOD_CHUNK;
        size_t n = FLOOD_CHUNK - at % FLOOD_CHUNK;
        return n < FLOOD_BODY - at ? n : FLOOD_BODY - at;
    }
    size_t frames = FLOOD_BODY / FLOOD_CHUNK, body_len = frames * flood_frame_len;
    if (at < body_len) {
        *p = flood_data + at % flood_frame_len;
        return flood_frame_len - at % flood_frame_len;
    }
    static const char last[] = "0\r\n\r\n";
    if (at - body_len >= sizeof(last) - 1)
        return 0;
    *p = last + (at - body_len);
    return sizeof(last) - 1 - (at - body_len);
}

static atomic_bool flood_started;

static void *legit_during_flood(void *arg)
{
    long *status = arg;
    while (!atomic_load(&flood_started))
        vt_sleep_ms(5);
    *status = legit_tool_call();
    return NULL;
}

static void test_flood_of_unauthenticated_bodies_keeps_memory_bounded(void **state)
{
    flood_frame_head = (size_t)snprintf(flood_data, sizeof(flood_data), "%x\r\n", FLOOD_CHUNK);
    memset(flood_data + flood_frame_head, 'a', FLOOD_CHUNK);
    memcpy(flood_data + flood_frame_head + FLOOD_CHUNK, "\r\n", 2);
    flood_frame_len = flood_frame_head + FLOOD_CHUNK + 2;

    memory before = memory_of(suite.gateway);
    long during_status = 0;
    pthread_t legit;
    atomic_store(&flood_started, false);
    pthread_create(&legit, NULL, legit_during_flood, &during_status);

    flood_conn *conns = calloc(FLOOD_CONNS, sizeof(*conns));
    struct pollfd *fds = calloc(FLOOD_CONNS, sizeof(*fds));
    for (int i = 0; i < FLOOD_CONNS; i++) {
        conns[i].fd = connect_to(suite.port);
        fcntl(conns[i].fd, F_SETFL, fcntl(conns[i].fd, F_GETFL) | O_NONBLOCK);
        conns[i].chunked = i % 2 == 1;
    }
    atomic_store(&flood_started, true);

    long peak_rss = before.rss;
    int64_t give_up = vx_monotonic_us() + 60LL * 1000 * 1000; /* a guard, not a measure */
    int open = FLOOD_CONNS;
    while (open > 0 && vx_monotonic_us() < give_up) {
        for (int i = 0; i < FLOOD_CONNS; i++) {
            fds[i].fd = conns[i].closed ? -1 : conns[i].fd;
            fds[i].events = (short)((conns[i].read_done ? 0 : POLLIN) | (conns[i].send_done ? 0 : POLLOUT));
            fds[i].revents = 0;
        }
        if (poll(fds, FLOOD_CONNS, 100) < 0)
            continue;
        for (int i = 0; i < FLOOD_CONNS; i++) {
            flood_conn *c = &conns[i];
            if (c->closed)
                continue;
            if ((fds[i].revents & POLLOUT) && !c->send_done) {
                const char *p;
                size_t len = flood_next(c, &p);
                ssize_t n = len > 0 ? send(c->fd, p, len, MSG_NOSIGNAL) : 0;
                if (n > 0)
                    c->out += (size_t)n;
                else if (len == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                    c->send_done = true; /* everything sent, or the gateway took no more */
            }
            if (!c->read_done && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                char buf[65536];
                ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
                if (n > 0) {
                    size_t keep = sizeof(c->in) - 1 - c->in_len;
                    keep = (size_t)n < keep ? (size_t)n : keep;
                    memcpy(c->in + c->in_len, buf, keep);
                    c->in_len += keep;
                } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    c->read_done = true;
                }
            }
            /* Like an attacker, go on sending after the answer, until the
             * gateway closes for good (a reset) or the 4 MiB are sent. */
            if (c->read_done && c->send_done) {
                c->closed = true;
                close(c->fd);
                open--;
            }
        }
        memory now = memory_of(suite.gateway);
        if (now.rss > peak_rss)
            peak_rss = now.rss;
    }
    pthread_join(legit, NULL);
    memory after = memory_of(suite.gateway);

    int refused_413 = 0, refused_401 = 0, other = 0, silent = 0;
    size_t sent_total = 0;
    for (int i = 0; i < FLOOD_CONNS; i++) {
        flood_conn *c = &conns[i];
        if (!c->closed)
            close(c->fd);
        sent_total += c->out;
        c->in[c->in_len] = '\0';
        long status = 0;
        sscanf(c->in, "HTTP/1.%*d %ld", &status);
        if (status == 0)
            silent++;
        else if (status == 413 && !c->chunked && strstr(c->in, "body_too_large") != NULL)
            refused_413++;
        else if (status == 401 && c->chunked)
            refused_401++;
        else
            other++;
    }
    printf("flood: %d connections (half Content-Length: 4194304, half chunked), %.1f MiB sent in all\n", FLOOD_CONNS,
           (double)sent_total / MIB);
    printf("flood: answers: %d x 413 (Content-Length), %d x 401 (chunked), %d other, %d none (reset)\n", refused_413, refused_401,
           other, silent);
    printf("flood: gateway VmRSS before %.1f MiB, peak sampled %.1f MiB, after %.1f MiB; VmHWM %.1f MiB%s\n",
           (double)before.rss / MIB, (double)peak_rss / MIB, (double)after.rss / MIB, (double)after.hwm / MIB,
           UNDER_SANITIZER ? " (sanitizer build: growth is bounded instead)" : "");
    printf("flood: legitimate request during the flood: %ld\n", during_status);
    free(conns);
    free(fds);

    assert_int_equal(open, 0); /* the gateway closed every connection */
    assert_int_equal(during_status, 200);
    assert_int_equal(legit_tool_call(), 200);
    assert_int_equal(other, 0);
    if (UNDER_SANITIZER)
        assert_true(after.hwm - before.rss < SANITIZER_GROWTH_BOUND);
    else
        assert_true(after.hwm < MEMORY_BOUND);
    assert_true(vt_alive(suite.gateway));
}

/* ---- a gateway of its own, with small limits ---- */

typedef struct small_gateway {
    pid_t pid;
    int port;
} small_gateway;

/* 8 connections, 500 ms for a head, bodies of 64 KiB, 128 KiB of bodies
 * before their credentials are known; Vapi must sign (HMAC). */
static small_gateway small_gateway_start(void)
{
    small_gateway g;
    g.port = vt_free_port();
    static char port_env[32];
    snprintf(port_env, sizeof(port_env), "GATEWAY_PORT=%d", g.port);
    const char *env[] = {port_env,
                         "VAPI_WEBHOOK_HMAC_SECRET=limits-hmac-secret",
                         "VAPI_WEBHOOK_SECRET=",
                         "GATEWAY_THREADS=2",
                         "GATEWAY_MAX_CONNECTIONS=8",
                         "GATEWAY_HEAD_TIMEOUT_MS=500",
                         "GATEWAY_MAX_BODY_BYTES=65536",
                         "GATEWAY_UNVERIFIED_BODY_BYTES=131072",
                         NULL};
    g.pid = small_gateway_pid = vt_spawn("gateway", "gateway-limits", env);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", g.port);
    VT_REQUIRE(vt_wait_http_ok(url, 20000), "the small gateway did not start (see build/test-logs/gateway-limits.log)");
    return g;
}

static void small_gateway_stop(small_gateway *g)
{
    small_gateway_pid = 0;
    assert_int_equal(vt_stop(g->pid, SIGTERM, 5000), 0);
}

/* Nine connections that say nothing: the ninth is over the cap and told so
 * at once; the eight others are closed, without a word, when their head
 * does not come in time. Then the gateway takes connections again. */
static void test_connection_cap_and_head_timeout(void **state)
{
    small_gateway g = small_gateway_start();
    enum { N = 9 };
    int fds[N];
    for (int i = 0; i < N; i++)
        fds[i] = connect_to(g.port);
    int told = 0, timed_out = 0;
    for (int i = 0; i < N; i++) {
        answer a = read_answer(fds[i]);
        close(fds[i]);
        assert_true(a.closed);
        if (a.status == 503) {
            expect_json_error(&a, 503, "too_many_connections");
            told++;
        } else {
            assert_int_equal(a.text[0], '\0');
            timed_out++;
        }
        free(a.text);
    }
    assert_int_equal(told, 1);
    assert_int_equal(timed_out, 8);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", g.port);
    assert_true(vt_wait_http_ok(url, GUARD_MS));
    small_gateway_stop(&g);
}

/* With HMAC, the credentials are in a signature over the body: such bodies
 * are read only within GATEWAY_UNVERIFIED_BODY_BYTES (two of 64 KiB here);
 * a third is refused at once, and the two are then judged on their body. */
static void test_bodies_before_their_credentials_are_budgeted(void **state)
{
    small_gateway g = small_gateway_start();
    char head[512];
    snprintf(head, sizeof(head),
             "POST /api/vapi/webhook HTTP/1.1\r\nHost: t\r\nx-timestamp: %lld\r\n"
             "x-signature: 0000000000000000000000000000000000000000000000000000000000000000\r\n"
             "Content-Length: 65536\r\n\r\n",
             (long long)(vx_now_ms() / 1000));
    enum { N = 3 };
    int fds[N];
    struct pollfd pfds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = connect_to(g.port);
        send_text(fds[i], head);
        pfds[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    }
    /* Wait for the refusal before sending any body: the two admitted hold
     * their reservation until then. */
    int ready = poll(pfds, N, GUARD_MS);
    assert_int_equal(ready, 1);
    char *body = malloc(65536);
    memset(body, ' ', 65536);
    int busy = 0, unauthorized = 0;
    for (int i = 0; i < N; i++) {
        if (!(pfds[i].revents & POLLIN)) {
            size_t done = 0;
            while (done < 65536) {
                ssize_t n = send(fds[i], body + done, 65536 - done, MSG_NOSIGNAL);
                assert_true(n > 0);
                done += (size_t)n;
            }
        }
        answer a = read_answer(fds[i]);
        close(fds[i]);
        if (a.status == 503) {
            expect_json_error(&a, 503, "busy");
            busy++;
        } else {
            expect_json_error(&a, 401, "unauthorized");
            unauthorized++;
        }
        free(a.text);
    }
    free(body);
    assert_int_equal(busy, 1);
    assert_int_equal(unauthorized, 2);
    small_gateway_stop(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversized_content_length_is_refused_before_the_body),
        cmocka_unit_test(test_a_route_may_take_a_larger_body),
        cmocka_unit_test(test_missing_credentials_are_refused_before_the_body),
        cmocka_unit_test(test_chunked_body_over_the_limit_is_413_json),
        cmocka_unit_test(test_only_authenticated_connections_are_kept_alive),
        cmocka_unit_test(test_flood_of_unauthenticated_bodies_keeps_memory_bounded),
        cmocka_unit_test(test_connection_cap_and_head_timeout),
        cmocka_unit_test(test_bodies_before_their_credentials_are_budgeted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
