/*
 * openai_embeddings: a wire-faithful fake of OpenAI's embeddings endpoint
 * (contracts/providers.md §4 and its simulator checklist, item 5), as a
 * standalone program, for rag-search's clients/openai.c.
 *
 *   OPENAI_FAKE_PORT    port on 127.0.0.1 (required)
 *   OPENAI_FAKE_KEY     the one API key accepted (required; see /_fake/config "auth" for a keyless local server)
 *   OPENAI_FAKE_MODELS  more models than OpenAI's three, "name:dim,name:dim" (a local server's), optional
 *
 * API: POST /v1/embeddings, "Authorization: Bearer <key>", a JSON body:
 *   - checked as the real one checks it: unknown keys → 400 "Unrecognized request argument supplied: <key>"
 *     (additionalProperties false); "model" required (400), a model not known → 404 model_not_found;
 *     "input" required: a non-empty string, an array of 1..2048 non-empty strings, an array of token ids
 *     (ints ≥ 0), or an array of 1..2048 non-empty arrays of token ids; anything else → 400 "'$.input' is
 *     invalid…"; "encoding_format" "float" (default) or "base64"; "dimensions" an int ≥ 1, only for the
 *     text-embedding-3 models (ada-002: 400 "This model does not support specifying dimensions."), at most
 *     the model's own (400 [? the real message is unconfirmed, contract §4]); "user" a string;
 *   - tokens: an approximation of cl100k_base that never counts more than the text's bytes (a run of ASCII
 *     letters ceil(n/4), of digits ceil(n/3), a space before a word free, other ASCII bytes 1 each, other
 *     bytes 1 per 2); a token array counts its length. More than 8192 in one input → 400 "This model's
 *     maximum context length is 8192 tokens, however you requested N tokens…"; more than 300,000 summed →
 *     400 "Requested N tokens, max 300000 tokens per request";
 *   - 200 {"object":"list","data":[{"object":"embedding","index":i,"embedding":…}],"model","usage":
 *     {"prompt_tokens","total_tokens"}}: each vector is derived from its input's bytes (FNV-1a seeding a
 *     splitmix64 stream, values in [-2, 2)): the same input gives the same vector, and it is NOT
 *     normalised, so a client must normalise; "dimensions" d keeps the first d values of the model's own
 *     vector. base64: little-endian float32, standard base64 with padding.
 *   - headers as OpenAI sends them: x-request-id, openai-processing-ms, openai-organization,
 *     openai-version: 2020-10-01, x-ratelimit-limit-/remaining-/reset-requests and -tokens.
 *   - errors: {"error":{"message","type","param","code"}} (all four keys, param and code null when
 *     none); a missing or wrong key → 401, the wrong one as "Incorrect API key provided: sk-ab***wxyz"
 *     (OpenAI masks all but the start and the last four characters) with code "invalid_api_key".
 *
 * Test control (no auth):
 *   POST /_fake/fail {"mode","count"?:1,"retryAfter"?:"2","resetRequests"?:"1s","resetTokens"?:"6m0s","ms"?:3000}
 *        the next count API requests (after the auth check) fail: mode "rate_limit" (429 rate_limit_exceeded,
 *        type "requests"), "rate_limit_tokens" (the same, type "tokens"), "quota" (429 insufficient_quota),
 *        "server_error" (500), "overloaded" (503), "bad_request" (400 invalid_request_error), "hang" (waits ms,
 *        then answers normally: a client with a shorter timeout has gone). Retry-After only when retryAfter is
 *        given; the reset headers carry resetRequests / resetTokens when given.
 *   POST /_fake/config {"shuffle"?:bool, "forceFloat"?:bool, "auth"?:bool}
 *        shuffle: data[] in a shuffled order (index kept right); forceFloat: float arrays whatever
 *        encoding_format asks (a local server that ignores it); auth false: no key needed (a local server).
 *   GET  /_fake/state  {"requests","ok","inputs","injected","maxInputs","maxTokens","maxInputBytes",
 *                       "batches":[inputs of each 200…],"times":[ms since start of each API request…],
 *                       "last":{"auth":"ok"|"missing"|"wrong","encoding","dimensions","keys":[…]}}
 *        requests: API requests received; ok: answered 200; inputs: inputs answered; injected: failures made
 *        by /_fake/fail; maxInputs / maxTokens / maxInputBytes: the largest request seen (inputs, tokens,
 *        one input's bytes). Never a key or a text.
 *   POST /_fake/reset  forgets counts, failures and config.
 *
 * Design: routes on tests/support/fake_http's server, one mutex over the
 * state; a hang waits outside it. SIGTERM stops it, frees everything, exits 0.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_http.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_log.h"

#define MAX_INPUTS       2048
#define MAX_INPUT_TOKENS 8192
#define MAX_TOKENS       300000
#define MAX_MODELS       16

typedef struct model {
    char name[64];
    int dim;
    bool dimensions_ok; /* accepts "dimensions" (the text-embedding-3 models) */
} model;

static struct {
    pthread_mutex_t lock;
    const char *key;
    model models[MAX_MODELS];
    int nmodels;
    /* control */
    char fail_mode[32];
    int fail_count, hang_ms;
    char retry_after[32], reset_requests[32], reset_tokens[32];
    bool shuffle, force_float, no_auth;
    /* counts */
    int requests, ok, inputs, injected, max_inputs, max_tokens, max_input_bytes;
    cJSON *batches, *times, *last;
    struct timespec started;
    uint64_t shuffle_seed;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- OpenAI's error body ---- */

static void openai_error(fake_response *r, int status, const char *message, const char *type, const char *param, const char *code)
{
    cJSON *root = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "type", type);
    if (param != NULL)
        cJSON_AddStringToObject(e, "param", param);
    else
        cJSON_AddNullToObject(e, "param");
    if (code != NULL)
        cJSON_AddStringToObject(e, "code", code);
    else
        cJSON_AddNullToObject(e, "code");
    fake_json_body(r, status, root);
    vx_buf_printf(&r->headers, "x-request-id: req_fake%08x\r\nopenai-version: 2020-10-01\r\n", (unsigned)S.requests);
}

static void invalid(fake_response *r, const char *message, const char *param)
{
    openai_error(r, 400, message, "invalid_request_error", param, NULL);
}

/* ---- tokens and vectors ---- */

static int count_tokens(const unsigned char *s, size_t n)
{
    int t = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t j = i;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            while (j < n && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
                j++;
            t += (int)((j - i + 3) / 4);
        } else if (c >= '0' && c <= '9') {
            while (j < n && s[j] >= '0' && s[j] <= '9')
                j++;
            t += (int)((j - i + 2) / 3);
        } else if (c == ' ' && i + 1 < n && ((s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'z')) {
            j = i + 1; /* " word": the space goes with the word */
        } else if (c < 0x80) {
            j = i + 1;
            t += 1;
        } else {
            while (j < n && s[j] >= 0x80)
                j++;
            t += (int)((j - i + 1) / 2);
        }
        i = j;
    }
    return t;
}

static uint64_t fnv1a(const unsigned char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The first dim values of input's vector: the same bytes, the same values. */
static void vector_of(const unsigned char *bytes, size_t n, int dim, float *out)
{
    uint64_t seed = fnv1a(bytes, n);
    for (int i = 0; i < dim; i++)
        out[i] = (float)((double)(splitmix64(&seed) >> 11) / 9007199254740992.0 * 4.0 - 2.0);
}

static const model *find_model(const char *name)
{
    for (int i = 0; i < S.nmodels; i++)
        if (strcmp(S.models[i].name, name) == 0)
            return &S.models[i];
    return NULL;
}

static void add_model(const char *name, int dim, bool dimensions_ok)
{
    if (S.nmodels >= MAX_MODELS)
        return;
    model *m = &S.models[S.nmodels++];
    snprintf(m->name, sizeof(m->name), "%s", name);
    m->dim = dim;
    m->dimensions_ok = dimensions_ok;
}

/* ---- one input, as bytes: a string's, or a token array's ids (4 bytes each) ---- */

typedef struct input {
    vx_buf bytes;
    int tokens;
} input;

/* Reads one item of "input"; false (answered 400) when it is not a non-empty string or token array. */
static bool read_input(const cJSON *v, bool allow_array, input *in, fake_response *r)
{
    if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
        size_t n = strlen(v->valuestring);
        vx_buf_append(&in->bytes, v->valuestring, n);
        in->tokens = count_tokens((const unsigned char *)v->valuestring, n);
        return true;
    }
    if (allow_array && cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) {
        const cJSON *t;
        cJSON_ArrayForEach(t, v)
        {
            if (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble != floor(t->valuedouble) || t->valuedouble > 200000) {
                invalid(r, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
                        NULL);
                return false;
            }
            uint32_t id = (uint32_t)t->valuedouble;
            vx_buf_append(&in->bytes, &id, sizeof(id));
            in->tokens++;
        }
        return true;
    }
    invalid(r, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", NULL);
    return false;
}

static const char *allowed_keys[] = {"model", "input", "encoding_format", "dimensions", "user", NULL};

static void record_last(const char *auth, const char *encoding, int dimensions, const cJSON *body)
{
    cJSON_Delete(S.last);
    S.last = cJSON_CreateObject();
    cJSON_AddStringToObject(S.last, "auth", auth);
    cJSON_AddStringToObject(S.last, "encoding", encoding != NULL ? encoding : "");
    cJSON_AddNumberToObject(S.last, "dimensions", dimensions);
    cJSON *keys = cJSON_AddArrayToObject(S.last, "keys");
    const cJSON *m;
    cJSON_ArrayForEach(m, body) cJSON_AddItemToArray(keys, cJSON_CreateString(m->string));
}

static void ok_headers(fake_response *r, int tokens)
{
    vx_buf_printf(&r->headers,
                  "x-request-id: req_fake%08x\r\nopenai-processing-ms: 12\r\nopenai-organization: user-fake\r\n"
                  "openai-version: 2020-10-01\r\nx-ratelimit-limit-requests: 3000\r\nx-ratelimit-limit-tokens: 1000000\r\n"
                  "x-ratelimit-remaining-requests: 2999\r\nx-ratelimit-remaining-tokens: %d\r\n"
                  "x-ratelimit-reset-requests: 20ms\r\nx-ratelimit-reset-tokens: %dms\r\n",
                  (unsigned)S.requests, 1000000 - tokens, tokens / 1000 + 1);
}

/* An injected failure; false when the request goes on normally (after a hang). */
static bool inject(fake_response *r)
{
    S.fail_count--;
    S.injected++;
    const char *mode = S.fail_mode;
    if (strcmp(mode, "rate_limit") == 0 || strcmp(mode, "rate_limit_tokens") == 0) {
        bool tokens = strcmp(mode, "rate_limit_tokens") == 0;
        openai_error(r, 429,
                     tokens ? "Rate limit reached for text-embedding-3-small in organization org-fake on tokens per min (TPM): "
                              "Limit 1000000, Used 1000000, Requested 1000. Please try again in 6m0s. Visit "
                              "https://platform.openai.com/account/rate-limits to learn more."
                            : "Rate limit reached for text-embedding-3-small in organization org-fake on requests per min (RPM): "
                              "Limit 3000, Used 3000, Requested 1. Please try again in 20ms. Visit "
                              "https://platform.openai.com/account/rate-limits to learn more.",
                     tokens ? "tokens" : "requests", NULL, "rate_limit_exceeded");
        vx_buf_printf(&r->headers,
                      "x-ratelimit-limit-requests: 3000\r\nx-ratelimit-limit-tokens: 1000000\r\n"
                      "x-ratelimit-remaining-requests: %d\r\nx-ratelimit-remaining-tokens: %d\r\n",
                      tokens ? 2999 : 0, tokens ? 0 : 999000);
        if (S.reset_requests[0] != '\0')
            vx_buf_printf(&r->headers, "x-ratelimit-reset-requests: %s\r\n", S.reset_requests);
        if (S.reset_tokens[0] != '\0')
            vx_buf_printf(&r->headers, "x-ratelimit-reset-tokens: %s\r\n", S.reset_tokens);
        if (S.retry_after[0] != '\0')
            vx_buf_printf(&r->headers, "Retry-After: %s\r\n", S.retry_after);
    } else if (strcmp(mode, "quota") == 0) {
        openai_error(r, 429,
                     "You exceeded your current quota, please check your plan and billing details. For more information on "
                     "this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
                     "insufficient_quota", NULL, "insufficient_quota");
    } else if (strcmp(mode, "server_error") == 0) {
        openai_error(r, 500, "The server had an error while processing your request. Sorry about that!", "server_error", NULL,
                     NULL);
    } else if (strcmp(mode, "overloaded") == 0) {
        openai_error(r, 503, "The engine is currently overloaded, please try again later", "server_error", NULL, NULL);
        if (S.retry_after[0] != '\0')
            vx_buf_printf(&r->headers, "Retry-After: %s\r\n", S.retry_after);
    } else if (strcmp(mode, "bad_request") == 0) {
        invalid(r, "fake: this request is refused", NULL);
    } else if (strcmp(mode, "hang") == 0) {
        int ms = S.hang_ms;
        pthread_mutex_unlock(&S.lock);
        for (int waited = 0; waited < ms; waited += 50)
            usleep(50000);
        pthread_mutex_lock(&S.lock);
        return false;
    } else {
        openai_error(r, 500, "fake: unknown failure mode", "server_error", NULL, NULL);
    }
    return true;
}

/* "sk-ab***wxyz": how OpenAI quotes a wrong key. */
static void masked(const char *key, char *out, size_t out_len)
{
    size_t n = strlen(key);
    if (n <= 8)
        snprintf(out, out_len, "%.2s***", key);
    else
        snprintf(out, out_len, "%.5s***%s", key, key + n - 4);
}

static void embeddings(const fake_request *q, fake_response *r)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    S.requests++;
    cJSON_AddItemToArray(S.times, cJSON_CreateNumber((double)(now.tv_sec - S.started.tv_sec) * 1000.0 +
                                                     (double)(now.tv_nsec - S.started.tv_nsec) / 1e6));
    const char *auth = "missing";
    if (strncmp(q->auth, "Bearer ", 7) == 0)
        auth = strcmp(q->auth + 7, S.key) == 0 ? "ok" : "wrong";
    cJSON *body = cJSON_ParseWithLength(q->body, q->body_len);
    const cJSON *enc = cJSON_GetObjectItemCaseSensitive(body, "encoding_format");
    const cJSON *dims = cJSON_GetObjectItemCaseSensitive(body, "dimensions");
    record_last(auth, cJSON_IsString(enc) ? enc->valuestring : NULL, cJSON_IsNumber(dims) ? dims->valueint : 0, body);
    input *ins = NULL;
    int nin = 0;
    if (!S.no_auth && strcmp(auth, "missing") == 0) {
        openai_error(r, 401,
                     "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer "
                     "auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (i.e. YOUR_KEY) when using HTTP "
                     "Basic auth. You can obtain an API key from https://platform.openai.com/account/api-keys.",
                     "invalid_request_error", NULL, NULL);
        goto out;
    }
    if (!S.no_auth && strcmp(auth, "wrong") == 0) {
        char m[64], msg[256];
        masked(q->auth + 7, m, sizeof(m));
        snprintf(msg, sizeof(msg),
                 "Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys.", m);
        openai_error(r, 401, msg, "invalid_request_error", NULL, "invalid_api_key");
        goto out;
    }
    if (S.fail_count > 0 && inject(r))
        goto out;
    if (!cJSON_IsObject(body)) {
        invalid(r,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
                "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.",
                NULL);
        goto out;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, body)
    {
        bool known = false;
        for (size_t i = 0; allowed_keys[i] != NULL; i++)
            known = known || strcmp(m->string, allowed_keys[i]) == 0;
        if (!known) {
            char msg[256];
            snprintf(msg, sizeof(msg), "Unrecognized request argument supplied: %.100s", m->string);
            invalid(r, msg, NULL);
            goto out;
        }
    }
    const cJSON *mod = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (!cJSON_IsString(mod)) {
        invalid(r, "you must provide a model parameter", NULL);
        goto out;
    }
    const model *md = find_model(mod->valuestring);
    if (md == NULL) {
        char msg[256];
        snprintf(msg, sizeof(msg), "The model `%.100s` does not exist or you do not have access to it.", mod->valuestring);
        openai_error(r, 404, msg, "invalid_request_error", NULL, "model_not_found");
        goto out;
    }
    const char *encoding = "float";
    if (enc != NULL) {
        if (!cJSON_IsString(enc) || (strcmp(enc->valuestring, "float") != 0 && strcmp(enc->valuestring, "base64") != 0)) {
            invalid(r, "'$.encoding_format' is invalid: must be one of ['float', 'base64']", "encoding_format");
            goto out;
        }
        encoding = enc->valuestring;
    }
    int dim = md->dim;
    if (dims != NULL) {
        if (!cJSON_IsNumber(dims) || dims->valuedouble < 1 || dims->valuedouble != floor(dims->valuedouble)) {
            invalid(r, "'$.dimensions' is invalid: must be an integer greater than or equal to 1", "dimensions");
            goto out;
        }
        if (!md->dimensions_ok) {
            invalid(r, "This model does not support specifying dimensions.", NULL);
            goto out;
        }
        if (dims->valuedouble > md->dim) {
            char msg[128];
            snprintf(msg, sizeof(msg), "This model's maximum dimensions is %d.", md->dim); /* [?] contract §4 */
            invalid(r, msg, "dimensions");
            goto out;
        }
        dim = dims->valueint;
    }
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(body, "user");
    if (user != NULL && !cJSON_IsString(user)) {
        invalid(r, "'$.user' is invalid: must be a string", "user");
        goto out;
    }
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(body, "input");
    if (in == NULL) {
        invalid(r, "'input' is a required property", NULL);
        goto out;
    }
    /* One input: a string or an array of token ids; several: an array of strings or of token arrays. */
    bool token_ids = cJSON_IsArray(in) && cJSON_GetArraySize(in) > 0 && cJSON_IsNumber(in->child);
    int count = cJSON_IsArray(in) && !token_ids ? cJSON_GetArraySize(in) : 1;
    if (count < 1 || count > MAX_INPUTS) {
        invalid(r, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", NULL);
        goto out;
    }
    ins = calloc((size_t)count, sizeof(input));
    if (ins == NULL)
        abort();
    nin = count;
    long total = 0;
    int largest = 0;
    if (!cJSON_IsArray(in) || token_ids) {
        if (!read_input(in, true, &ins[0], r))
            goto out;
    } else {
        int i = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, in)
        {
            if (!read_input(item, true, &ins[i++], r))
                goto out;
        }
    }
    for (int i = 0; i < nin; i++) {
        if (ins[i].tokens > MAX_INPUT_TOKENS) {
            char msg[320];
            snprintf(msg, sizeof(msg),
                     "This model's maximum context length is %d tokens, however you requested %d tokens (%d in your prompt; 0 for "
                     "the completion). Please reduce your prompt; or completion length.",
                     MAX_INPUT_TOKENS, ins[i].tokens, ins[i].tokens);
            invalid(r, msg, NULL);
            goto out;
        }
        total += ins[i].tokens;
        if ((int)ins[i].bytes.len > largest)
            largest = (int)ins[i].bytes.len;
    }
    if (total > MAX_TOKENS) {
        char msg[128];
        snprintf(msg, sizeof(msg), "Requested %ld tokens, max %d tokens per request", total, MAX_TOKENS);
        invalid(r, msg, NULL);
        goto out;
    }
    /* The answer, in the order asked or shuffled (index stays each vector's input). */
    int *order = malloc((size_t)nin * sizeof(int));
    float *v = malloc((size_t)dim * sizeof(float));
    if (order == NULL || v == NULL)
        abort();
    for (int i = 0; i < nin; i++)
        order[i] = i;
    for (int i = nin - 1; S.shuffle && i > 0; i--) {
        int j = (int)(splitmix64(&S.shuffle_seed) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    bool b64 = strcmp(encoding, "base64") == 0 && !S.force_float;
    r->status = 200;
    vx_buf_puts(&r->body, "{\"object\":\"list\",\"data\":[");
    for (int k = 0; k < nin; k++) {
        int i = order[k];
        vector_of((const unsigned char *)ins[i].bytes.data, ins[i].bytes.len, dim, v);
        vx_buf_printf(&r->body, "%s{\"object\":\"embedding\",\"index\":%d,\"embedding\":", k > 0 ? "," : "", i);
        if (b64) {
            uint8_t *le = malloc((size_t)dim * 4);
            if (le == NULL)
                abort();
            for (int d = 0; d < dim; d++) {
                uint32_t u;
                memcpy(&u, &v[d], 4);
                le[d * 4] = (uint8_t)u, le[d * 4 + 1] = (uint8_t)(u >> 8), le[d * 4 + 2] = (uint8_t)(u >> 16),
                       le[d * 4 + 3] = (uint8_t)(u >> 24);
            }
            char *s = vx_base64_encode(le, (size_t)dim * 4);
            if (s == NULL)
                abort();
            vx_buf_printf(&r->body, "\"%s\"}", s);
            free(s);
            free(le);
        } else {
            vx_buf_putc(&r->body, '[');
            for (int d = 0; d < dim; d++)
                vx_buf_printf(&r->body, "%s%.9g", d > 0 ? "," : "", (double)v[d]);
            vx_buf_puts(&r->body, "]}");
        }
    }
    vx_buf_puts(&r->body, "],\"model\":");
    vx_buf_json_string(&r->body, md->name, strlen(md->name));
    vx_buf_printf(&r->body, ",\"usage\":{\"prompt_tokens\":%ld,\"total_tokens\":%ld}}", total, total);
    ok_headers(r, (int)total);
    free(order);
    free(v);
    S.ok++;
    S.inputs += nin;
    S.max_inputs = nin > S.max_inputs ? nin : S.max_inputs;
    S.max_tokens = total > S.max_tokens ? (int)total : S.max_tokens;
    S.max_input_bytes = largest > S.max_input_bytes ? largest : S.max_input_bytes;
    cJSON_AddItemToArray(S.batches, cJSON_CreateNumber(nin));
out:
    for (int i = 0; i < nin; i++)
        vx_buf_free(&ins[i].bytes);
    free(ins);
    cJSON_Delete(body);
}

/* ---- control ---- */

static void reset_state(void)
{
    S.fail_mode[0] = S.retry_after[0] = S.reset_requests[0] = S.reset_tokens[0] = '\0';
    S.fail_count = S.hang_ms = 0;
    S.shuffle = S.force_float = S.no_auth = false;
    S.requests = S.ok = S.inputs = S.injected = S.max_inputs = S.max_tokens = S.max_input_bytes = 0;
    cJSON_Delete(S.batches);
    cJSON_Delete(S.times);
    cJSON_Delete(S.last);
    S.batches = cJSON_CreateArray();
    S.times = cJSON_CreateArray();
    S.last = cJSON_CreateObject();
    clock_gettime(CLOCK_MONOTONIC, &S.started);
}

static void copy_str(const cJSON *in, const char *key, char *out, size_t out_len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    snprintf(out, out_len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static void control(const fake_request *q, fake_response *r)
{
    cJSON *in = cJSON_ParseWithLength(q->body, q->body_len);
    bool post = strcmp(q->method, "POST") == 0;
    if (strcmp(q->path, "/_fake/fail") == 0 && post) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(in, "count"), *ms = cJSON_GetObjectItemCaseSensitive(in, "ms");
        copy_str(in, "mode", S.fail_mode, sizeof(S.fail_mode));
        copy_str(in, "retryAfter", S.retry_after, sizeof(S.retry_after));
        copy_str(in, "resetRequests", S.reset_requests, sizeof(S.reset_requests));
        copy_str(in, "resetTokens", S.reset_tokens, sizeof(S.reset_tokens));
        S.fail_count = cJSON_IsNumber(n) ? n->valueint : 1;
        S.hang_ms = cJSON_IsNumber(ms) ? ms->valueint : 3000;
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/config") == 0 && post) {
        const cJSON *v;
        if (cJSON_IsBool(v = cJSON_GetObjectItemCaseSensitive(in, "shuffle")))
            S.shuffle = cJSON_IsTrue(v);
        if (cJSON_IsBool(v = cJSON_GetObjectItemCaseSensitive(in, "forceFloat")))
            S.force_float = cJSON_IsTrue(v);
        if (cJSON_IsBool(v = cJSON_GetObjectItemCaseSensitive(in, "auth")))
            S.no_auth = !cJSON_IsTrue(v);
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/state") == 0 && strcmp(q->method, "GET") == 0) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddNumberToObject(out, "requests", S.requests);
        cJSON_AddNumberToObject(out, "ok", S.ok);
        cJSON_AddNumberToObject(out, "inputs", S.inputs);
        cJSON_AddNumberToObject(out, "injected", S.injected);
        cJSON_AddNumberToObject(out, "maxInputs", S.max_inputs);
        cJSON_AddNumberToObject(out, "maxTokens", S.max_tokens);
        cJSON_AddNumberToObject(out, "maxInputBytes", S.max_input_bytes);
        cJSON_AddItemToObject(out, "batches", cJSON_Duplicate(S.batches, true));
        cJSON_AddItemToObject(out, "times", cJSON_Duplicate(S.times, true));
        cJSON_AddItemToObject(out, "last", cJSON_Duplicate(S.last, true));
        fake_json_body(r, 200, out);
    } else if (strcmp(q->path, "/_fake/reset") == 0 && post) {
        reset_state();
        r->status = 204;
    } else {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "error", "no such control endpoint");
        fake_json_body(r, 404, e);
    }
    cJSON_Delete(in);
}

static void route(fake_request *q, fake_response *r)
{
    pthread_mutex_lock(&S.lock);
    if (strncmp(q->path, "/_fake/", 7) == 0) {
        control(q, r);
    } else if (strcmp(q->path, "/v1/embeddings") == 0 && strcmp(q->method, "POST") == 0) {
        embeddings(q, r);
    } else if (strcmp(q->path, "/v1/embeddings") == 0) {
        openai_error(r, 405, "Not allowed to GET on /v1/embeddings. (HINT: Perhaps you meant to use a different HTTP method?)",
                     "invalid_request_error", NULL, NULL);
    } else {
        char msg[2200];
        snprintf(msg, sizeof(msg), "Invalid URL (%s %s)", q->method, q->path);
        openai_error(r, 404, msg, "invalid_request_error", NULL, NULL);
    }
    pthread_mutex_unlock(&S.lock);
}

int main(void)
{
    vx_log_init("openai-embeddings-fake");
    const char *port_s = getenv("OPENAI_FAKE_PORT");
    S.key = getenv("OPENAI_FAKE_KEY");
    if (port_s == NULL || atoi(port_s) <= 0 || S.key == NULL || S.key[0] == '\0') {
        fprintf(stderr, "openai_embeddings fake: set OPENAI_FAKE_PORT and OPENAI_FAKE_KEY\n");
        return 2;
    }
    add_model("text-embedding-3-small", 1536, true);
    add_model("text-embedding-3-large", 3072, true);
    add_model("text-embedding-ada-002", 1536, false);
    const char *more = getenv("OPENAI_FAKE_MODELS");
    for (const char *p = more; p != NULL && *p != '\0';) {
        char name[64];
        int dim = 0, used = 0;
        if (sscanf(p, "%63[^:,]:%d%n", name, &dim, &used) != 2 || dim < 1 || dim > 65536) {
            fprintf(stderr, "openai_embeddings fake: OPENAI_FAKE_MODELS is name:dim,name:dim\n");
            return 2;
        }
        add_model(name, dim, true);
        p += used;
        if (*p == ',')
            p++;
    }
    S.shuffle_seed = 42;
    reset_state();
    int rc = fake_http_serve(atoi(port_s), route);
    cJSON_Delete(S.batches);
    cJSON_Delete(S.times);
    cJSON_Delete(S.last);
    return rc;
}
