/*
 * chunker: text cut into the chunks rag-search embeds and searches, each
 * under its heading path so that a chunk under "Prices > Whitening" is found
 * by those words too.
 *
 * Input is plain text as markdown_to_text or pdf-text give it (any bytes are
 * accepted: text_clean first): a line "#… text" ('#' 1-6 times, a space) is a
 * heading of that level; blank lines and form feeds end paragraphs; a line
 * starting with a list marker ("- ", "* ", "+ ", "• ", "12. ", "3) ")
 * starts a paragraph of its own; the other lines of a paragraph are joined
 * (a word hyphenated across two lines is joined back).
 *
 * A paragraph is cut into sentences, which are never split unless one is
 * longer than max_chars (then it is cut between words, or between characters
 * when one word is longer still; never inside a UTF-8 character). A sentence
 * ends at '.', '!', '?' or '…' (closing quotes and brackets kept with it)
 * followed by white space and a capital letter, digit, opening quote or
 * non-ASCII letter — so not at "e.g. the", "$49.99", "Dr. Smith",
 * "J. R. Smith", "9 a.m. Tuesday" or "Mr. Jones".
 *
 * Sentences are packed into chunks of about target_chars (up to max_chars to
 * keep a short chunk from being cut off). A chunk after the first of a
 * section starts with the last whole sentences of the one before, up to
 * overlap_chars. A heading starts a new chunk; a heading without text under
 * it makes none. Sizes count code points of the body; the heading path line
 * comes on top (each heading at most 120 characters).
 *
 * Deterministic; time linear in the input (plus the output's overlap).
 */
#ifndef RAG_SEARCH_INGEST_CHUNKER_H
#define RAG_SEARCH_INGEST_CHUNKER_H

#include <stddef.h>

typedef struct chunker_config {
    size_t target_chars;  /* a chunk is closed when the next sentence would pass this */
    size_t max_chars;     /* no chunk body is longer */
    size_t overlap_chars; /* whole sentences repeated from the chunk before, at most */
    size_t max_chunks;    /* more: CHUNKER_TOO_MANY */
} chunker_config;

typedef struct chunker_chunk {
    size_t ordinal;     /* 0, 1, 2… in document order */
    char *heading_path; /* "Prices > Whitening"; "" before the first heading */
    char *text;         /* "Prices > Whitening\n" (when there is a path) then the body; NUL-terminated */
    size_t text_len;
} chunker_chunk;

typedef struct chunker_list {
    chunker_chunk *items; /* owned, with every string in them */
    size_t count;
} chunker_list;

typedef enum {
    CHUNKER_OK = 0,
    CHUNKER_TOO_MANY = 1, /* the document would make more than max_chunks chunks: none are returned */
} chunker_status;

/* Fills cfg with the defaults (chunker.c says why these): 700 / 1,000 / 120, 10,000 chunks. */
void chunker_config_default(chunker_config *cfg);

/* Cuts text[0..len) into *out (which the caller frees with chunker_list_free,
 * whatever the status; empty for an empty text). A config out of shape is
 * mended: max_chars at least target_chars, overlap at most half the target. */
chunker_status chunker_split(const chunker_config *cfg, const char *text, size_t len, chunker_list *out);

void chunker_list_free(chunker_list *list);

#endif
