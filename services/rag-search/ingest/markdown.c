/*
 * markdown: Markdown to the chunker's plain text (see markdown.h).
 *
 * One pass over the lines of the cleaned text. Inline syntax is read within
 * a line only. Every forward search (a closing backtick run, a ')' or ']' or
 * '>') that fails is remembered for the rest of the line, so a line full of
 * unclosed openers is still read in linear time.
 */
#include "ingest/markdown.h"

#include "ingest/text.h"
#include "vx_buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MD_MAX_TICKS 16 /* a longer backtick run is only text */
#define MD_MAX_COLS  32 /* table columns that get their header's name */

typedef struct md {
    vx_buf out;
    bool in_fence;
    char fence_ch;
    size_t fence_len;
    const char *skip_until; /* inside <!-- … --> ("-->"), <script> or <style> ("</script", "</style"), across lines */
    vx_buf pending;         /* the last paragraph line, which a setext underline makes a heading */
    bool has_pending;
    bool in_table;
    size_t ncols;
    vx_buf header;              /* the header cells, each NUL-terminated */
    size_t col_at[MD_MAX_COLS]; /* where each starts in header */
} md;

/* Failed searches of one line: "nothing to find at or after this offset". */
typedef struct line_memo {
    size_t no_ticks[MD_MAX_TICKS + 1];
    size_t no_paren, no_bracket, no_gt;
} line_memo;

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_punct(char c)
{
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

static void put_utf8(vx_buf *b, uint32_t cp)
{
    char s[4];
    size_t n;
    if (cp < 0x80) {
        s[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | cp >> 6);
        s[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | cp >> 12);
        s[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        s[0] = (char)(0xF0 | cp >> 18);
        s[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        s[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    vx_buf_append(b, s, n);
}

/* ------------------------------------------------------------ entities */

static const struct {
    const char *name;
    uint32_t cp;
} entities[] = {
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},        {"quot", '"'},    {"apos", '\''},    {"nbsp", ' '},
    {"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026}, {"copy", 0xA9},   {"reg", 0xAE},     {"trade", 0x2122},
    {"euro", 0x20AC},  {"pound", 0xA3},   {"yen", 0xA5},      {"cent", 0xA2},   {"deg", 0xB0},     {"times", 0xD7},
    {"divide", 0xF7},  {"plusmn", 0xB1},  {"laquo", 0xAB},    {"raquo", 0xBB},  {"lsquo", 0x2018}, {"rsquo", 0x2019},
    {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"middot", 0xB7},   {"bull", 0x2022}, {"sect", 0xA7},    {"para", 0xB6},
    {"eacute", 0xE9},  {"Eacute", 0xC9},  {"egrave", 0xE8},   {"ecirc", 0xEA},  {"agrave", 0xE0},  {"aacute", 0xE1},
    {"acirc", 0xE2},   {"iacute", 0xED},  {"oacute", 0xF3},   {"ocirc", 0xF4},  {"uacute", 0xFA},  {"ntilde", 0xF1},
    {"ccedil", 0xE7},  {"auml", 0xE4},    {"ouml", 0xF6},     {"uuml", 0xFC},   {"Auml", 0xC4},    {"Ouml", 0xD6},
    {"Uuml", 0xDC},    {"szlig", 0xDF},   {"iexcl", 0xA1},    {"iquest", 0xBF},
};

/* Decodes the entity at s[0] == '&' into dst; returns the bytes read, or 0 when it is not one. */
static size_t entity(const char *s, size_t n, vx_buf *dst)
{
    size_t end = 1;
    while (end < n && end < 34 && (is_alnum(s[end]) || (end == 1 && s[end] == '#')))
        end++;
    if (end >= n || s[end] != ';' || end == 1)
        return 0;
    if (s[1] == '#') {
        uint32_t cp = 0;
        size_t i = 2;
        bool hex = i < end && (s[i] == 'x' || s[i] == 'X');
        if (hex)
            i++;
        if (i == end || end - i > 8)
            return 0;
        for (; i < end; i++) {
            char c = s[i];
            unsigned d;
            if (c >= '0' && c <= '9')
                d = (unsigned)(c - '0');
            else if (hex && c >= 'a' && c <= 'f')
                d = (unsigned)(c - 'a' + 10);
            else if (hex && c >= 'A' && c <= 'F')
                d = (unsigned)(c - 'A' + 10);
            else
                return 0;
            cp = cp * (hex ? 16 : 10) + d;
        }
        if (cp == '\t' || cp == '\n')
            cp = ' ';
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || cp == 0xFEFF)
            cp = 0xFFFD;
        put_utf8(dst, cp);
        return end + 1;
    }
    for (size_t k = 0; k < sizeof entities / sizeof entities[0]; k++) {
        size_t kl = strlen(entities[k].name);
        if (kl == end - 1 && memcmp(s + 1, entities[k].name, kl) == 0) {
            put_utf8(dst, entities[k].cp);
            return end + 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ inline */

/* The first occurrence of c in s[from..n), or n; remembered in *memo on failure. */
static size_t find_char(const char *s, size_t n, size_t from, char c, size_t *memo)
{
    if (from >= *memo)
        return n;
    const char *hit = from < n ? memchr(s + from, c, n - from) : NULL;
    if (hit == NULL) {
        *memo = from;
        return n;
    }
    return (size_t)(hit - s);
}

/* Where a run of exactly len backticks starts in s[from..n), or n. */
static size_t find_ticks(const char *s, size_t n, size_t from, size_t len, line_memo *lm)
{
    if (from >= lm->no_ticks[len])
        return n;
    size_t i = from;
    while (i < n) {
        if (s[i] != '`') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && s[j] == '`')
            j++;
        if (j - i == len)
            return i;
        i = j;
    }
    lm->no_ticks[len] = from;
    return n;
}

/* Where needle (lower case) starts in s[from..n), case-insensitively, or n.
 * needle is short: linear in n. */
static size_t find_ci(const char *s, size_t n, size_t from, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = from; i + nl <= n; i++) {
        size_t k = 0;
        while (k < nl && (s[i + k] | (needle[k] >= 'a' && needle[k] <= 'z' ? 0x20 : 0)) == needle[k])
            k++;
        if (k == nl)
            return i;
    }
    return n;
}

/* Past the end of what m->skip_until waits for in s[from..n) (the closing
 * tag's '>' included), clearing it; n when it is not in this line. */
static size_t skip_end(md *m, const char *s, size_t n, size_t from)
{
    size_t at = find_ci(s, n, from, m->skip_until);
    if (at == n)
        return n;
    at += strlen(m->skip_until);
    if (m->skip_until[0] == '<') {
        const char *gt = memchr(s + at, '>', n - at);
        at = gt != NULL ? (size_t)(gt - s) + 1 : n;
    }
    m->skip_until = NULL;
    return at;
}

/* An opening <script> or <style> tag: its content is no text. */
static const char *raw_tag(const char *s, size_t n)
{
    if (n >= 6 && find_ci(s, 6, 0, "script") == 0 && (n == 6 || !is_alnum(s[6])))
        return "</script";
    if (n >= 5 && find_ci(s, 5, 0, "style") == 0 && (n == 5 || !is_alnum(s[5])))
        return "</style";
    return NULL;
}

/* HTML elements that separate words when stripped. */
static bool block_tag(const char *s, size_t n)
{
    static const char *const names[] = {"br", "p",  "div", "li", "tr", "td", "th", "h1",    "h2",
                                        "h3", "h4", "h5",  "h6", "hr", "ul", "ol", "table", "blockquote"};
    size_t i = s[0] == '/' ? 1 : 0, len = 0;
    while (i + len < n && is_alnum(s[i + len]))
        len++;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (strlen(names[k]) != len)
            continue;
        size_t m = 0;
        while (m < len && (s[i + m] | 0x20) == names[k][m])
            m++;
        if (m == len)
            return true;
    }
    return false;
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    return n >= pl && memcmp(s, prefix, pl) == 0;
}

/* Appends the text of one line's inline Markdown s[0..n) to dst. */
static void inline_text(md *m, const char *s, size_t n, vx_buf *dst)
{
    line_memo lm;
    for (size_t k = 0; k <= MD_MAX_TICKS; k++)
        lm.no_ticks[k] = SIZE_MAX;
    lm.no_paren = lm.no_bracket = lm.no_gt = SIZE_MAX;
    size_t start = dst->len;
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '\\') {
            if (i + 1 < n && is_punct(s[i + 1])) {
                vx_buf_putc(dst, s[i + 1]);
                i += 2;
            } else {
                if (i + 1 < n) /* at the end of a line: a hard break, dropped */
                    vx_buf_putc(dst, '\\');
                i++;
            }
        } else if (c == '`') {
            size_t run = 0;
            while (i + run < n && s[i + run] == '`')
                run++;
            size_t close = run <= MD_MAX_TICKS ? find_ticks(s, n, i + run, run, &lm) : n;
            if (close == n) {
                vx_buf_append(dst, s + i, run);
                i += run;
                continue;
            }
            size_t a = i + run, b = close;
            if (b - a >= 2 && s[a] == ' ' && s[b - 1] == ' ') {
                a++;
                b--;
            }
            vx_buf_append(dst, s + a, b - a);
            i = close + run;
        } else if (c == '*' || c == '_' || c == '~') {
            size_t run = 0;
            while (i + run < n && s[i + run] == c)
                run++;
            char before = i > 0 ? s[i - 1] : ' ', after = i + run < n ? s[i + run] : ' ';
            bool keep;
            if (c == '~')
                keep = run < 2;
            else if (is_space(before) && is_space(after))
                keep = true; /* "5 * 3" */
            else if (c == '_')
                keep = is_alnum(before) && is_alnum(after); /* snake_case */
            else
                keep = before >= '0' && before <= '9' && after >= '0' && after <= '9'; /* 2*3 */
            if (keep)
                vx_buf_append(dst, s + i, run);
            i += run;
        } else if (c == '!' && i + 1 < n && s[i + 1] == '[') {
            i++; /* an image: its alt text stays */
        } else if (c == '[') {
            i++;
        } else if (c == ']') {
            size_t end = n;
            if (i + 1 < n && s[i + 1] == '(')
                end = find_char(s, n, i + 2, ')', &lm.no_paren);
            else if (i + 1 < n && s[i + 1] == '[')
                end = find_char(s, n, i + 2, ']', &lm.no_bracket);
            i = end < n ? end + 1 : i + 1; /* the destination or reference goes */
        } else if (c == '<' && i + 1 < n && (s[i + 1] == '/' || s[i + 1] == '!' || s[i + 1] == '?' || is_alnum(s[i + 1]))) {
            if (starts_with(s + i, n - i, "<!--")) {
                m->skip_until = "-->";
                i = skip_end(m, s, n, i + 4);
                if (m->skip_until != NULL)
                    break; /* the rest of the line, and lines after, until "-->" */
                continue;
            }
            size_t gt = find_char(s, n, i + 1, '>', &lm.no_gt);
            if (gt == n) {
                vx_buf_putc(dst, '<');
                i++;
                continue;
            }
            const char *in = s + i + 1;
            size_t in_len = gt - i - 1;
            if (starts_with(in, in_len, "http://") || starts_with(in, in_len, "https://")) {
                vx_buf_append(dst, in, in_len);
            } else if (starts_with(in, in_len, "mailto:")) {
                vx_buf_append(dst, in + 7, in_len - 7);
            } else if ((m->skip_until = raw_tag(in, in_len)) != NULL) {
                i = skip_end(m, s, n, gt + 1);
                if (m->skip_until != NULL)
                    break;
                continue;
            } else if (block_tag(in, in_len) && dst->len > start && dst->data[dst->len - 1] != ' ' && gt + 1 < n &&
                       !is_space(s[gt + 1])) {
                vx_buf_putc(dst, ' ');
            }
            i = gt + 1;
        } else if (c == '&') {
            size_t used = entity(s + i, n - i, dst);
            if (used == 0) {
                vx_buf_putc(dst, '&');
                i++;
            } else {
                i += used;
            }
        } else {
            /* Runs of spaces (left where a tag or a marker went) become one. */
            if (!(c == ' ' && dst->len > start && dst->data[dst->len - 1] == ' '))
                vx_buf_putc(dst, c);
            i++;
        }
    }
    /* No white space at either end. */
    while (dst->len > start && is_space(dst->data[dst->len - 1]))
        dst->len--;
    size_t lead = 0;
    while (start + lead < dst->len && is_space(dst->data[start + lead]))
        lead++;
    if (lead > 0) {
        memmove(dst->data + start, dst->data + start + lead, dst->len - start - lead);
        dst->len -= lead;
    }
    if (dst->data != NULL)
        dst->data[dst->len] = '\0';
}

/* ------------------------------------------------------------ output */

/* A paragraph break: the output ends with a blank line (or is empty). */
static void blank(md *m)
{
    vx_buf *o = &m->out;
    if (o->len == 0 || (o->len >= 2 && o->data[o->len - 1] == '\n' && o->data[o->len - 2] == '\n'))
        return;
    vx_buf_puts(o, o->data[o->len - 1] == '\n' ? "\n" : "\n\n");
}

/* A line of text that is not a heading: never starting with '#'. */
static void text_line(md *m, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (s[0] == '#')
        vx_buf_putc(&m->out, ' ');
    vx_buf_append(&m->out, s, n);
    vx_buf_putc(&m->out, '\n');
}

static void heading(md *m, int level, const char *text, size_t n)
{
    if (n == 0)
        return;
    blank(m);
    for (int k = 0; k < level; k++)
        vx_buf_putc(&m->out, '#');
    vx_buf_putc(&m->out, ' ');
    vx_buf_append(&m->out, text, n);
    vx_buf_puts(&m->out, "\n\n");
}

static void flush_pending(md *m)
{
    if (m->has_pending)
        text_line(m, m->pending.data, m->pending.len);
    m->has_pending = false;
    vx_buf_reset(&m->pending);
}

static void end_table(md *m)
{
    if (m->in_table)
        blank(m);
    m->in_table = false;
    m->ncols = 0;
    vx_buf_reset(&m->header);
}

/* ------------------------------------------------------------ blocks */

/* Bytes of leading spaces. */
static size_t indent_of(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    return i;
}

/* A line of only c (at least min of them), spaces allowed between when spaced. */
static bool only(const char *s, size_t n, char c, size_t min, bool spaced)
{
    size_t count = 0;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == c)
            count++;
        else if (!(spaced && is_space(s[i])))
            return false;
    }
    return count >= min;
}

static bool delimiter_row(const char *s, size_t n)
{
    bool dash = false, pipe = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '-')
            dash = true;
        else if (s[i] == '|')
            pipe = true;
        else if (s[i] != ':' && !is_space(s[i]))
            return false;
    }
    return dash && pipe;
}

/* Calls back for each cell of a table row (outer pipes dropped, \| kept as text). */
static void table_cells(md *m, const char *s, size_t n, bool header)
{
    size_t a = 0, col = 0;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    if (n > 0 && s[0] == '|')
        a = 1;
    if (n > a && s[n - 1] == '|' && (n < 2 || s[n - 2] != '\\'))
        n--;
    vx_buf row = VX_BUF_INIT;
    vx_buf cell = VX_BUF_INIT;
    while (a <= n) {
        size_t b = a;
        while (b < n && !(s[b] == '|' && (b == 0 || s[b - 1] != '\\')))
            b++;
        vx_buf_reset(&cell);
        inline_text(m, s + a, b - a, &cell);
        if (header) {
            if (col < MD_MAX_COLS) {
                m->col_at[col] = m->header.len;
                vx_buf_append(&m->header, cell.data != NULL ? cell.data : "", cell.len);
                vx_buf_putc(&m->header, '\0');
                m->ncols = col + 1;
            }
        } else if (cell.len > 0) {
            vx_buf_puts(&row, row.len == 0 ? "- " : "; ");
            const char *name = col < m->ncols ? m->header.data + m->col_at[col] : "";
            if (*name != '\0')
                vx_buf_printf(&row, "%s: ", name);
            vx_buf_append(&row, cell.data, cell.len);
        }
        col++;
        a = b + 1;
    }
    if (row.len > 0)
        text_line(m, row.data, row.len);
    vx_buf_free(&cell);
    vx_buf_free(&row);
}

/* A list item's marker: returns the bytes it takes (with its space), or 0. */
static size_t list_marker(const char *s, size_t n, size_t *digits)
{
    *digits = 0;
    if (n >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && is_space(s[1]))
        return 2;
    size_t d = 0;
    while (d < n && d < 9 && s[d] >= '0' && s[d] <= '9')
        d++;
    if (d > 0 && d + 1 < n && (s[d] == '.' || s[d] == ')') && is_space(s[d + 1])) {
        *digits = d;
        return d + 2;
    }
    return 0;
}

static void line(md *m, const char *s, size_t n, const char *next, size_t next_n, bool *skip_next)
{
    if (m->in_fence) {
        size_t ind = indent_of(s, n);
        if (ind < 4 && only(s + ind, n - ind, m->fence_ch, m->fence_len, false)) {
            m->in_fence = false;
            blank(m);
            return;
        }
        if (n > 0) {
            vx_buf_puts(&m->out, "    ");
            vx_buf_append(&m->out, s, n);
        }
        vx_buf_putc(&m->out, '\n');
        return;
    }
    if (m->skip_until != NULL) {
        size_t end = skip_end(m, s, n, 0);
        if (m->skip_until != NULL)
            return;
        s += end;
        n -= end;
    }
    /* Blockquote markers. */
    for (;;) {
        size_t ind = indent_of(s, n);
        if (ind < 4 && ind < n && s[ind] == '>') {
            ind++;
            if (ind < n && is_space(s[ind]))
                ind++;
            s += ind;
            n -= ind;
        } else {
            break;
        }
    }
    size_t ind = indent_of(s, n);
    const char *c = s + ind;
    size_t cn = n - ind;
    if (cn == 0) {
        flush_pending(m);
        end_table(m);
        blank(m);
        return;
    }
    if (ind < 4 && cn >= 3 && (c[0] == '`' || c[0] == '~') && c[1] == c[0] && c[2] == c[0]) {
        size_t run = 3;
        while (run < cn && c[run] == c[0])
            run++;
        if (c[0] == '~' || memchr(c + run, '`', cn - run) == NULL) {
            flush_pending(m);
            end_table(m);
            blank(m);
            m->in_fence = true;
            m->fence_ch = c[0];
            m->fence_len = run;
            return;
        }
    }
    if (ind < 4 && c[0] == '#') {
        size_t level = 0;
        while (level < cn && c[level] == '#')
            level++;
        if (level <= 6 && (level == cn || is_space(c[level]))) {
            flush_pending(m);
            end_table(m);
            /* Without a closing run of '#'. */
            size_t e = cn;
            while (e > level && is_space(c[e - 1]))
                e--;
            size_t h = e;
            while (h > level && c[h - 1] == '#')
                h--;
            if (h == level || is_space(c[h - 1]))
                e = h;
            vx_buf t = VX_BUF_INIT;
            inline_text(m, c + level, e - level, &t);
            heading(m, (int)level, t.data, t.len);
            vx_buf_free(&t);
            return;
        }
    }
    if (ind < 4 && m->has_pending && (only(c, cn, '=', 1, false) || only(c, cn, '-', 1, false))) {
        heading(m, c[0] == '=' ? 1 : 2, m->pending.data, m->pending.len);
        m->has_pending = false;
        vx_buf_reset(&m->pending);
        return;
    }
    if (ind < 4 && (only(c, cn, '-', 3, true) || only(c, cn, '*', 3, true) || only(c, cn, '_', 3, true))) {
        flush_pending(m);
        end_table(m);
        blank(m);
        return;
    }
    if (memchr(c, '|', cn) != NULL) {
        if (!m->in_table && next != NULL && delimiter_row(next, next_n)) {
            flush_pending(m);
            blank(m);
            m->in_table = true;
            table_cells(m, c, cn, true);
            *skip_next = true;
            return;
        }
        if (m->in_table) {
            table_cells(m, c, cn, false);
            return;
        }
    } else {
        end_table(m);
    }
    if (c[0] == '[') {
        const char *close = memchr(c, ']', cn);
        if (close != NULL && close + 1 < c + cn && close[1] == ':')
            return; /* a reference definition */
    }
    size_t digits;
    size_t marker = ind < 16 ? list_marker(c, cn, &digits) : 0;
    if (marker > 0) {
        flush_pending(m);
        const char *t = c + marker;
        size_t tn = cn - marker;
        /* A task list's box. */
        if (tn >= 3 && t[0] == '[' && (t[1] == ' ' || t[1] == 'x' || t[1] == 'X') && t[2] == ']') {
            t += 3;
            tn -= 3;
        }
        vx_buf item = VX_BUF_INIT;
        if (digits > 0)
            vx_buf_printf(&item, "%.*s. ", (int)digits, c);
        else
            vx_buf_puts(&item, "- ");
        size_t before = item.len;
        inline_text(m, t, tn, &item);
        if (item.len > before)
            text_line(m, item.data, item.len);
        vx_buf_free(&item);
        return;
    }
    flush_pending(m);
    inline_text(m, c, cn, &m->pending);
    m->has_pending = m->pending.len > 0;
}

char *markdown_to_text(const char *in, size_t len, size_t *out_len)
{
    size_t n;
    char *t = text_clean(in, len, &n);
    md m;
    memset(&m, 0, sizeof m);
    m.out = (vx_buf)VX_BUF_INIT;
    m.pending = (vx_buf)VX_BUF_INIT;
    m.header = (vx_buf)VX_BUF_INIT;
    vx_buf_puts(&m.out, "");
    size_t at = 0;
    bool skip = false;
    while (at < n) {
        /* A form feed ends a line too (a page break). */
        size_t end = at;
        while (end < n && t[end] != '\n' && t[end] != '\f')
            end++;
        size_t next_at = end < n ? end + 1 : n, next_end = next_at;
        while (next_end < n && t[next_end] != '\n' && t[next_end] != '\f')
            next_end++;
        if (skip)
            skip = false;
        else
            line(&m, t + at, end - at, next_at < n ? t + next_at : NULL, next_end - next_at, &skip);
        at = next_at;
    }
    flush_pending(&m);
    /* No blank lines at the end. */
    while (m.out.len > 0 && m.out.data[m.out.len - 1] == '\n')
        m.out.len--;
    m.out.data[m.out.len] = '\0';
    vx_buf_free(&m.pending);
    vx_buf_free(&m.header);
    free(t);
    *out_len = m.out.len;
    return vx_buf_steal(&m.out);
}
