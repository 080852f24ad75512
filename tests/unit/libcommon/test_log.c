/*
 * Unit tests for libcommon/vx_log.c. stdout is redirected (dup2) to a pipe
 * or a temporary file, and every captured line is parsed back with cJSON, so
 * the tests check real output: field names and order, escaping of quotes,
 * newlines and control characters, the level filter and that concurrent
 * long lines never interleave.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vx_log.h"
#include "vx_time.h"

static int saved_stdout = -1;
static int capture_fds[2];

static void capture_begin(void)
{
    fflush(stdout);
    assert_int_equal(pipe(capture_fds), 0);
    saved_stdout = dup(STDOUT_FILENO);
    assert_true(saved_stdout >= 0);
    assert_int_equal(dup2(capture_fds[1], STDOUT_FILENO), STDOUT_FILENO);
    close(capture_fds[1]);
}

/* Restores stdout and returns everything written meanwhile (caller frees). */
static char *capture_end(void)
{
    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    ssize_t n;
    while ((n = read(capture_fds[0], out + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 2)
            out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    close(capture_fds[0]);
    return out;
}

/* Asserts out is exactly one newline-terminated line and parses it. */
static cJSON *parse_one_line(const char *out)
{
    size_t len = strlen(out);
    assert_true(len > 1);
    assert_int_equal(out[len - 1], '\n');
    assert_ptr_equal(strchr(out, '\n'), out + len - 1);
    cJSON *obj = cJSON_Parse(out);
    assert_non_null(obj);
    assert_true(cJSON_IsObject(obj));
    return obj;
}

static const char *field(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int setup_info(void **state)
{
    unsetenv("LOG_LEVEL");
    vx_log_init("test-svc");
    return 0;
}

static void test_standard_fields_in_order(void **state)
{
    capture_begin();
    vx_log_info("req-1", "org-1", "hello", "k1", "v1", "k2", "v2");
    char *out = capture_end();
    const char *prefix = "{\"ts\":\"";
    assert_memory_equal(out, prefix, strlen(prefix));
    assert_non_null(strstr(out, "\",\"level\":\"info\",\"service\":\"test-svc\",\"request_id\":\"req-1\","
                                "\"org_id\":\"org-1\",\"msg\":\"hello\",\"k1\":\"v1\",\"k2\":\"v2\"}\n"));
    cJSON *obj = parse_one_line(out);
    int64_t ts;
    assert_true(vx_time_parse_iso(field(obj, "ts"), &ts));
    assert_int_equal(strlen(field(obj, "ts")), 24);
    int64_t now = vx_now_ms();
    assert_true(ts <= now && ts > now - 5000);
    cJSON_Delete(obj);
    free(out);
}

static void test_null_ids_are_omitted(void **state)
{
    capture_begin();
    vx_log_warn(NULL, NULL, "no ids");
    char *out = capture_end();
    cJSON *obj = parse_one_line(out);
    assert_string_equal(field(obj, "level"), "warn");
    assert_string_equal(field(obj, "msg"), "no ids");
    assert_null(cJSON_GetObjectItemCaseSensitive(obj, "request_id"));
    assert_null(cJSON_GetObjectItemCaseSensitive(obj, "org_id"));
    cJSON_Delete(obj);
    free(out);
}

static void test_escaping(void **state)
{
    const char *nasty = "say \"hi\"\nnext line\r\t\x01\x1f back\\slash";
    capture_begin();
    vx_log_error("r\"id", NULL, nasty, "we\"ird\nkey", nasty, "forged\",\"level\":\"debug", "x");
    char *out = capture_end();
    cJSON *obj = parse_one_line(out);
    assert_string_equal(field(obj, "msg"), nasty);
    assert_string_equal(field(obj, "request_id"), "r\"id");
    assert_string_equal(field(obj, "we\"ird\nkey"), nasty);
    assert_string_equal(field(obj, "level"), "error");
    assert_string_equal(field(obj, "forged\",\"level\":\"debug"), "x");
    assert_null(strchr(out, '\x01'));
    assert_null(strchr(out, '\t'));
    assert_non_null(strstr(out, "\\u0001"));
    cJSON_Delete(obj);
    free(out);
}

/* Regression: a NULL value used to end the field list, so every caller
 * guarded its values ("or_none"); now it is a null field and the rest follows. */
static void test_null_value_is_null_and_list_goes_on(void **state)
{
    const char *absent = NULL;
    capture_begin();
    vx_log_info(NULL, NULL, "m", "a", "1", "b", absent, "c", "3");
    char *out = capture_end();
    cJSON *obj = parse_one_line(out);
    assert_string_equal(field(obj, "a"), "1");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, "b")));
    assert_string_equal(field(obj, "c"), "3");
    cJSON_Delete(obj);
    free(out);
}

/* A key whose value was forgotten stops at the marker (null), never reads past it. */
static void test_odd_list_stops_at_the_marker(void **state)
{
    capture_begin();
    vx_log_info(NULL, NULL, "m", "a", "1", "dangling");
    char *out = capture_end();
    cJSON *obj = parse_one_line(out);
    assert_string_equal(field(obj, "a"), "1");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, "dangling")));
    cJSON_Delete(obj);
    free(out);
}

static void test_level_filter(void **state)
{
    setenv("LOG_LEVEL", "WARN", 1);
    vx_log_init("filtered");
    capture_begin();
    vx_log_debug(NULL, NULL, "d");
    vx_log_info(NULL, NULL, "i");
    vx_log_warn(NULL, NULL, "w");
    vx_log_error(NULL, NULL, "e");
    char *out = capture_end();
    assert_null(strstr(out, "\"msg\":\"d\""));
    assert_null(strstr(out, "\"msg\":\"i\""));
    assert_non_null(strstr(out, "\"msg\":\"w\""));
    assert_non_null(strstr(out, "\"msg\":\"e\""));
    free(out);

    setenv("LOG_LEVEL", "debug", 1);
    vx_log_init("filtered");
    capture_begin();
    vx_log_debug(NULL, NULL, "d");
    out = capture_end();
    cJSON *obj = parse_one_line(out);
    assert_string_equal(field(obj, "level"), "debug");
    assert_string_equal(field(obj, "service"), "filtered");
    cJSON_Delete(obj);
    free(out);
}

static void test_unknown_level_warns_and_uses_info(void **state)
{
    setenv("LOG_LEVEL", "verbose", 1);
    capture_begin();
    vx_log_init("svc");
    vx_log_debug(NULL, NULL, "hidden");
    char *out = capture_end();
    cJSON *obj = parse_one_line(out);
    assert_string_equal(field(obj, "level"), "warn");
    assert_string_equal(field(obj, "log_level"), "verbose");
    cJSON_Delete(obj);
    free(out);
    unsetenv("LOG_LEVEL");
}

#define THREADS          8
#define LINES_PER_THREAD 40
#define VALUE_LEN        9000 /* well over PIPE_BUF */

static void *log_thread(void *arg)
{
    char *value = malloc(VALUE_LEN + 1);
    memset(value, 'a' + (int)(intptr_t)arg, VALUE_LEN);
    value[VALUE_LEN] = '\0';
    for (int i = 0; i < LINES_PER_THREAD; i++)
        vx_log_info(NULL, NULL, "bulk", "v", value);
    free(value);
    return NULL;
}

static void test_threads_never_interleave(void **state)
{
    char path[] = "/tmp/vx_log_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    pthread_t t[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, log_thread, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    dup2(saved, STDOUT_FILENO);
    close(saved);

    off_t size = lseek(fd, 0, SEEK_END);
    char *all = malloc((size_t)size + 1);
    assert_int_equal(pread(fd, all, (size_t)size, 0), size);
    all[size] = '\0';
    close(fd);
    int lines = 0;
    for (char *line = all, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1, lines++) {
        *nl = '\0';
        cJSON *obj = cJSON_Parse(line);
        assert_non_null(obj);
        const char *v = field(obj, "v");
        assert_non_null(v);
        assert_int_equal(strlen(v), VALUE_LEN);
        assert_int_equal(strspn(v, (char[]){v[0], '\0'}), VALUE_LEN);
        cJSON_Delete(obj);
    }
    assert_int_equal(lines, THREADS * LINES_PER_THREAD);
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_standard_fields_in_order, setup_info),
        cmocka_unit_test_setup(test_null_ids_are_omitted, setup_info),
        cmocka_unit_test_setup(test_escaping, setup_info),
        cmocka_unit_test_setup(test_null_value_is_null_and_list_goes_on, setup_info),
        cmocka_unit_test_setup(test_odd_list_stops_at_the_marker, setup_info),
        cmocka_unit_test(test_level_filter),
        cmocka_unit_test(test_unknown_level_warns_and_uses_info),
        cmocka_unit_test_setup(test_threads_never_interleave, setup_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
