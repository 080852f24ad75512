/*
 * pdf: pdf-text as a child process (see pdf.h).
 *
 * Between fork and exec the child only makes async-signal-safe calls
 * (sigprocmask, setrlimit, fcntl, dup2, close_range/close, execve, write,
 * _exit): rag-search is multithreaded, and another thread may have held the
 * allocator's lock when we forked. Everything the child needs (argv, envp,
 * the program's path) is prepared before the fork.
 */
#include "ingest/pdf.h"

#include "vx_log.h"
#include "vx_time.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PDF_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PDF_SANITIZED 1
#endif
#endif
#ifndef PDF_SANITIZED
#define PDF_SANITIZED 0
#endif

/* pdf-text's exit codes (services/pdf-text/extract.h, extract_status: a
 * service never includes another's header, so they are repeated here). */
enum {
    PDF_TEXT_OK = 0,
    PDF_TEXT_INTERNAL = 1,
    PDF_TEXT_USAGE = 2,
    PDF_TEXT_ENCRYPTED = 3,
    PDF_TEXT_MALFORMED = 4,
    PDF_TEXT_TOO_MANY_PAGES = 5,
    PDF_TEXT_TOO_MUCH_TEXT = 6,
    PDF_TEXT_INPUT_TOO_LARGE = 7,
};

/* The child's environment: only what a sanitizer or the locale needs; never
 * rag-search's secrets (DATABASE_URL, NATS_PASSWORD, provider keys). */
static const char *const pdf_env_keep[] = {"LANG",         "LC_ALL",       "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                           "LSAN_OPTIONS", "TSAN_OPTIONS", "MSAN_OPTIONS"};
#define PDF_ENV_MAX (sizeof pdf_env_keep / sizeof pdf_env_keep[0])

extern char **environ;

void pdf_config_default(pdf_config *cfg)
{
    cfg->program = NULL;
    cfg->max_input = 10u << 20;
    cfg->max_output = 4u << 20;
    cfg->max_pages = 2000;
    cfg->timeout_ms = 20000;
    cfg->cpu_seconds = 15;
    cfg->address_space = PDF_SANITIZED ? 0 : (size_t)1 << 30;
}

const char *pdf_status_reason(pdf_status st)
{
    switch (st) {
    case PDF_OK:
        return "The PDF was read.";
    case PDF_ENCRYPTED:
        return "This PDF is protected by a password; upload a copy without one.";
    case PDF_MALFORMED:
        return "This file is not a readable PDF.";
    case PDF_TOO_LARGE:
        return "This PDF has too many pages or too much text.";
    case PDF_TIMEOUT:
        return "This PDF took too long to read.";
    case PDF_RESOURCE_EXHAUSTED:
        return "This PDF needs too much memory or time to read.";
    case PDF_UNAVAILABLE:
        return "PDF reading is not available right now.";
    case PDF_INTERNAL:
        break;
    }
    return "The PDF could not be read because of an internal error.";
}

const char *pdf_status_code(pdf_status st)
{
    switch (st) {
    case PDF_OK:
        return "ok";
    case PDF_ENCRYPTED:
        return "pdf_encrypted";
    case PDF_MALFORMED:
        return "pdf_malformed";
    case PDF_TOO_LARGE:
        return "pdf_too_large";
    case PDF_TIMEOUT:
        return "pdf_timeout";
    case PDF_RESOURCE_EXHAUSTED:
        return "pdf_resource_exhausted";
    case PDF_UNAVAILABLE:
        return "pdf_unavailable";
    case PDF_INTERNAL:
        break;
    }
    return "pdf_internal";
}

/* "pdf-text" beside the running executable, into out[size]. */
static int default_program(char *out, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", out, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        return -1;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash == NULL)
        return -1;
    static const char name[] = "pdf-text";
    if ((size_t)(slash + 1 - out) + sizeof name > size)
        return -1;
    memcpy(slash + 1, name, sizeof name);
    return 0;
}

/* What the child needs, all made before the fork. */
typedef struct spawn_plan {
    const char *program;
    char *argv[8];
    char *envp[PDF_ENV_MAX + 1];
    char pages[24], text[24], input[24];
    struct rlimit as, cpu, fsize, core;
    bool limit_as;
    int in_fd, out_fd, err_fd; /* child's ends: stdin, stdout, exec-error report */
    int null_fd;               /* /dev/null, the child's stderr */
    int max_fd;                /* for close() when close_range is missing */
} spawn_plan;

/* The limit to set: soft and hard as asked, but never above what we have
 * (raising a hard limit is refused, and a lower one of ours stays). */
static void plan_limit(int resource, rlim_t soft, rlim_t hard, struct rlimit *out)
{
    struct rlimit cur;
    if (getrlimit(resource, &cur) == 0) {
        if (cur.rlim_max != RLIM_INFINITY && (hard == RLIM_INFINITY || hard > cur.rlim_max))
            hard = cur.rlim_max;
        if (cur.rlim_cur != RLIM_INFINITY && (soft == RLIM_INFINITY || soft > cur.rlim_cur))
            soft = cur.rlim_cur;
    }
    if (soft != RLIM_INFINITY && hard != RLIM_INFINITY && soft > hard)
        soft = hard;
    if (hard != RLIM_INFINITY && soft == RLIM_INFINITY)
        soft = hard;
    *out = (struct rlimit){soft, hard};
}

static void plan_env(spawn_plan *p)
{
    size_t n = 0;
    for (char **e = environ; e != NULL && *e != NULL && n < PDF_ENV_MAX; e++) {
        for (size_t k = 0; k < PDF_ENV_MAX; k++) {
            size_t kl = strlen(pdf_env_keep[k]);
            if (strncmp(*e, pdf_env_keep[k], kl) == 0 && (*e)[kl] == '=') {
                p->envp[n++] = *e;
                break;
            }
        }
    }
    p->envp[n] = NULL;
}

/* The child, between fork and exec: async-signal-safe calls only. What
 * failed goes to err_fd as {stage, errno}: stage 1 exec, 0 before it. */
static void child_exec(const spawn_plan *p) __attribute__((noreturn));
static void child_exec(const spawn_plan *p)
{
    int report[2];
    ssize_t ignored;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* rag-search blocks SIGTERM in every thread */
    if ((p->limit_as && setrlimit(RLIMIT_AS, &p->as) != 0) || setrlimit(RLIMIT_CPU, &p->cpu) != 0 ||
        setrlimit(RLIMIT_FSIZE, &p->fsize) != 0 || setrlimit(RLIMIT_CORE, &p->core) != 0)
        goto fail;
    /* Above 2 first, so that dup2 cannot overwrite one with the other. */
    int in = fcntl(p->in_fd, F_DUPFD_CLOEXEC, 3), out = fcntl(p->out_fd, F_DUPFD_CLOEXEC, 3);
    int null = fcntl(p->null_fd, F_DUPFD_CLOEXEC, 3);
    if (in < 0 || out < 0 || null < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
        dup2(null, STDERR_FILENO) < 0)
        goto fail;
    /* Nothing else of ours crosses exec, even a descriptor someone made without O_CLOEXEC. */
    if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < p->max_fd; fd++)
            if (fd != p->err_fd)
                close(fd);
    }
    execve(p->program, p->argv, p->envp);
    report[0] = 1; /* exec itself failed: the program is missing or not one */
    report[1] = errno;
    ignored = write(p->err_fd, report, sizeof report);
    (void)ignored;
    _exit(127);
fail:
    report[0] = 0; /* a limit or a descriptor could not be set */
    report[1] = errno;
    ignored = write(p->err_fd, report, sizeof report);
    (void)ignored;
    _exit(127);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Waits for pid (EINTR-proof); returns its wait status. */
static int reap(pid_t pid)
{
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR) {
            ws = -1;
            break;
        }
    }
    return ws;
}

static int ms_left(int64_t deadline_us)
{
    int64_t left = deadline_us - vx_monotonic_us();
    if (left <= 0)
        return 0;
    return left / 1000 > INT_MAX ? INT_MAX : (int)(left / 1000) + 1;
}

/* What ended the child (its wait status), -1 when it is still running at
 * the deadline, -2 when its status cannot be had. */
static int wait_until(pid_t pid, int64_t deadline_us)
{
    int sleep_ms = 1;
    for (;;) {
        int ws = 0;
        pid_t got = waitpid(pid, &ws, WNOHANG);
        if (got == pid)
            return ws;
        if (got < 0 && errno != EINTR)
            return -2; /* not ours any more: someone reaped it, or SIGCHLD is ignored */
        int left = ms_left(deadline_us);
        if (left == 0)
            return -1;
        poll(NULL, 0, sleep_ms < left ? sleep_ms : left);
        if (sleep_ms < 20)
            sleep_ms *= 2;
    }
}

static pdf_status from_exit(int ws)
{
    if (WIFSIGNALED(ws))
        return PDF_RESOURCE_EXHAUSTED; /* SIGXCPU, SIGKILL at the hard CPU limit, SIGABRT when memory ran out */
    if (!WIFEXITED(ws))
        return PDF_INTERNAL;
    switch (WEXITSTATUS(ws)) {
    case PDF_TEXT_OK:
        return PDF_OK;
    case PDF_TEXT_ENCRYPTED:
        return PDF_ENCRYPTED;
    case PDF_TEXT_MALFORMED:
        return PDF_MALFORMED;
    case PDF_TEXT_TOO_MANY_PAGES:
    case PDF_TEXT_TOO_MUCH_TEXT:
    case PDF_TEXT_INPUT_TOO_LARGE:
        return PDF_TOO_LARGE;
    default:
        return PDF_INTERNAL; /* 1 internal, 2 usage, a sanitizer's code */
    }
}

typedef struct run_result {
    pdf_status status;
    int exec_errno;
    char *out;
    size_t out_len;
} run_result;

/* Feeds the child and collects its output until EOF, the deadline or the cap.
 * Returns PDF_OK when the output ended, or why the child must be killed. */
static pdf_status pump(int in_fd, int out_fd, const unsigned char *pdf, size_t len, size_t max_out, int64_t deadline_us,
                       run_result *r)
{
    size_t sent = 0, cap = 0;
    if (len == 0)
        close_fd(&in_fd);
    for (;;) {
        struct pollfd fds[2];
        int n = 0;
        fds[n++] = (struct pollfd){.fd = out_fd, .events = POLLIN};
        if (in_fd >= 0)
            fds[n++] = (struct pollfd){.fd = in_fd, .events = POLLOUT};
        int left = ms_left(deadline_us);
        if (left == 0) {
            close_fd(&in_fd);
            return PDF_TIMEOUT;
        }
        int ready = poll(fds, (nfds_t)n, left);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0) {
            vx_log_error(NULL, NULL, "pdf: poll failed", "error", strerror(errno));
            close_fd(&in_fd);
            return PDF_INTERNAL;
        }
        if (n == 2 && fds[1].revents != 0) {
            /* MSG_NOSIGNAL: a child that died early gives EPIPE, never a SIGPIPE. */
            ssize_t put = send(in_fd, pdf + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (put > 0)
                sent += (size_t)put;
            else if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                sent = len; /* the child stopped reading: its exit status says why */
            if (sent == len)
                close_fd(&in_fd);
        }
        if (fds[0].revents != 0) {
            if (r->out_len == cap) {
                size_t next = cap == 0 ? 64 * 1024 : cap * 2;
                if (next > max_out + 1)
                    next = max_out + 1;
                char *grown = realloc(r->out, next + 1);
                if (grown == NULL)
                    abort();
                r->out = grown;
                cap = next;
            }
            ssize_t got = read(out_fd, r->out + r->out_len, cap - r->out_len);
            if (got == 0) {
                close_fd(&in_fd);
                return PDF_OK;
            }
            if (got < 0 && errno != EAGAIN && errno != EINTR) {
                close_fd(&in_fd);
                return PDF_INTERNAL;
            }
            if (got > 0)
                r->out_len += (size_t)got;
            if (r->out_len > max_out) {
                close_fd(&in_fd);
                return PDF_TOO_LARGE;
            }
        }
    }
}

static void run_child(const pdf_config *cfg, const char *program, const unsigned char *pdf, size_t len, run_result *r)
{
    int64_t deadline_us = vx_monotonic_us() + (int64_t)cfg->timeout_ms * 1000;
    spawn_plan p;
    memset(&p, 0, sizeof p);
    p.program = program;
    snprintf(p.pages, sizeof p.pages, "%d", cfg->max_pages);
    snprintf(p.text, sizeof p.text, "%zu", cfg->max_output);
    snprintf(p.input, sizeof p.input, "%zu", cfg->max_input);
    char *argv[] = {"pdf-text", "--max-pages", p.pages, "--max-text", p.text, "--max-input", p.input, NULL};
    memcpy(p.argv, argv, sizeof argv);
    plan_env(&p);
    p.limit_as = cfg->address_space > 0;
    plan_limit(RLIMIT_AS, cfg->address_space, cfg->address_space, &p.as);
    plan_limit(RLIMIT_CPU, (rlim_t)cfg->cpu_seconds, (rlim_t)cfg->cpu_seconds + 1, &p.cpu);
    /* stdout is a pipe and stderr /dev/null, which know no file size: the
     * child has no file to write. (A sanitizer's runtime does write files,
     * so a sanitizer build leaves the limit alone, as it does the address
     * space.) */
    rlim_t fsize = PDF_SANITIZED ? RLIM_INFINITY : 0;
    plan_limit(RLIMIT_FSIZE, fsize, fsize, &p.fsize);
    plan_limit(RLIMIT_CORE, 0, 0, &p.core);
    struct rlimit nofile;
    p.max_fd = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < 65536 ? (int)nofile.rlim_cur : 65536;

    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    /* stdin is a socket so that writing to a dead child is EPIPE under MSG_NOSIGNAL, not a SIGPIPE. */
    if (null < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
        pipe2(err, O_CLOEXEC) != 0) {
        vx_log_error(NULL, NULL, "pdf: cannot make pipes", "error", strerror(errno));
        r->status = PDF_INTERNAL;
        goto out;
    }
    p.in_fd = in[1];
    p.out_fd = out[1];
    p.err_fd = err[1];
    p.null_fd = null;
    pid_t pid = fork();
    if (pid < 0) {
        vx_log_error(NULL, NULL, "pdf: fork failed", "error", strerror(errno));
        r->status = PDF_INTERNAL;
        goto out;
    }
    if (pid == 0)
        child_exec(&p);
    close_fd(&in[1]);
    close_fd(&out[1]);
    close_fd(&err[1]);

    /* The report pipe closes at exec; a report on it means the child never got there. */
    int report[2] = {0, 0};
    ssize_t got;
    do
        got = read(err[0], report, sizeof report);
    while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof report) {
        reap(pid);
        r->exec_errno = report[1];
        r->status = report[0] == 1 ? PDF_UNAVAILABLE : PDF_INTERNAL;
        goto out;
    }
    (void)fcntl(out[0], F_SETFL, O_NONBLOCK);
    pdf_status st = pump(in[0], out[0], pdf, len, cfg->max_output, deadline_us, r);
    in[0] = -1; /* pump closed it */
    int ws = st == PDF_OK ? wait_until(pid, deadline_us) : -1;
    if (ws == -2) {
        vx_log_error(NULL, NULL, "pdf: the child's exit status was lost (SIGCHLD ignored, or reaped elsewhere)");
        r->status = PDF_INTERNAL;
    } else if (ws == -1) {
        kill(pid, SIGKILL);
        reap(pid);
        r->status = st == PDF_OK ? PDF_TIMEOUT : st;
    } else {
        r->status = from_exit(ws);
    }
out:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&err[0]);
    close_fd(&err[1]);
    close_fd(&null);
}

pdf_status pdf_extract(const pdf_config *cfg, const void *pdf, size_t len, char **text, size_t *text_len, const char *request_id,
                       const char *org_id)
{
    *text = NULL;
    *text_len = 0;
    int64_t started = vx_monotonic_us();
    run_result r = {PDF_INTERNAL, 0, NULL, 0};
    char path[PATH_MAX];
    const char *program = cfg->program;
    if (len > cfg->max_input) {
        r.status = PDF_TOO_LARGE;
    } else if (program == NULL && default_program(path, sizeof path) != 0) {
        r.status = PDF_UNAVAILABLE;
        r.exec_errno = ENOENT;
    } else {
        if (program == NULL)
            program = path;
        run_child(cfg, program, pdf, len, &r);
    }

    char bytes[24], ms[24], chars[24];
    snprintf(bytes, sizeof bytes, "%zu", len);
    snprintf(ms, sizeof ms, "%lld", (long long)((vx_monotonic_us() - started) / 1000));
    snprintf(chars, sizeof chars, "%zu", r.out_len);
    if (r.status == PDF_OK) {
        if (r.out == NULL && (r.out = malloc(1)) == NULL) /* a document without text */
            abort();
        r.out[r.out_len] = '\0';
        *text = r.out;
        *text_len = r.out_len;
        vx_log_info(request_id, org_id, "pdf read", "bytes", bytes, "text_bytes", chars, "ms", ms);
    } else {
        free(r.out);
        if (r.status < 0)
            vx_log_error(request_id, org_id, "pdf reader failed", "code", pdf_status_code(r.status), "program",
                         program != NULL ? program : "pdf-text", "error", r.exec_errno ? strerror(r.exec_errno) : NULL, "bytes",
                         bytes, "ms", ms);
        else
            vx_log_info(request_id, org_id, "pdf refused", "code", pdf_status_code(r.status), "bytes", bytes, "ms", ms);
    }
    return r.status;
}
