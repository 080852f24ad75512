/*
 * openai: an embedder (embed/embedder.h) over an OpenAI-compatible
 * POST /v1/embeddings (contracts/providers.md §4) — OpenAI itself, or any
 * local server speaking the API. rag-search uses it instead of the built-in
 * model when EMBEDDINGS_BASE_URL is set.
 *
 * The wire:
 *  - URL: EMBEDDINGS_BASE_URL with or without its "/v1": "https://api.openai.com"
 *    and "https://api.openai.com/v1" (the SDKs' form) both reach
 *    https://api.openai.com/v1/embeddings (openai_wire_embeddings_url);
 *  - "Authorization: Bearer <key>" when a key is set (none for a local server
 *    without one); {"model","input":[…],"encoding_format":"base64"
 *    [,"dimensions"]}. base64 because it is 2.5 times smaller than float
 *    arrays and 15 times quicker to read (2048 × 1536 values: 16.9 MB parsed
 *    in 0.05 s, against 43 MB in 0.8 s and a cJSON node per value); an answer
 *    with float arrays (a server that ignores encoding_format) is read too;
 *  - one embed call may make several requests, each within the contract's
 *    limits: at most batch_inputs (≤ 2048) inputs and 300,000 tokens summed.
 *    Tokens are estimated as the text's bytes, an upper bound for OpenAI's
 *    byte-level tokenizers (openai_wire_token_estimate); an input over 8192
 *    bytes is cut there, on a UTF-8 boundary, so it never meets the model's
 *    8192-token limit (logged with its position and lengths, never its text).
 *    An empty or non-UTF-8 text is EMBED_FAILED before any request (the API
 *    refuses empty input);
 *  - results are placed by data[i].index (each index exactly once), every
 *    vector must have dim values, and is L2-normalised here.
 *
 * dim is known at open: EMBEDDINGS_DIMENSIONS when set (then sent as
 * "dimensions"), else the model's own for OpenAI's models
 * (text-embedding-3-small 1536, -3-large 3072, ada-002 1536), else one probe
 * request at open (whose failure fails the open, with its reason).
 *
 * Outcomes: 429 rate_limit_exceeded (and a 429 without a code), 408, 5xx and
 * network errors (a timeout included) are retried, up to max_attempts per
 * request, waiting what the answer says (Retry-After, else
 * x-ratelimit-reset-tokens or -requests as the error's type names, else the
 * later of the two) or else 250 ms doubling to 4 s; all the waits of one
 * embed call together stay within retry_budget_ms: a wait that would pass it
 * is not made, the call answers EMBED_RETRY at once. 429 insufficient_quota
 * is EMBED_QUOTA at once. 401 and 403 are EMBED_FAILED ("the provider
 * refused the API key"; OpenAI's message, which quotes part of the key, is
 * not kept); another 4xx is EMBED_FAILED with OpenAI's type and message
 * (the key cut out if it were there). An answer that breaks the contract
 * (an index missing, a wrong size, a zero vector) is EMBED_FAILED.
 *
 * Neither the key nor a text is ever logged or put in a reason; the
 * Authorization header is wiped after each request.
 *
 * Thread safety: embed may be called from several threads at once (the
 * configuration is read-only; a request, its buffers and its waits are the
 * call's own).
 */
#ifndef RAG_SEARCH_CLIENTS_OPENAI_H
#define RAG_SEARCH_CLIENTS_OPENAI_H

#include <stdbool.h>
#include <stddef.h>

#include "embed/embedder.h"

/* Texts one embed call takes at most (it makes as many requests as needed). */
#define OPENAI_EMBEDDER_MAX_BATCH 8192

typedef struct openai_embedder_config {
    const char *base_url; /* EMBEDDINGS_BASE_URL: http(s)://host[:port][/prefix][/v1] */
    const char *api_key;  /* EMBEDDINGS_API_KEY; NULL or "": no Authorization header (a local server) */
    const char *model;    /* EMBEDDINGS_MODEL, default "text-embedding-3-small" */
    int dimensions;       /* EMBEDDINGS_DIMENSIONS, 0 (default): the model's own, "dimensions" not sent */
    long timeout_ms;      /* EMBEDDINGS_TIMEOUT_MS, per request, default 30000, in [100, 60000] */
    long retry_budget_ms; /* EMBEDDINGS_RETRY_BUDGET_MS, all the waits of one embed call, default 20000, in [0, 600000] */
    int max_attempts;     /* EMBEDDINGS_MAX_ATTEMPTS, per request, default 4, in [1, 10] */
    int batch_inputs;     /* EMBEDDINGS_BATCH_INPUTS, inputs per request at most, default 2048, in [1, 2048] */
} openai_embedder_config;

/* Fills cfg from the environment (vx_config: a malformed number exits 2)
 * with the defaults above. Returns false, cfg filled all the same, when
 * EMBEDDINGS_BASE_URL is unset or empty: the built-in model is to be used.
 * The strings point into the environment. */
bool openai_embedder_config_load(openai_embedder_config *cfg);

/* An embedder for cfg (copied: cfg may go once this returns), or NULL with
 * why (why_len bytes, no secret) when cfg is unusable — a base URL that is
 * not http(s), dimensions above a known model's own — or, for a model of
 * unknown size without dimensions, when the probe request fails. The caller
 * frees it with embedder_destroy. model is cfg's model, dim its size,
 * max_batch OPENAI_EMBEDDER_MAX_BATCH. */
embedder *openai_embedder_open(const openai_embedder_config *cfg, char *why, size_t why_len);

#endif
