/*
 * analyzer: terms for BM25 (see analyzer.h).
 *
 * Design: one pass over the bytes builds each word into a small buffer
 * (already lowercased and folded), then the word is dropped (a stop word),
 * kept as it is (a number) or stemmed, and hashed. Stop words are checked
 * before stemming, on the word as written, as Snowball's own list is meant.
 */
#include "index/analyzer.h"

#include <libstemmer.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vx_log.h"
#include "vx_utf8.h"

struct analyzer {
    struct sb_stemmer *stemmer;
};

/* English function words: frequent everywhere, so worth nothing to BM25 and
 * costly to score. Sorted (bsearch). Words a caller's question turns on —
 * "not", "no", "open", "when", numbers — are deliberately absent. */
static const char *const STOP_WORDS[] = {
    "a",       "about",    "above",      "after",   "again",      "all",    "also",   "am",     "an",        "and",     "any",
    "are",     "as",       "at",         "be",      "because",    "been",   "before", "being",  "below",     "between", "both",
    "but",     "by",       "can",        "could",   "did",        "do",     "does",   "doing",  "down",      "during",  "each",
    "few",     "for",      "from",       "further", "had",        "has",    "have",   "having", "he",        "her",     "here",
    "hers",    "herself",  "him",        "himself", "his",        "i",      "if",     "in",     "into",      "is",      "it",
    "its",     "itself",   "just",       "me",      "might",      "more",   "most",   "must",   "my",        "myself",  "of",
    "off",     "on",       "once",       "only",    "or",         "other",  "our",    "ours",   "ourselves", "out",     "over",
    "own",     "please",   "same",       "shall",   "she",        "should", "so",     "some",   "such",      "than",    "that",
    "the",     "their",    "theirs",     "them",    "themselves", "then",   "there",  "these",  "they",      "this",    "those",
    "through", "to",       "too",        "under",   "until",      "up",     "us",     "very",   "was",       "we",      "were",
    "what",    "which",    "while",      "who",     "whom",       "why",    "will",   "with",   "would",     "you",     "your",
    "yours",   "yourself", "yourselves",
};

static int compare_word(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

static bool is_stop_word(const char *w)
{
    return bsearch(w, STOP_WORDS, sizeof(STOP_WORDS) / sizeof(STOP_WORDS[0]), sizeof(STOP_WORDS[0]), compare_word) != NULL;
}

uint64_t analyzer_hash(const char *term, size_t len)
{
    /* FNV-1a, then a finalizer that spreads the bits (the index's table
     * takes the low ones). */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)term[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

analyzer *analyzer_create(void)
{
    analyzer *a = calloc(1, sizeof(*a));
    if (a == NULL)
        abort();
    a->stemmer = sb_stemmer_new("english", "UTF_8");
    if (a->stemmer == NULL) {
        vx_log_error(NULL, NULL, "cannot create the English stemmer");
        free(a);
        return NULL;
    }
    return a;
}

void analyzer_destroy(analyzer *a)
{
    if (a == NULL)
        return;
    sb_stemmer_delete(a->stemmer);
    free(a);
}

/* The code point of the valid sequence s[0..n). */
static uint32_t decode(const unsigned char *s, size_t n)
{
    if (n == 1)
        return s[0];
    uint32_t cp = s[0] & (0xFF >> (n + 1));
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3F);
    return cp;
}

/* Latin-1 letters U+00C0..U+00FF folded to their unaccented lowercase ASCII
 * letter; 0 for the two that are not letters (× ÷). ß, æ, ð, þ fold too. */
static const char LATIN1_FOLD[64] = "aaaaaaaceeeeiiiidnooooo\0ouuuuytsaaaaaaaceeeeiiiidnooooo\0ouuuuyty";

typedef enum { CH_OTHER, CH_LETTER, CH_DIGIT, CH_APOSTROPHE, CH_NUMBER_MARK } char_class;

static char_class classify(uint32_t cp)
{
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
        return CH_LETTER;
    if (cp >= '0' && cp <= '9')
        return CH_DIGIT;
    if (cp == '\'' || cp == 0x2019)
        return CH_APOSTROPHE;
    if (cp == '.' || cp == ',')
        return CH_NUMBER_MARK;
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7)
        return CH_OTHER;
    /* Punctuation, symbols and emoji blocks separate words; every other
     * script's characters are letters (kept as written, not lowercased). */
    if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
        (cp >= 0xFF00 && cp <= 0xFF0F) || cp >= 0x1F000)
        return CH_OTHER;
    return CH_LETTER;
}

typedef struct word {
    char buf[ANALYZER_MAX_TERM + 1];
    size_t len;
    bool has_letter;
} word;

static void word_add(word *w, const char *bytes, size_t n)
{
    if (w->len + n <= ANALYZER_MAX_TERM) {
        memcpy(w->buf + w->len, bytes, n);
        w->len += n;
    }
}

static bool word_finish(analyzer *a, word *w, analyzer_emit emit, void *arg)
{
    if (w->len == 0)
        return false;
    /* A number's trailing mark ("49." at a sentence's end) is punctuation. */
    while (w->len > 0 && (w->buf[w->len - 1] == '.' || w->buf[w->len - 1] == ','))
        w->len--;
    w->buf[w->len] = '\0';
    bool emitted = false;
    if (w->len > 0 && !w->has_letter) {
        emit(analyzer_hash(w->buf, w->len), arg);
        emitted = true;
    } else if (w->len > 0 && !is_stop_word(w->buf)) {
        const sb_symbol *stem = sb_stemmer_stem(a->stemmer, (const sb_symbol *)w->buf, (int)w->len);
        int stem_len = stem != NULL ? sb_stemmer_length(a->stemmer) : 0;
        if (stem_len > 0)
            emit(analyzer_hash((const char *)stem, (size_t)stem_len), arg);
        else
            emit(analyzer_hash(w->buf, w->len), arg); /* out of memory in the stemmer: the word as it is */
        emitted = true;
    }
    w->len = 0;
    w->has_letter = false;
    return emitted;
}

size_t analyzer_terms(analyzer *a, const char *text, size_t len, analyzer_emit emit, void *arg)
{
    const unsigned char *s = (const unsigned char *)text;
    word w = {.len = 0};
    size_t count = 0, i = 0;
    while (i < len) {
        size_t n = vx_utf8_seq_len(s + i, len - i);
        if (n == 0) { /* not UTF-8: a separator */
            count += word_finish(a, &w, emit, arg);
            i++;
            continue;
        }
        uint32_t cp = decode(s + i, n);
        char_class c = classify(cp);
        if (c == CH_LETTER || c == CH_DIGIT) {
            if (cp < 0x80) {
                char ch = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
                word_add(&w, &ch, 1);
            } else if (cp < 0x100) {
                char ch = LATIN1_FOLD[cp - 0xC0];
                if (ch != '\0')
                    word_add(&w, &ch, 1);
            } else {
                word_add(&w, (const char *)s + i, n);
            }
            w.has_letter |= c == CH_LETTER;
            i += n;
            continue;
        }
        /* Inside a word: "o'brien" joins, a final "'s" goes; "49.99" and
         * "1,200" stay one number. Otherwise the mark ends the word. */
        size_t next = i + n;
        unsigned char after = next < len ? s[next] : 0;
        bool after_alnum = (after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z') || (after >= '0' && after <= '9');
        if (c == CH_APOSTROPHE && w.len > 0 && after_alnum) {
            bool possessive =
                (after == 's' || after == 'S') && (next + 1 >= len || !((s[next + 1] | 32) >= 'a' && (s[next + 1] | 32) <= 'z'));
            i = possessive ? next + 1 : next;
            if (possessive)
                count += word_finish(a, &w, emit, arg);
            continue;
        }
        if (c == CH_NUMBER_MARK && w.len > 0 && !w.has_letter && after >= '0' && after <= '9') {
            word_add(&w, (const char *)s + i, 1);
            i = next;
            continue;
        }
        count += word_finish(a, &w, emit, arg);
        i = next;
    }
    count += word_finish(a, &w, emit, arg);
    return count;
}
