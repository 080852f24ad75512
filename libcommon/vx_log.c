/*
 * vx_log: structured logging, one JSON object per line on stdout.
 *
 * Design: each call builds its whole line in a local vx_buf (no fixed-size
 * array, so nothing is ever truncated), then hands it to the kernel with one
 * write(2). A process-wide mutex is held only around that write, so lines
 * from several threads of one process never interleave even when a line is
 * longer than PIPE_BUF or the kernel accepts it in pieces (the loop then
 * finishes the line before anyone else writes).
 *
 * The minimum level and the service name are read without locking (an
 * atomic int and an atomic pointer), so the level filter costs one load and
 * a filtered-out debug line allocates nothing. vx_log_init is meant to be
 * called once from main; calling it again is safe: the previous service name
 * is kept (chained behind the new one, never freed) because another thread
 * may still be formatting a line with it.
 *
 * Every string — message, ids, keys and values — goes through
 * vx_buf_json_string, so quotes, newlines, control characters and invalid
 * UTF-8 cannot break the line or forge fields. The module cannot know which
 * values are secrets: callers must not pass them (see the header).
 */
#include "vx_log.h"

#include "vx_buf.h"
#include "vx_time.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A service name; older names stay reachable through prev. */
typedef struct vx_log_name {
    struct vx_log_name *prev;
    char name[];
} vx_log_name;

static atomic_int g_min_level = VX_LOG_INFO;
static _Atomic(vx_log_name *) g_service = NULL;
static pthread_mutex_t g_write_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const g_level_names[] = {"debug", "info", "warn", "error"};

/* Parses a LOG_LEVEL value (case-insensitive); returns -1 when unknown. */
static int log_parse_level(const char *s)
{
    for (int i = VX_LOG_DEBUG; i <= VX_LOG_ERROR; i++)
        if (strcasecmp(s, g_level_names[i]) == 0)
            return i;
    if (strcasecmp(s, "warning") == 0)
        return VX_LOG_WARN;
    return -1;
}

/* Sets the service name (copied) and the minimum level from LOG_LEVEL.
 * An unknown LOG_LEVEL keeps the default (info) and is reported once as a
 * warning line, so a typo in a manifest is visible rather than silent. */
void vx_log_init(const char *service)
{
    const char *name = service ? service : "unknown";
    size_t len = strlen(name);
    vx_log_name *n = malloc(sizeof *n + len + 1);
    if (n) {
        memcpy(n->name, name, len + 1);
        n->prev = atomic_load(&g_service);
        while (!atomic_compare_exchange_weak(&g_service, &n->prev, n))
            ;
    }
    const char *env = getenv("LOG_LEVEL");
    int level = VX_LOG_INFO;
    bool bad = false;
    if (env && env[0]) {
        int parsed = log_parse_level(env);
        if (parsed < 0)
            bad = true;
        else
            level = parsed;
    }
    atomic_store(&g_min_level, level);
    if (bad)
        vx_log_warn(NULL, NULL, "unknown LOG_LEVEL, using info", "log_level", env);
}

/* Writes all of line to stdout under the write lock, retrying on EINTR and
 * short writes. A line that cannot be written (closed or full non-blocking
 * stdout) is dropped: logging must never take a service down. */
static void log_write(const char *line, size_t len)
{
    pthread_mutex_lock(&g_write_lock);
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, line, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        line += n;
        len -= (size_t)n;
    }
    pthread_mutex_unlock(&g_write_lock);
}

static void log_field(vx_buf *b, const char *key, const char *value)
{
    vx_buf_putc(b, ',');
    vx_buf_json_string(b, key, strlen(key));
    vx_buf_putc(b, ':');
    if (value)
        vx_buf_json_string(b, value, strlen(value));
    else
        vx_buf_puts(b, "null");
}

const char vx_log_end[] = "";

/*
 * Logs msg at level with the standard fields, then the extra key/value
 * pairs up to the vx_log_end marker (compared by address). A NULL value is
 * written as null. A NULL key also ends the list (a caller that still ends
 * it the old way), and so does the marker in a value's place: an odd-length
 * list (a key whose value was forgotten) stops there instead of reading past it.
 */
void vx_log(vx_log_level level, const char *request_id, const char *org_id, const char *msg, ...)
{
    if ((int)level < VX_LOG_DEBUG)
        level = VX_LOG_DEBUG;
    if ((int)level > VX_LOG_ERROR)
        level = VX_LOG_ERROR;
    if ((int)level < atomic_load(&g_min_level))
        return;

    char ts[25];
    vx_time_format_iso(vx_now_ms(), ts);
    const vx_log_name *service = atomic_load(&g_service);

    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "{\"ts\":\"");
    vx_buf_puts(&b, ts);
    vx_buf_puts(&b, "\",\"level\":\"");
    vx_buf_puts(&b, g_level_names[level]);
    vx_buf_putc(&b, '"');
    log_field(&b, "service", service ? service->name : "unknown");
    if (request_id)
        log_field(&b, "request_id", request_id);
    if (org_id)
        log_field(&b, "org_id", org_id);
    log_field(&b, "msg", msg ? msg : "");

    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *key = va_arg(ap, const char *);
        if (key == NULL || key == vx_log_end)
            break;
        const char *value = va_arg(ap, const char *);
        if (value == vx_log_end) {
            log_field(&b, key, NULL);
            break;
        }
        log_field(&b, key, value);
    }
    va_end(ap);

    vx_buf_puts(&b, "}\n");
    log_write(b.data, b.len);
    vx_buf_free(&b);
}
