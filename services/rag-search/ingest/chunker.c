/*
 * chunker: headings, paragraphs, sentences, chunks (see chunker.h).
 *
 * The defaults, for a clinic's FAQ, price list and policies searched while a
 * caller waits:
 *   - target 700 characters (about 150-180 tokens): one question with its
 *     answer, or one short topic, fits whole, so the vector of a chunk is
 *     about one thing; the top few chunks still fit the model's prompt
 *     mid-call without slowing the answer;
 *   - max 1,000: room to finish a list or a sentence rather than cut a
 *     short remainder off into a chunk of its own;
 *   - overlap 120 (about one sentence): a fact that straddles a boundary
 *     ("Whitening is $199. It includes a check-up.") is found from either
 *     side, for under a fifth more text to embed;
 *   - 10,000 chunks (a 10 MiB text upload at about 1 KiB each): a document
 *     that would make more is refused rather than embedded for hours.
 */
#include "ingest/chunker.h"

#include "ingest/text.h"
#include "vx_buf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHUNKER_LEVELS      6
#define CHUNKER_HEADING_MAX 120 /* characters of one heading in the path */

void chunker_config_default(chunker_config *cfg)
{
    cfg->target_chars = 700;
    cfg->max_chars = 1000;
    cfg->overlap_chars = 120;
    cfg->max_chunks = 10000;
}

typedef struct unit {
    size_t at, len, chars; /* a sentence (or a piece of one) in the section's text */
    bool line;             /* starts a paragraph or list item: joined with '\n', not ' ' */
} unit;

typedef struct chunker {
    chunker_config cfg;
    chunker_list *out;
    size_t cap;
    bool full; /* max_chunks reached */
    char *levels[CHUNKER_LEVELS];
    vx_buf sec; /* the current section's paragraphs */
    unit *units;
    size_t nunits, ucap;
    bool para_open;
    size_t para_at;
} chunker;

/* ------------------------------------------------------------ sentences */

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_alpha(char c)
{
    return is_upper(c) || (c >= 'a' && c <= 'z');
}

/* Words that end in '.' without ending a sentence. "etc." is not one of
 * them: it usually does end one. */
static const char *const abbreviations[] = {
    "mr",    "mrs", "ms",  "dr",  "prof", "sr",  "jr",   "st",  "vs",  "approx", "dept", "est", "inc",  "ltd",  "co",  "no",
    "nos",   "tel", "ext", "fig", "vol",  "ave", "blvd", "rd",  "mt",  "ft",     "hr",   "hrs", "min",  "mins", "jan", "feb",
    "mar",   "apr", "jun", "jul", "aug",  "sep", "sept", "oct", "nov", "dec",    "mon",  "tue", "tues", "wed",  "thu", "thur",
    "thurs", "fri", "sat", "sun", "ph",   "dds", "dmd",  "md",  "rn",  "cf",     "al",   "ca",  "resp",
};

/* Whether the word before the '.' at p[dot] is an abbreviation or an initial. */
static bool abbreviation_before(const char *p, size_t dot)
{
    size_t w = dot;
    while (w > 0 && (is_alpha(p[w - 1]) || p[w - 1] == '.'))
        w--;
    size_t len = dot - w;
    if (len == 0)
        return false;
    if (len == 1)
        return true; /* an initial: "J. Smith", "a. m." */
    if (memchr(p + w, '.', len) != NULL)
        return true; /* "e.g", "a.m", "U.S" */
    for (size_t k = 0; k < sizeof abbreviations / sizeof abbreviations[0]; k++)
        if (strlen(abbreviations[k]) == len && strncasecmp(p + w, abbreviations[k], len) == 0)
            return true;
    return false;
}

/* Bytes of a closing quote or bracket at p[0], or 0. */
static size_t closer(const char *p, size_t n)
{
    if (n >= 1 && (p[0] == '"' || p[0] == '\'' || p[0] == ')' || p[0] == ']'))
        return 1;
    if (n >= 3 && (unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
        ((unsigned char)p[2] == 0x9D || (unsigned char)p[2] == 0x99))
        return 3; /* ” ’ */
    if (n >= 2 && (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xBB)
        return 2; /* » */
    return 0;
}

/* Bytes of a sentence-ending mark at p[0], or 0. */
static size_t terminal(const char *p, size_t n)
{
    if (p[0] == '.' || p[0] == '!' || p[0] == '?')
        return 1;
    if (n >= 3 && (unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0xA6)
        return 3; /* … */
    return 0;
}

static bool starts_sentence(const char *p, size_t n)
{
    unsigned char c = (unsigned char)p[0];
    return is_upper((char)c) || (c >= '0' && c <= '9') || c == '"' || c == '\'' || c == '(' || c == '[' || c >= 0x80;
}

static void push_unit(chunker *k, size_t at, size_t len, bool line)
{
    if (k->nunits == k->ucap) {
        k->ucap = k->ucap ? k->ucap * 2 : 64;
        k->units = realloc(k->units, k->ucap * sizeof *k->units);
        if (k->units == NULL)
            abort();
    }
    k->units[k->nunits++] = (unit){at, len, text_chars(k->sec.data + at, len), line};
}

/* A sentence of sec[at..at+len): whole, or cut between words into pieces of at most max_chars. */
static void add_sentence(chunker *k, size_t at, size_t len, bool line)
{
    const char *s = k->sec.data;
    while (len > 0 && s[at] == ' ') {
        at++;
        len--;
    }
    while (len > 0 && s[at + len - 1] == ' ')
        len--;
    if (len == 0)
        return;
    size_t max = k->cfg.max_chars, left = text_chars(s + at, len);
    while (left > max) {
        /* The byte where max characters end, then back to a space if there is one. */
        size_t cut = 0, chars = 0;
        while (cut < len && chars < max) {
            cut++;
            while (cut < len && ((unsigned char)s[at + cut] & 0xC0) == 0x80)
                cut++;
            chars++;
        }
        size_t space = cut;
        while (space > 0 && s[at + space] != ' ')
            space--;
        size_t piece = space > 0 ? space : cut;
        push_unit(k, at, piece, line);
        left -= k->units[k->nunits - 1].chars;
        line = false;
        at += piece;
        len -= piece;
        while (len > 0 && s[at] == ' ') {
            at++;
            len--;
            left--;
        }
    }
    if (len > 0)
        push_unit(k, at, len, line);
}

/* Cuts the open paragraph sec[para_at..) into sentences. */
static void end_paragraph(chunker *k)
{
    if (!k->para_open)
        return;
    k->para_open = false;
    const char *p = k->sec.data + k->para_at;
    size_t n = k->sec.len - k->para_at, start = 0, i = 0;
    bool line = true;
    while (i < n) {
        size_t t = terminal(p + i, n - i);
        if (t == 0) {
            i++;
            continue;
        }
        size_t j = i + t;
        while (j < n && terminal(p + j, n - j) > 0)
            j += terminal(p + j, n - j);
        size_t c;
        while (j < n && (c = closer(p + j, n - j)) > 0)
            j += c;
        if (j < n && p[j] == ' ') {
            size_t next = j;
            while (next < n && p[next] == ' ')
                next++;
            if (next < n && starts_sentence(p + next, n - next) && !(p[i] == '.' && t == 1 && abbreviation_before(p, i))) {
                add_sentence(k, k->para_at + start, j - start, line);
                line = false;
                start = next;
                i = next;
                continue;
            }
        }
        i = j;
    }
    add_sentence(k, k->para_at + start, n - start, line);
}

/* ------------------------------------------------------------ chunks */

static void heading_path(const chunker *k, vx_buf *b)
{
    vx_buf_puts(b, "");
    for (int l = 0; l < CHUNKER_LEVELS; l++) {
        if (k->levels[l] == NULL)
            continue;
        if (b->len > 0)
            vx_buf_puts(b, " > ");
        vx_buf_puts(b, k->levels[l]);
    }
}

static void emit(chunker *k, size_t first, size_t end)
{
    if (k->full)
        return;
    if (k->out->count == k->cfg.max_chunks) {
        k->full = true;
        return;
    }
    vx_buf path = VX_BUF_INIT, text = VX_BUF_INIT;
    heading_path(k, &path);
    if (path.len > 0) {
        vx_buf_append(&text, path.data, path.len);
        vx_buf_putc(&text, '\n');
    }
    for (size_t u = first; u < end; u++) {
        if (u > first)
            vx_buf_putc(&text, k->units[u].line ? '\n' : ' ');
        vx_buf_append(&text, k->sec.data + k->units[u].at, k->units[u].len);
    }
    if (k->out->count == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 16;
        k->out->items = realloc(k->out->items, k->cap * sizeof *k->out->items);
        if (k->out->items == NULL)
            abort();
    }
    chunker_chunk *c = &k->out->items[k->out->count];
    c->ordinal = k->out->count;
    c->heading_path = vx_buf_steal(&path);
    c->text_len = text.len;
    c->text = vx_buf_steal(&text);
    k->out->count++;
}

/* Packs the section's sentences into chunks, then starts a new section. */
static void end_section(chunker *k)
{
    end_paragraph(k);
    const chunker_config *cfg = &k->cfg;
    size_t first = 0, count = 0, chars = 0;
    for (size_t u = 0; u < k->nunits && !k->full; u++) {
        size_t uc = k->units[u].chars;
        if (count == 0 || chars + 1 + uc <= cfg->target_chars ||
            (chars < cfg->target_chars / 2 && chars + 1 + uc <= cfg->max_chars)) {
            chars += (count > 0) + uc;
            count++;
            continue;
        }
        emit(k, first, u);
        /* The overlap: the last whole sentences of that chunk, never all of it. */
        size_t j = u, ov = 0;
        while (j - 1 > first) {
            size_t c = k->units[j - 1].chars + 1;
            if (ov + c > cfg->overlap_chars || ov + c + uc > cfg->max_chars)
                break;
            ov += c;
            j--;
        }
        first = j;
        count = u - j + 1;
        chars = ov + uc;
    }
    if (count > 0)
        emit(k, first, first + count);
    k->nunits = 0;
    vx_buf_reset(&k->sec);
    vx_buf_puts(&k->sec, "");
}

/* ------------------------------------------------------------ lines */

static size_t heading_level(const char *s, size_t n)
{
    size_t l = 0;
    while (l < n && s[l] == '#')
        l++;
    return l >= 1 && l <= CHUNKER_LEVELS && l < n && s[l] == ' ' ? l : 0;
}

static void set_heading(chunker *k, size_t level, const char *s, size_t n)
{
    while (n > 0 && s[0] == ' ') {
        s++;
        n--;
    }
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n == 0)
        return;
    /* At most CHUNKER_HEADING_MAX characters, cut between words when it can be. */
    if (text_chars(s, n) > CHUNKER_HEADING_MAX) {
        size_t cut = 0, chars = 0;
        while (cut < n && chars < CHUNKER_HEADING_MAX) {
            cut++;
            while (cut < n && ((unsigned char)s[cut] & 0xC0) == 0x80)
                cut++;
            chars++;
        }
        size_t space = cut;
        while (space > 0 && s[space] != ' ')
            space--;
        n = space > 0 ? space : cut;
    }
    for (size_t l = level - 1; l < CHUNKER_LEVELS; l++) {
        free(k->levels[l]);
        k->levels[l] = NULL;
    }
    k->levels[level - 1] = strndup(s, n);
    if (k->levels[level - 1] == NULL)
        abort();
}

static bool list_item(const char *s, size_t n)
{
    if (n >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && s[1] == ' ')
        return true;
    if (n >= 4 && memcmp(s, "\xE2\x80\xA2 ", 4) == 0) /* "• " */
        return true;
    size_t d = 0;
    while (d < n && d < 9 && s[d] >= '0' && s[d] <= '9')
        d++;
    return d > 0 && d + 1 < n && (s[d] == '.' || s[d] == ')') && s[d + 1] == ' ';
}

static void text_line(chunker *k, const char *s, size_t n)
{
    size_t lead = 0;
    while (lead < n && s[lead] == ' ')
        lead++;
    s += lead;
    n -= lead;
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n == 0) {
        end_paragraph(k);
        return;
    }
    if (list_item(s, n))
        end_paragraph(k);
    if (!k->para_open) {
        k->para_open = true;
        k->para_at = k->sec.len;
    } else {
        /* "treat-" + "ment" is "treatment"; otherwise lines join with a space. */
        const char *d = k->sec.data;
        size_t end = k->sec.len;
        if (end - k->para_at >= 2 && d[end - 1] == '-' && is_alpha(d[end - 2]) && s[0] >= 'a' && s[0] <= 'z')
            k->sec.len--;
        else
            vx_buf_putc(&k->sec, ' ');
    }
    vx_buf_append(&k->sec, s, n);
}

chunker_status chunker_split(const chunker_config *cfg, const char *in, size_t len, chunker_list *out)
{
    out->items = NULL;
    out->count = 0;
    chunker k;
    memset(&k, 0, sizeof k);
    k.cfg = *cfg;
    if (k.cfg.target_chars == 0)
        k.cfg.target_chars = 1;
    if (k.cfg.max_chars < k.cfg.target_chars)
        k.cfg.max_chars = k.cfg.target_chars;
    if (k.cfg.overlap_chars > k.cfg.target_chars / 2)
        k.cfg.overlap_chars = k.cfg.target_chars / 2;
    k.out = out;
    k.sec = (vx_buf)VX_BUF_INIT;
    vx_buf_puts(&k.sec, "");

    size_t n;
    char *t = text_clean(in, len, &n);
    size_t at = 0;
    while (at < n && !k.full) {
        size_t end = at;
        while (end < n && t[end] != '\n' && t[end] != '\f')
            end++;
        size_t level = heading_level(t + at, end - at);
        if (level > 0) {
            end_section(&k);
            set_heading(&k, level, t + at + level, end - at - level);
        } else {
            text_line(&k, t + at, end - at);
            if (end < n && t[end] == '\f')
                end_paragraph(&k);
        }
        at = end + 1;
    }
    end_section(&k);

    free(t);
    free(k.units);
    vx_buf_free(&k.sec);
    for (int l = 0; l < CHUNKER_LEVELS; l++)
        free(k.levels[l]);
    if (k.full) {
        chunker_list_free(out);
        return CHUNKER_TOO_MANY;
    }
    return CHUNKER_OK;
}

void chunker_list_free(chunker_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].heading_path);
        free(list->items[i].text);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
}
