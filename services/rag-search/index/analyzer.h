/*
 * analyzer: the words BM25 indexes and looks up — the same steps for a chunk
 * and for a caller's question, so "whitening" asked finds "Whitening" written.
 *
 * A term is a run of letters and digits (any non-ASCII letter counts as a
 * letter), lowercased, Latin-1 accents folded ("Müller" and "Muller" are one
 * surname), possessive 's dropped, English stop words removed, and stemmed
 * with Snowball's English stemmer ("cleanings" and "cleaning" meet). Numbers
 * keep an inner '.' or ',' ("49.99", "1,200"): a price asked is found as
 * written. Each term is reduced to a 64-bit hash: the index needs no strings.
 *
 * Thread safety: an analyzer is used by one thread at a time (libstemmer's
 * stemmer keeps state); make one per thread.
 */
#ifndef RAG_SEARCH_INDEX_ANALYZER_H
#define RAG_SEARCH_INDEX_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#define ANALYZER_MAX_TERM 64 /* bytes; a longer run is cut (no real word is that long) */

typedef struct analyzer analyzer;

/* NULL (logged) when the stemmer cannot be made. */
analyzer *analyzer_create(void);
void analyzer_destroy(analyzer *a);

/* Called once per term of the text, in order (repeats included). */
typedef void (*analyzer_emit)(uint64_t term, void *arg);
/* Analyzes len bytes of text (any bytes: invalid UTF-8 separates terms).
 * Returns the number of terms emitted. */
size_t analyzer_terms(analyzer *a, const char *text, size_t len, analyzer_emit emit, void *arg);

/* The hash of one already-normalised term (tests, and stop words). */
uint64_t analyzer_hash(const char *term, size_t len);

#endif
