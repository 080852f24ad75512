/*
 * Unit test of services/rag-search/clients/openai.c without a provider: its
 * configuration from the environment (defaults, every variable, the built-in
 * model when EMBEDDINGS_BASE_URL is unset, exit 2 on a malformed number) and
 * what openai_embedder_open refuses before any request (a base URL that is
 * not http(s), dimensions above a known model's own) or needs no request for
 * (a known model's size, or the configured dimensions). Requests are proven
 * against the fake in tests/integration/rag-search/embed/test_openai.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clients/openai.h"

static const char *vars[] = {"EMBEDDINGS_BASE_URL",     "EMBEDDINGS_API_KEY",      "EMBEDDINGS_MODEL",
                             "EMBEDDINGS_DIMENSIONS",   "EMBEDDINGS_TIMEOUT_MS",   "EMBEDDINGS_RETRY_BUDGET_MS",
                             "EMBEDDINGS_MAX_ATTEMPTS", "EMBEDDINGS_BATCH_INPUTS", NULL};

static int clear_env(void **state)
{
    for (size_t i = 0; vars[i] != NULL; i++)
        unsetenv(vars[i]);
    return 0;
}

static void test_defaults(void **state)
{
    openai_embedder_config c;
    assert_false(openai_embedder_config_load(&c)); /* no base URL: the built-in model */
    assert_string_equal(c.base_url, "");
    assert_string_equal(c.api_key, "");
    assert_string_equal(c.model, "text-embedding-3-small");
    assert_int_equal(c.dimensions, 0);
    assert_int_equal(c.timeout_ms, 30000);
    assert_int_equal(c.retry_budget_ms, 20000);
    assert_int_equal(c.max_attempts, 4);
    assert_int_equal(c.batch_inputs, 2048);
}

static void test_every_variable(void **state)
{
    setenv("EMBEDDINGS_BASE_URL", "http://127.0.0.1:8080/v1", 1);
    setenv("EMBEDDINGS_API_KEY", "sk-local", 1);
    setenv("EMBEDDINGS_MODEL", "nomic-embed-text", 1);
    setenv("EMBEDDINGS_DIMENSIONS", "768", 1);
    setenv("EMBEDDINGS_TIMEOUT_MS", "5000", 1);
    setenv("EMBEDDINGS_RETRY_BUDGET_MS", "0", 1);
    setenv("EMBEDDINGS_MAX_ATTEMPTS", "1", 1);
    setenv("EMBEDDINGS_BATCH_INPUTS", "256", 1);
    openai_embedder_config c;
    assert_true(openai_embedder_config_load(&c));
    assert_string_equal(c.base_url, "http://127.0.0.1:8080/v1");
    assert_string_equal(c.api_key, "sk-local");
    assert_string_equal(c.model, "nomic-embed-text");
    assert_int_equal(c.dimensions, 768);
    assert_int_equal(c.timeout_ms, 5000);
    assert_int_equal(c.retry_budget_ms, 0);
    assert_int_equal(c.max_attempts, 1);
    assert_int_equal(c.batch_inputs, 256);
    /* Configured dimensions: no probe, nothing sent at open. */
    char why[256] = "";
    embedder *e = openai_embedder_open(&c, why, sizeof(why));
    assert_non_null(e);
    assert_int_equal(e->dim, 768);
    assert_string_equal(e->model, "nomic-embed-text");
    assert_int_equal(e->max_batch, OPENAI_EMBEDDER_MAX_BATCH);
    embedder_destroy(e);
    embedder_destroy(NULL);
}

/* Loading with name=value exits 2 (a configuration mistake). */
static void expect_exit_2(const char *name, const char *value)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv(name, value, 1);
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(3);
        openai_embedder_config c;
        openai_embedder_config_load(&c);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
}

static void test_malformed_numbers_exit_2(void **state)
{
    expect_exit_2("EMBEDDINGS_DIMENSIONS", "big");
    expect_exit_2("EMBEDDINGS_BATCH_INPUTS", "4096"); /* above the API's 2048 */
    expect_exit_2("EMBEDDINGS_MAX_ATTEMPTS", "0");
    expect_exit_2("EMBEDDINGS_TIMEOUT_MS", "120000");
}

static void test_open_without_a_request(void **state)
{
    char why[256];
    openai_embedder_config c = {.base_url = "https://api.openai.com/v1",
                                .api_key = "sk-unused",
                                .model = "text-embedding-3-large",
                                .timeout_ms = 1000,
                                .retry_budget_ms = 0,
                                .max_attempts = 1,
                                .batch_inputs = 2048};
    embedder *e = openai_embedder_open(&c, why, sizeof(why));
    assert_non_null(e);
    assert_int_equal(e->dim, 3072);
    embedder_destroy(e);
    c.model = NULL; /* the default model */
    e = openai_embedder_open(&c, why, sizeof(why));
    assert_non_null(e);
    assert_string_equal(e->model, "text-embedding-3-small");
    assert_int_equal(e->dim, 1536);
    embedder_destroy(e);
    /* Refused. */
    c.dimensions = 1537;
    assert_null(openai_embedder_open(&c, why, sizeof(why)));
    assert_non_null(strstr(why, "EMBEDDINGS_DIMENSIONS 1537"));
    c.dimensions = 0;
    const char *bad[] = {"", "api.openai.com", "ftp://x", "https://", NULL};
    for (size_t i = 0; bad[i] != NULL; i++) {
        c.base_url = bad[i];
        assert_null(openai_embedder_open(&c, why, sizeof(why)));
        assert_non_null(strstr(why, "EMBEDDINGS_BASE_URL"));
        assert_null(strstr(why, "sk-unused"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test_setup(test_every_variable, clear_env),
        cmocka_unit_test_setup(test_malformed_numbers_exit_2, clear_env),
        cmocka_unit_test_setup(test_open_without_a_request, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
