/*
 * test_natsloop: libcommon/vx_natsloop against a NATS server that reads
 * slowly — a minimal one in this file (INFO, CONNECT/PING → PONG, then it
 * counts PUBs), so the test decides when the socket drains.
 *
 * The bug this guards against: cnats closes its socket with SO_LINGER 0, a
 * reset that discards whatever the server has not read yet, and in
 * event-loop mode it never writes by itself, not even on close. Closing right
 * after the last flush dropped the last replies of a stopping worker when
 * nats-server was behind (seen as a flaky "stop loses no request" in
 * test_rpc_worker under ASan). Destroy now waits until the server has read
 * everything (vx_natsloop_sync: a message to ourselves comes back).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vx_buf.h"
#include "vx_log.h"
#include "vx_natsloop.h"

#define MESSAGES      200
#define PAYLOAD_BYTES (10 * 1024)

typedef struct slow_server {
    int listen_fd;
    int port;
    int pubs; /* PUBs on test.slow received */
} slow_server;

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Handles the complete protocol lines (and PUB payloads) at the front of in;
 * returns how many bytes it used. Enough of NATS for one client: PING →
 * PONG, one SUB remembered, a PUB on it echoed as MSG, PUBs counted. */
static size_t handle(slow_server *s, int fd, const char *in, size_t len, char sub[128], char sid[16])
{
    size_t used = 0;
    for (;;) {
        const char *line = in + used;
        const char *eol = memmem(line, len - used, "\r\n", 2);
        if (eol == NULL)
            return used;
        size_t line_len = (size_t)(eol - line);
        char subject[128] = "", a[128] = "", b[32] = "";
        if (strncmp(line, "PUB ", 4) == 0) {
            char head[300];
            snprintf(head, sizeof(head), "%.*s", (int)line_len, line);
            int fields = sscanf(head, "PUB %127s %127s %31s", subject, a, b);
            size_t size = strtoul(fields == 3 ? b : a, NULL, 10);
            if (len - used < line_len + 2 + size + 2)
                return used; /* the payload is not all here yet */
            used += line_len + 2 + size + 2;
            if (strcmp(subject, "test.slow") == 0)
                s->pubs++;
            if (sub[0] != '\0' && strcmp(subject, sub) == 0) {
                char msg[200];
                snprintf(msg, sizeof(msg), "MSG %s %s 0\r\n\r\n", sub, sid);
                send_all(fd, msg);
            }
            continue;
        }
        if (strncmp(line, "SUB ", 4) == 0) {
            char head[300];
            snprintf(head, sizeof(head), "%.*s", (int)line_len, line);
            sscanf(head, "SUB %127s %15s", sub, sid);
        } else if (strncmp(line, "PING", 4) == 0) {
            send_all(fd, "PONG\r\n");
        }
        used += line_len + 2;
    }
}

static void *serve(void *arg)
{
    slow_server *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    char info[256];
    snprintf(info, sizeof(info),
             "INFO {\"server_id\":\"slow\",\"version\":\"2.9.0\",\"go\":\"go1.19\",\"host\":\"127.0.0.1\",\"port\":%d,"
             "\"max_payload\":1048576,\"proto\":1}\r\n",
             s->port);
    send_all(fd, info);
    char sub[128] = "", sid[16] = "";
    vx_buf in = VX_BUF_INIT;
    char chunk[65536];
    bool paused = false;
    ssize_t n;
    while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0) {
        vx_buf_append(&in, chunk, (size_t)n);
        size_t used = handle(s, fd, in.data, in.len, sub, sid);
        memmove(in.data, in.data + used, in.len - used);
        in.len -= used;
        if (!paused && s->pubs == 0 && strstr(in.data != NULL ? in.data : "", "PUB ") == NULL && used > 0) {
            /* Connected (CONNECT/PING answered): now fall behind, so that
             * the client's output piles up in its socket. */
            struct timespec pause = {0, 300 * 1000000L};
            nanosleep(&pause, NULL);
            paused = true;
        }
    }
    vx_buf_free(&in);
    close(fd);
    return NULL;
}

static void test_destroy_writes_everything_published(void **state)
{
    slow_server s = {0};
    s.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096; /* inherited by the accepted socket: a small window */
    setsockopt(s.listen_fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s.listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    socklen_t alen = sizeof(addr);
    getsockname(s.listen_fd, (struct sockaddr *)&addr, &alen);
    s.port = ntohs(addr.sin_port);
    assert_int_equal(listen(s.listen_fd, 1), 0);
    pthread_t server;
    assert_int_equal(pthread_create(&server, NULL, serve, &s), 0);

    char url[64];
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", s.port);
    vx_natsloop *loop = vx_natsloop_connect(url, "test-natsloop");
    assert_non_null(loop);
    char *payload = malloc(PAYLOAD_BYTES);
    memset(payload, 'x', PAYLOAD_BYTES);
    for (int i = 0; i < MESSAGES; i++)
        assert_int_equal(natsConnection_Publish(vx_natsloop_connection(loop), "test.slow", payload, PAYLOAD_BYTES), NATS_OK);
    free(payload);
    vx_natsloop_flush(loop); /* one write: the server takes a fraction */
    vx_natsloop_destroy(loop);

    pthread_join(server, NULL);
    close(s.listen_fd);
    assert_int_equal(s.pubs, MESSAGES);
}

int main(void)
{
    vx_log_init("test_natsloop");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_destroy_writes_everything_published),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    nats_Close();
    return rc;
}
