/*
 * openai_wire: the pure parts of the OpenAI-compatible embeddings client
 * (clients/openai.c), apart so they are unit-tested and fuzzed on their own:
 * the endpoint's URL, the token estimate and the cut of an over-long input,
 * the planning of requests, the "x-ratelimit-reset-*" durations, base64
 * vectors, the 200 answer and the error body (contracts/providers.md §4).
 *
 * No I/O, no logging, no global state: every function may be called from
 * any thread at once.
 */
#ifndef RAG_SEARCH_CLIENTS_OPENAI_WIRE_H
#define RAG_SEARCH_CLIENTS_OPENAI_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "embed/embedder.h"
#include "vx_buf.h"

/* The contract's limits (§4): inputs per request, tokens per input, tokens summed per request. */
#define OPENAI_WIRE_MAX_INPUTS       2048
#define OPENAI_WIRE_MAX_INPUT_TOKENS 8192
#define OPENAI_WIRE_MAX_TOKENS       300000

/* Appends the embeddings endpoint for base to out: base without its trailing
 * '/'s, then "/embeddings" when it already ends in "/v1" (the OpenAI SDKs'
 * convention, "https://api.openai.com/v1"), else "/v1/embeddings"
 * ("https://api.openai.com", "http://127.0.0.1:8080"). Returns -1 (out
 * untouched) when base is not an http:// or https:// URL. */
int openai_wire_embeddings_url(const char *base, vx_buf *out);

/* An upper bound of the tokens text[0..len) can count as: its byte count.
 * The tokenizers of OpenAI's embedding models (cl100k_base) are byte-level
 * BPE with every single byte in the vocabulary, so no text ever takes more
 * tokens than it has bytes; English prose takes about a quarter of that. */
size_t openai_wire_token_estimate(const char *text, size_t len);

/* How many bytes of text[0..len) to send so the estimate stays within
 * max_tokens: len when it does, else the longest prefix that ends on a UTF-8
 * sequence boundary (never splitting a code point). */
size_t openai_wire_cut(const char *text, size_t len, size_t max_tokens);

/* True when text[0..len) is valid UTF-8 (RFC 3629). */
bool openai_wire_utf8_valid(const char *text, size_t len);

/* Plans one request: the end (exclusive) of the run of inputs from start
 * whose count is at most max_inputs and whose tokens[] sum to at most
 * max_tokens; at least start + 1 (an input is never above max_tokens once
 * cut). start < n. */
size_t openai_wire_batch_end(const size_t *tokens, size_t start, size_t n, size_t max_inputs, size_t max_tokens);

/* A Go duration as OpenAI's "x-ratelimit-reset-*" headers write it ("12ms",
 * "1s", "6m0s", "1.5s", "1h2m3.5s"; units ns, us, µs, ms, s, m, h) in
 * milliseconds, rounded up; a bare number is seconds (as Retry-After).
 * Returns -1 when s is NULL, empty or not such a duration; caps at a day. */
long openai_wire_duration_ms(const char *s);

/* Decodes standard base64 (RFC 4648 §4, '=' padding optional) of exactly
 * dim little-endian IEEE-754 float32 values into out[0..dim). Returns 0, or
 * -1 when s is not that (another alphabet, a wrong length). */
int openai_wire_base64_floats(const char *s, size_t len, float *out, size_t dim);

/* Scales v[0..dim) to unit L2 norm. Returns -1 (v untouched) when a value is
 * not finite or every value is 0. */
int openai_wire_normalise(float *v, size_t dim);

/* Reads a 200 answer to a request of n inputs: {"data":[{"index","embedding"}…]}
 * with each embedding a base64 string or an array of numbers. *dim is the
 * expected size (0: unknown, then the first vector fixes it and is written
 * back). Each vector goes to out[index * dim], normalised; out holds cap
 * floats. EMBED_OK, or EMBED_FAILED with why (what is wrong: not JSON, an
 * index missing, twice or out of range, a vector of the wrong size, a zero
 * vector, more than cap floats). */
embed_status openai_wire_parse_answer(const char *body, size_t len, size_t n, int *dim, float *out, size_t cap, char *why,
                                      size_t why_len);

/* An OpenAI error body {"error":{"message","type","param","code"}}: its
 * type, code and message copied (each "" when absent or not a string; cut to
 * fit). Anything else: all three "". */
typedef struct openai_wire_error {
    char type[64];
    char code[64];
    char message[256];
} openai_wire_error;
void openai_wire_parse_error(const char *body, size_t len, openai_wire_error *err);

#endif
