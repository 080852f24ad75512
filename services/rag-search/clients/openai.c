/*
 * openai: see openai.h. The pure parts (URL, token estimate, planning,
 * durations, base64, the answer) are in openai_wire.c; this file makes the
 * requests (libcommon/vx_http: one easy handle per request, so threads
 * share nothing) and decides what each answer means.
 */
#include "clients/openai.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clients/openai_wire.h"
#include "vx_buf.h"
#include "vx_config.h"
#include "vx_http.h"
#include "vx_log.h"
#include "vx_secret.h"

#define DEFAULT_MODEL "text-embedding-3-small"
/* The probe's text, when the model's size has to be asked. */
#define PROBE_TEXT "dimension probe"
/* Room for the probe's vector: no embedding model has more values. */
#define PROBE_MAX_DIM 65536
/* Back-off when the answer names no wait: 250 ms, doubling, at most 4 s. */
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS   4000

typedef struct oa_embedder {
    embedder base; /* first: the embedder * is an oa_embedder * */
    char *model;
    char *url;
    char *key; /* NULL: no Authorization header */
    int dimensions;
    long timeout_ms;
    long retry_budget_ms;
    int max_attempts;
    int batch_inputs;
} oa_embedder;

static const struct {
    const char *model;
    int dim;
} known_models[] = {
    {"text-embedding-3-small", 1536},
    {"text-embedding-3-large", 3072},
    {"text-embedding-ada-002", 1536},
};

static int known_dim(const char *model)
{
    for (size_t i = 0; i < sizeof(known_models) / sizeof(known_models[0]); i++)
        if (strcmp(known_models[i].model, model) == 0)
            return known_models[i].dim;
    return 0;
}

bool openai_embedder_config_load(openai_embedder_config *cfg)
{
    cfg->base_url = vx_config_str("EMBEDDINGS_BASE_URL", "");
    cfg->api_key = vx_config_str("EMBEDDINGS_API_KEY", "");
    cfg->model = vx_config_str("EMBEDDINGS_MODEL", DEFAULT_MODEL);
    cfg->dimensions = (int)vx_config_long("EMBEDDINGS_DIMENSIONS", 0, 0, PROBE_MAX_DIM);
    cfg->timeout_ms = vx_config_long("EMBEDDINGS_TIMEOUT_MS", 30000, 100, 60000);
    cfg->retry_budget_ms = vx_config_long("EMBEDDINGS_RETRY_BUDGET_MS", 20000, 0, 600000);
    cfg->max_attempts = (int)vx_config_long("EMBEDDINGS_MAX_ATTEMPTS", 4, 1, 10);
    cfg->batch_inputs = (int)vx_config_long("EMBEDDINGS_BATCH_INPUTS", OPENAI_WIRE_MAX_INPUTS, 1, OPENAI_WIRE_MAX_INPUTS);
    return cfg->base_url[0] != '\0';
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Replaces every occurrence of key in s (NUL-terminated, s_len bytes) with "[key]": a reason never carries it. */
static void scrub_key(char *s, size_t s_len, const char *key)
{
    if (key == NULL || key[0] == '\0' || s_len == 0 || strstr(s, key) == NULL)
        return;
    size_t klen = strlen(key);
    vx_buf out = VX_BUF_INIT;
    for (const char *p = s; *p != '\0';) {
        if (strncmp(p, key, klen) == 0) {
            vx_buf_puts(&out, "[key]");
            p += klen;
        } else {
            vx_buf_putc(&out, *p++);
        }
    }
    snprintf(s, s_len, "%s", out.data);
    vx_buf_free(&out);
}

static void request_body(const oa_embedder *e, const char *const *texts, const size_t *lens, size_t n, vx_buf *body)
{
    vx_buf_puts(body, "{\"model\":");
    vx_buf_json_string(body, e->model, strlen(e->model));
    vx_buf_puts(body, ",\"input\":[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            vx_buf_putc(body, ',');
        vx_buf_json_string(body, texts[i], lens[i]);
    }
    vx_buf_puts(body, "],\"encoding_format\":\"base64\"");
    if (e->dimensions > 0)
        vx_buf_printf(body, ",\"dimensions\":%d", e->dimensions);
    vx_buf_putc(body, '}');
}

/* What one answer means. */
typedef struct verdict {
    embed_status st; /* EMBED_OK, or the status if no attempt follows */
    bool retry;      /* worth another attempt, after wait_ms */
    long wait_ms;    /* -1: none named (back off) */
} verdict;

/* The wait a 429 names: Retry-After, else the reset of what ran out. */
static long named_wait(const vx_http_answer *a, const openai_wire_error *err)
{
    if (a->retry_after_s > 0)
        return a->retry_after_s * 1000;
    long req = openai_wire_duration_ms(vx_http_answer_header(a, "x-ratelimit-reset-requests"));
    long tok = openai_wire_duration_ms(vx_http_answer_header(a, "x-ratelimit-reset-tokens"));
    if (strcmp(err->type, "tokens") == 0 && tok >= 0)
        return tok;
    if (strcmp(err->type, "requests") == 0 && req >= 0)
        return req;
    return req > tok ? req : tok; /* -1 when neither came */
}

static verdict judge(const oa_embedder *e, const vx_http_answer *a, char *why, size_t why_len)
{
    verdict v = {EMBED_FAILED, false, -1};
    openai_wire_error err;
    openai_wire_parse_error(a->body.data, a->body.len, &err);
    const char *label = err.code[0] != '\0' ? err.code : err.type[0] != '\0' ? err.type : "no error code";
    char status[16];
    snprintf(status, sizeof(status), "%ld", a->status);
    if (a->status == 429) {
        if (strcmp(err.code, "insufficient_quota") == 0 || strcmp(err.type, "insufficient_quota") == 0) {
            snprintf(why, why_len, "the provider's quota is exhausted (HTTP 429 insufficient_quota): check the account's billing");
            v.st = EMBED_QUOTA;
        } else {
            v.wait_ms = named_wait(a, &err);
            snprintf(why, why_len, "rate limited by the provider (HTTP 429 %s)", label);
            v.st = EMBED_RETRY;
            v.retry = true;
        }
    } else if (a->status >= 500 || a->status == 408) {
        snprintf(why, why_len, "the provider failed (HTTP %ld %s)", a->status, label);
        v.st = EMBED_RETRY;
        v.retry = true;
        v.wait_ms = a->retry_after_s > 0 ? a->retry_after_s * 1000 : -1;
    } else if (a->status == 401 || a->status == 403) {
        /* OpenAI's message quotes part of the key ("Incorrect API key provided: sk-…"): not kept. */
        snprintf(why, why_len, "the provider refused the API key (HTTP %ld %s): check EMBEDDINGS_API_KEY", a->status, label);
    } else if (a->status >= 400) {
        /* The message is kept unless the answer quotes the key anywhere (the message may be cut mid-key). */
        bool quotes_key = e->key != NULL && a->body.data != NULL && strstr(a->body.data, e->key) != NULL;
        snprintf(why, why_len, "the provider refused the request (HTTP %ld %s): %.200s", a->status, label,
                 quotes_key               ? "(message withheld: it quotes the key)"
                 : err.message[0] != '\0' ? err.message
                                          : "no message");
        scrub_key(why, why_len, e->key);
    } else {
        snprintf(why, why_len, "the provider answered HTTP %ld", a->status);
    }
    vx_log_warn(NULL, NULL, "embeddings request failed", "model", e->model, "http_status", status, "type", err.type, "code",
                err.code);
    return v;
}

/* One request of n inputs (with retries): vectors into out (cap floats), *dim as openai_wire_parse_answer. */
static embed_status send_batch(const oa_embedder *e, const char *const *texts, const size_t *lens, size_t n, int *dim, float *out,
                               size_t cap, long *budget_ms, char *why, size_t why_len)
{
    vx_buf body = VX_BUF_INIT;
    request_body(e, texts, lens, n, &body);
    /* An answer in floats (a server ignoring base64) takes at most ~26 bytes a value. */
    size_t per_vector = (size_t)(*dim > 0 ? *dim : PROBE_MAX_DIM) * 26 + 256;
    const char *capture[] = {"x-ratelimit-reset-requests", "x-ratelimit-reset-tokens", NULL};
    embed_status st = EMBED_RETRY;
    long backoff = BACKOFF_FIRST_MS;
    for (int attempt = 1;; attempt++) {
        vx_buf auth = VX_BUF_INIT;
        if (e->key != NULL)
            vx_buf_printf(&auth, "Authorization: Bearer %s", e->key);
        const char *headers[] = {"Content-Type: application/json", "Accept: application/json", auth.data, NULL};
        vx_http_request req = {
            .method = "POST",
            .url = e->url,
            .headers = headers,
            .body = body.data,
            .timeout_ms = e->timeout_ms,
            .max_answer_bytes = n * per_vector + 64 * 1024,
            .capture_headers = capture,
        };
        vx_http_answer a;
        const char *error = NULL;
        int rc = vx_http_perform(&req, &a, &error);
        vx_secret_buf_free(&auth);
        verdict v;
        if (rc != 0) {
            snprintf(why, why_len, "the provider could not be reached: %s", error);
            vx_log_warn(NULL, NULL, "embeddings request failed", "model", e->model, "error", error);
            v = (verdict){EMBED_RETRY, true, -1};
        } else if (a.status >= 200 && a.status <= 299) {
            v = (verdict){openai_wire_parse_answer(a.body.data, a.body.len, n, dim, out, cap, why, why_len), false, -1};
            if (v.st != EMBED_OK)
                vx_log_warn(NULL, NULL, "embeddings answer unusable", "model", e->model, "reason", why);
        } else {
            v = judge(e, &a, why, why_len);
        }
        if (rc == 0) {
            vx_buf_free(&a.body);
            vx_buf_free(&a.headers);
        }
        st = v.st;
        if (!v.retry)
            break;
        if (attempt >= e->max_attempts) {
            size_t used = strlen(why);
            snprintf(why + used, why_len - used, "; gave up after %d attempts", attempt);
            break;
        }
        long wait = v.wait_ms >= 0 ? v.wait_ms : backoff;
        if (v.wait_ms < 0)
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
        if (wait > *budget_ms) {
            size_t used = strlen(why);
            snprintf(why + used, why_len - used, "; retry in %ld ms is past the retry budget (%ld ms left)", wait, *budget_ms);
            break;
        }
        *budget_ms -= wait;
        sleep_ms(wait);
    }
    vx_buf_free(&body);
    return st;
}

static embed_status oa_embed(embedder *base, const char *const *texts, size_t n, float *out, char *why, size_t why_len)
{
    oa_embedder *e = (oa_embedder *)base;
    char scratch[8];
    if (why == NULL || why_len == 0) {
        why = scratch;
        why_len = sizeof(scratch);
    }
    why[0] = '\0';
    if (n == 0)
        return EMBED_OK;
    if (n > e->base.max_batch) {
        snprintf(why, why_len, "%zu texts in one call, more than %zu", n, e->base.max_batch);
        return EMBED_FAILED;
    }
    size_t *lens = malloc(n * sizeof(size_t)), *tokens = malloc(n * sizeof(size_t));
    if (lens == NULL || tokens == NULL)
        abort();
    embed_status st = EMBED_OK;
    for (size_t i = 0; i < n && st == EMBED_OK; i++) {
        size_t len = strlen(texts[i]);
        if (len == 0) {
            snprintf(why, why_len, "text %zu is empty (the provider refuses empty input)", i);
            st = EMBED_FAILED;
        } else if (!openai_wire_utf8_valid(texts[i], len)) {
            snprintf(why, why_len, "text %zu is not valid UTF-8", i);
            st = EMBED_FAILED;
        } else {
            lens[i] = openai_wire_cut(texts[i], len, OPENAI_WIRE_MAX_INPUT_TOKENS);
            tokens[i] = openai_wire_token_estimate(texts[i], lens[i]);
            if (lens[i] < len) {
                char idx[24], had[24], kept[24];
                snprintf(idx, sizeof(idx), "%zu", i);
                snprintf(had, sizeof(had), "%zu", len);
                snprintf(kept, sizeof(kept), "%zu", lens[i]);
                vx_log_info(NULL, NULL, "embeddings input cut to the model's limit", "model", e->model, "index", idx, "bytes", had,
                            "kept_bytes", kept);
            }
        }
    }
    long budget = e->retry_budget_ms;
    size_t dim = (size_t)e->base.dim;
    for (size_t start = 0; start < n && st == EMBED_OK;) {
        size_t end = openai_wire_batch_end(tokens, start, n, (size_t)e->batch_inputs, OPENAI_WIRE_MAX_TOKENS);
        int d = e->base.dim;
        st = send_batch(e, texts + start, lens + start, end - start, &d, out + start * dim, (end - start) * dim, &budget, why,
                        why_len);
        start = end;
    }
    free(lens);
    free(tokens);
    return st;
}

static void oa_destroy(embedder *base)
{
    oa_embedder *e = (oa_embedder *)base;
    if (e == NULL)
        return;
    free(e->model);
    free(e->url);
    vx_secret_free(e->key);
    free(e);
}

static char *dup_or_die(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        abort();
    return d;
}

embedder *openai_embedder_open(const openai_embedder_config *cfg, char *why, size_t why_len)
{
    const char *model = cfg->model != NULL && cfg->model[0] != '\0' ? cfg->model : DEFAULT_MODEL;
    vx_buf url = VX_BUF_INIT;
    if (openai_wire_embeddings_url(cfg->base_url, &url) != 0) {
        snprintf(why, why_len, "EMBEDDINGS_BASE_URL is not an http:// or https:// URL");
        return NULL;
    }
    int native = known_dim(model);
    if (cfg->dimensions < 0 || cfg->dimensions > PROBE_MAX_DIM || (native > 0 && cfg->dimensions > native)) {
        snprintf(why, why_len, "EMBEDDINGS_DIMENSIONS %d is outside 1..%d for %s", cfg->dimensions,
                 native > 0 ? native : PROBE_MAX_DIM, model);
        vx_buf_free(&url);
        return NULL;
    }
    oa_embedder *e = calloc(1, sizeof(*e));
    if (e == NULL)
        abort();
    e->model = dup_or_die(model);
    e->url = vx_buf_steal(&url);
    e->key = cfg->api_key != NULL && cfg->api_key[0] != '\0' ? dup_or_die(cfg->api_key) : NULL;
    e->dimensions = cfg->dimensions;
    e->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    e->retry_budget_ms = cfg->retry_budget_ms >= 0 ? cfg->retry_budget_ms : 0;
    e->max_attempts = cfg->max_attempts >= 1 ? cfg->max_attempts : 1;
    e->batch_inputs =
        cfg->batch_inputs >= 1 && cfg->batch_inputs <= OPENAI_WIRE_MAX_INPUTS ? cfg->batch_inputs : OPENAI_WIRE_MAX_INPUTS;
    e->base.model = e->model;
    e->base.max_batch = OPENAI_EMBEDDER_MAX_BATCH;
    e->base.embed = oa_embed;
    e->base.destroy = oa_destroy;
    e->base.dim = cfg->dimensions > 0 ? cfg->dimensions : native;
    if (e->base.dim == 0) {
        /* A model of unknown size: ask once. */
        const char *texts[] = {PROBE_TEXT};
        size_t lens[] = {strlen(PROBE_TEXT)};
        float *probe = malloc(PROBE_MAX_DIM * sizeof(float));
        if (probe == NULL)
            abort();
        long budget = e->retry_budget_ms;
        int dim = 0;
        char reason[256] = "";
        embed_status st = send_batch(e, texts, lens, 1, &dim, probe, PROBE_MAX_DIM, &budget, reason, sizeof(reason));
        free(probe);
        if (st != EMBED_OK) {
            snprintf(why, why_len, "cannot learn the size of %s's vectors: %s", model, reason);
            oa_destroy(&e->base);
            return NULL;
        }
        e->base.dim = dim;
        char d[16];
        snprintf(d, sizeof(d), "%d", dim);
        vx_log_info(NULL, NULL, "embeddings model size learnt", "model", e->model, "dim", d);
    }
    return &e->base;
}
