/*
 * spm: the SentencePiece unigram tokenizer of the built-in embedder
 * (embed/use_lite.h), exactly as the reference (@energetic-ai/embeddings'
 * Tokenizer, from TensorFlow.js' universal-sentence-encoder) tokenizes for
 * Universal Sentence Encoder lite:
 *   - the text is NFKC-normalised (ICU; the reference is Node's ICU, so a
 *     character newer than the system's Unicode tables may normalise
 *     differently), then, unless empty, "▁" (U+2581) is put in front and every
 *     U+0020 becomes "▁" (tabs, newlines and the like stay as they are);
 *   - Viterbi over code points: at each position every vocabulary piece that
 *     starts there (the first 6 entries, <unk> <s> </s> and the 3 extras, are
 *     never matched); where none does, the one code point is an unknown piece
 *     of id 0 and score 0. A position's best is replaced when it is still
 *     exactly 0 or when a candidate scores >= it, candidates coming in order
 *     of their start (so the reference's ties and its "0 means unset" quirk
 *     give the same ids here);
 *   - the backward pass steps back by the UTF-16 length of the chosen piece
 *     (the reference's JavaScript string length), and runs of id 0 merge into
 *     one.
 * Ids are vocabulary indices, which are the model's embedding rows (no
 * offset). The empty text has no token.
 *
 * Bounds: a text is tokenized up to SPM_MAX_INPUT bytes (cut at a UTF-8
 * sequence boundary) and SPM_MAX_SYMBOLS code points after normalisation; the
 * reference has no limit. The model reads only the first 128 tokens, and these
 * are the reference's unless they span more than 64 KiB of text, which takes
 * a run of tens of thousands of characters the vocabulary does not know (such
 * a run is one token). Bytes that are not UTF-8 become U+FFFD each: unknown
 * pieces, as the replacement characters a JavaScript decoder would give.
 *
 * Thread safety: an spm is read-only once loaded; encode from any thread.
 */
#ifndef RAG_SEARCH_EMBED_SPM_H
#define RAG_SEARCH_EMBED_SPM_H

#include <stddef.h>
#include <stdint.h>

#define SPM_MAX_INPUT   65536
#define SPM_MAX_SYMBOLS 65536
/* Ids 0..5 are reserved: 0 is the unknown piece. */
#define SPM_UNK_ID   0
#define SPM_RESERVED 6

typedef struct spm spm;

/* Builds the tokenizer from a vocabulary in the model's vocab.json form, a JSON
 * array of [piece, score] pairs (index = id; a null score is 0, as in the
 * reference's arithmetic: the model has 7, the pieces with ':'). NULL with why filled (nothing
 * logged: the caller reports it) when the JSON is not that. */
spm *spm_create(const char *json, size_t len, char *why, size_t why_len);
/* The same from a file (at most 16 MiB). */
spm *spm_load(const char *path, char *why, size_t why_len);
void spm_destroy(spm *s);

/* Entries in the vocabulary. */
size_t spm_size(const spm *s);
/* Bytes the tokenizer keeps in memory. */
size_t spm_memory(const spm *s);

/* Tokenizes text[0..len) (UTF-8; NUL is a character like any other) and
 * writes the first min(count, max_ids) ids to ids. Returns count, the number of
 * tokens of the whole (bounded) text, as snprintf does. Aborts only if memory
 * runs out. */
size_t spm_encode(const spm *s, const char *text, size_t len, int32_t *ids, size_t max_ids);

#endif
