/*
 * vx_redact: the PHI scanner (the rules are in vx_redact.h).
 *
 * Design: one pass from left to right over the bytes. At each position the
 * scanner asks what starts there, cheapest test first:
 *   - '[' opening one of our markers: skipped whole (so a second pass is a no-op);
 *   - the start of a run of e-mail characters: a written address (local@domain);
 *   - the start of a word: a month name (a worded date), a spoken address,
 *     or a word that arms or clears a context cue (birth, social security, mail);
 *   - the start of a number ('+', '(' or a digit not glued to a letter): the
 *     number's groups are read once into a small array and tried as a card,
 *     an SSN, a date and a phone number, in that order.
 * Whatever is recognised is skipped past (and replaced when its kind is
 * enabled); what is not is skipped to the end of its word or first group.
 * Context never needs a look back: cues are remembered as the scan passes
 * them (the position where the last one ended). Every attempt reads a bounded
 * number of bytes ahead (groups, words, an address's 64 + 255 bytes), each
 * byte starts at most a bounded number of attempts, so the whole is linear.
 */
#include "vx_redact.h"
#include "vx_buf.h"

#include <string.h>

#define MAX_GROUPS       24 /* groups of one number read at once: a card spoken digit by digit has 19 */
#define MAX_GROUP_DIGITS 19
#define BIRTH_WINDOW     64 /* bytes from a birth cue's end to a date's start */
#define BIRTH_AHEAD      32 /* bytes after a date where a birth cue may still come */
#define SSN_WINDOW       48
#define MAIL_WINDOW      64
#define LOCAL_MAX        64 /* RFC 5321's limits on an address's parts */
#define DOMAIN_MAX       255

typedef struct group {
    size_t start;  /* first byte of the group, '(' included */
    size_t dstart; /* first digit */
    size_t dend;   /* one past the last digit */
    size_t end;    /* one past the group, ')' included */
    char sep;      /* separator after it: ' ', '-', '.', '/', or 0 for none (after "(415)") */
    bool paren;
} group;

typedef struct number {
    size_t start; /* the '+' when there is one */
    bool plus;
    size_t count;
    group g[MAX_GROUPS];
} number;

typedef struct scanner {
    const char *s;
    size_t n;
    unsigned kinds;
    char caller[16]; /* the caller's digits, a leading country code 1 dropped */
    size_t caller_len;
    vx_buf out;
    size_t copied; /* s[0..copied) is in out */
    vx_redact_stats st;
    bool birth_armed;
    size_t birth_cue;      /* end of the last birth cue word */
    size_t birth_consumed; /* a cue word ending at or before this already served a date */
    bool ssn_armed;
    size_t ssn_cue;
    bool mail_armed;
    size_t mail_cue;
} scanner;

static const char *const MARKERS[] = {"[card]", "[ssn]", "[dob]", "[email]", "[phone]"};

/* ---- bytes ---- */

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(unsigned char c)
{
    return is_digit(c) || is_alpha(c);
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* A byte that may appear in the local part of an address (UTF-8 included: "josé@"). */
static bool is_local(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c >= 0x80;
}

static bool is_domain(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '-';
}

static unsigned char at(const scanner *sc, size_t i)
{
    return i < sc->n ? (unsigned char)sc->s[i] : 0;
}

/* True when s[i..j) is word (lower case), in any case. Every word of the
 * text is tried against every month and cue: the loop stops at the first
 * letter that differs rather than measuring each candidate first. */
static bool word_is(const scanner *sc, size_t i, size_t j, const char *word)
{
    size_t k = 0;
    for (; i + k < j; k++)
        if (word[k] == '\0' || lower((unsigned char)sc->s[i + k]) != (unsigned char)word[k])
            return false;
    return word[k] == '\0';
}

static bool word_in(const scanner *sc, size_t i, size_t j, const char *const *words, size_t count)
{
    for (size_t k = 0; k < count; k++)
        if (word_is(sc, i, j, words[k]))
            return true;
    return false;
}

static size_t word_end(const scanner *sc, size_t i)
{
    while (i < sc->n && is_alpha(at(sc, i)))
        i++;
    return i;
}

/* Past one or two spaces at i, or 0 when there is none. */
static size_t skip_spaces(const scanner *sc, size_t i)
{
    size_t j = i;
    while (j < sc->n && j - i < 2 && at(sc, j) == ' ')
        j++;
    return j > i ? j : 0;
}

/* Past spaces and then the word at i, when it is word and ends there; else 0. */
static size_t expect_word(const scanner *sc, size_t i, const char *word)
{
    size_t p = skip_spaces(sc, i);
    if (p == 0)
        return 0;
    size_t e = word_end(sc, p);
    if (is_digit(at(sc, e)) || !word_is(sc, p, e, word))
        return 0;
    return e;
}

/* The value of the digits s[i..j) (at most 9 of them). */
static unsigned value(const scanner *sc, size_t i, size_t j)
{
    unsigned v = 0;
    for (; i < j; i++)
        v = v * 10 + (unsigned)(sc->s[i] - '0');
    return v;
}

/* ---- output ---- */

/* Replaces s[start..end) by kind's marker (an index into MARKERS) when the kind is enabled. */
static void emit(scanner *sc, size_t start, size_t end, unsigned kind)
{
    if (!(sc->kinds & (1u << kind)))
        return;
    vx_buf_append(&sc->out, sc->s + sc->copied, start - sc->copied);
    vx_buf_puts(&sc->out, MARKERS[kind]);
    sc->copied = end;
    unsigned *counts[] = {&sc->st.card, &sc->st.ssn, &sc->st.dob, &sc->st.email, &sc->st.phone};
    (*counts[kind])++;
}

enum { K_CARD, K_SSN, K_DOB, K_EMAIL, K_PHONE };

/* ---- Luhn ---- */

bool vx_redact_luhn_ok(const char *s, size_t n)
{
    unsigned sum = 0, digits = 0;
    for (size_t i = n; i > 0; i--) {
        unsigned char c = (unsigned char)s[i - 1];
        if (!is_digit(c))
            continue;
        unsigned d = (unsigned)(c - '0');
        if (digits++ % 2 == 1)
            d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
    }
    return digits > 0 && sum % 10 == 0;
}

/* ---- context cues ---- */

static const char *const SCHEDULING[] = {"appointment", "appointments", "schedule",     "scheduled", "reschedule", "book",
                                         "booked",      "booking",      "available",    "slot",      "slots",      "visit",
                                         "come",        "coming",       "availability", "tomorrow",  "today",      "next",
                                         "cancel",      "move",         "opening",      "openings"};

static bool is_birth_word(const scanner *sc, size_t i, size_t j)
{
    if (j - i >= 5 && word_is(sc, i, i + 5, "birth"))
        return true;
    return word_is(sc, i, j, "born") || word_is(sc, i, j, "dob") || word_is(sc, i, j, "bday");
}

/* "D.O.B", "D. O. B." or "D O B" at i: the end of the 'b', or 0. */
static size_t dotted_dob(const scanner *sc, size_t i)
{
    static const char letters[] = "dob";
    size_t p = i;
    for (int k = 0; k < 3; k++) {
        if (lower(at(sc, p)) != (unsigned char)letters[k])
            return 0;
        p++;
        if (k == 2)
            break;
        if (at(sc, p) == '.')
            p++;
        if (at(sc, p) == ' ')
            p++;
    }
    return is_alpha(at(sc, p)) ? 0 : p;
}

/* True when a birth cue starts within BIRTH_AHEAD bytes after a date ending at from, in the
 * same sentence; the cue is then spent. */
static bool birth_cue_ahead(scanner *sc, size_t from)
{
    size_t limit = from + BIRTH_AHEAD < sc->n ? from + BIRTH_AHEAD : sc->n;
    for (size_t p = from; p < limit; p++) {
        unsigned char c = at(sc, p);
        if (is_alpha(c) && (p == 0 || !is_alnum(at(sc, p - 1)))) {
            size_t e = dotted_dob(sc, p);
            if (e == 0) {
                e = word_end(sc, p);
                if (!is_birth_word(sc, p, e))
                    e = 0;
            }
            if (e != 0) {
                sc->birth_consumed = e; /* so the scan does not arm it again */
                return true;
            }
            p = word_end(sc, p) - 1;
        } else if (c == '.' || c == '?' || c == '!' || c == '\n') {
            return false;
        }
    }
    return false;
}

/* A date s[start..end) was recognised: it is a date of birth when a cue says so. */
static void on_date(scanner *sc, size_t start, size_t end)
{
    bool dob = sc->birth_armed && start - sc->birth_cue <= BIRTH_WINDOW;
    if (!dob)
        dob = birth_cue_ahead(sc, end);
    if (dob) {
        sc->birth_armed = false;
        emit(sc, start, end, K_DOB);
    }
}

/* ---- dates in words ---- */

static const char *const MONTHS[] = {"january", "february", "march",     "april",   "may",      "june",
                                     "july",    "august",   "september", "october", "november", "december"};
static const char *const MONTHS_SHORT[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};

/* The month named by the word s[i..j) (1-12), or 0. */
static unsigned month_of(const scanner *sc, size_t i, size_t j)
{
    for (unsigned m = 0; m < 12; m++)
        if (word_is(sc, i, j, MONTHS[m]) || word_is(sc, i, j, MONTHS_SHORT[m]))
            return m + 1;
    return word_is(sc, i, j, "sept") ? 9 : 0;
}

/* A month name at i (followed by no letter, an abbreviation's '.' taken along): its end, or 0. */
static size_t month_at(const scanner *sc, size_t i)
{
    size_t e = word_end(sc, i);
    unsigned m = month_of(sc, i, e);
    if (m == 0 || is_digit(at(sc, e)))
        return 0;
    if (at(sc, e) == '.' && e - i <= 4)
        e++;
    return e;
}

/* A day of the month at i ("3", "03", "3rd", "14th"): its end, or 0. */
static size_t day_at(const scanner *sc, size_t i)
{
    size_t p = i;
    while (p < sc->n && p - i < 3 && is_digit(at(sc, p)))
        p++;
    if (p == i || p - i > 2 || is_digit(at(sc, p)))
        return 0;
    unsigned d = value(sc, i, p);
    if (d < 1 || d > 31)
        return 0;
    static const char *const suffixes[] = {"st", "nd", "rd", "th"};
    size_t e = word_end(sc, p);
    if (e > p && !word_in(sc, p, e, suffixes, 4))
        return 0;
    return is_digit(at(sc, e)) ? 0 : e;
}

/* ", 1985" or " 1985" after a date's day or month at i: the year's end, or i. */
static size_t year_after(const scanner *sc, size_t i)
{
    size_t p = i;
    if (at(sc, p) == ',')
        p++;
    size_t q = skip_spaces(sc, p);
    if (q == 0 && p == i)
        return i;
    p = q != 0 ? q : p;
    for (size_t k = 0; k < 4; k++)
        if (!is_digit(at(sc, p + k)))
            return i;
    if (is_alnum(at(sc, p + 4)))
        return i;
    unsigned y = value(sc, p, p + 4);
    return y >= 1900 && y <= 2099 ? p + 4 : i;
}

/* "March 3rd, 1985", "Mar. 3", "March the 3rd" at the month word i: the date's end, or 0. */
static size_t month_first_date(const scanner *sc, size_t i)
{
    size_t p = month_at(sc, i);
    if (p == 0)
        return 0;
    size_t q = expect_word(sc, p, "the");
    p = skip_spaces(sc, q != 0 ? q : p);
    size_t e = p != 0 ? day_at(sc, p) : 0;
    return e != 0 ? year_after(sc, e) : 0;
}

/* "14 March 1985", "3rd of March" at the digit i: the date's end, or 0. */
static size_t day_first_date(const scanner *sc, size_t i)
{
    size_t p = day_at(sc, i);
    if (p == 0 || (p = skip_spaces(sc, p)) == 0)
        return 0;
    size_t q = expect_word(sc, p - 1, "of");
    if (q != 0 && (p = skip_spaces(sc, q)) == 0)
        return 0;
    size_t e = month_at(sc, p);
    return e != 0 ? year_after(sc, e) : 0;
}

/* ---- e-mail addresses ---- */

static const char *const TLDS[] = {"com", "org", "net", "edu", "gov", "io", "co", "us", "uk", "ca", "info", "biz", "me"};
static const char *const PROVIDERS[] = {"gmail",  "googlemail", "yahoo", "hotmail", "outlook", "icloud", "aol",   "protonmail",
                                        "proton", "live",       "msn",   "comcast", "me",      "mac",    "ymail", "gmx"};

/* The end of a domain written at i (labels of letters, digits and '-' joined
 * by '.'), trailing dots and dashes left out; its label count in *labels. */
static size_t domain_end(const scanner *sc, size_t i, size_t *labels)
{
    size_t p = i;
    while (p < sc->n && p - i < DOMAIN_MAX && is_domain(at(sc, p)))
        p++;
    while (p > i && (at(sc, p - 1) == '.' || at(sc, p - 1) == '-'))
        p--;
    *labels = p > i ? 1 : 0;
    for (size_t k = i; k < p; k++)
        if (at(sc, k) == '.') {
            if (at(sc, k + 1) == '.' || k == i)
                return i; /* an empty label */
            (*labels)++;
        }
    return p;
}

/* The start of the last label of the domain s[i..e). */
static size_t last_label(const scanner *sc, size_t i, size_t e)
{
    size_t k = e;
    while (k > i && at(sc, k - 1) != '.')
        k--;
    return k;
}

/* "jane.doe@example.com" at i, the start of a run of local-part characters: its end, or 0. */
static size_t written_email(const scanner *sc, size_t i)
{
    size_t p = i;
    while (p < sc->n && p - i <= LOCAL_MAX && is_local(at(sc, p)))
        p++;
    if (at(sc, p) != '@' || p - i > LOCAL_MAX)
        return 0;
    size_t labels;
    size_t e = domain_end(sc, p + 1, &labels);
    if (labels < 2)
        return 0;
    size_t tld = last_label(sc, p + 1, e);
    if (e - tld < 2)
        return 0;
    for (size_t k = tld; k < e; k++)
        if (!is_alpha(at(sc, k)))
            return 0;
    return e;
}

/* A run of local-part characters at i, no longer than an address allows: its end, or 0. */
static size_t local_token(const scanner *sc, size_t i)
{
    size_t p = i;
    while (p < sc->n && p - i <= LOCAL_MAX && is_local(at(sc, p)))
        p++;
    while (p > i && at(sc, p - 1) == '.')
        p--;
    return p > i && p - i <= LOCAL_MAX && is_alnum(at(sc, i)) ? p : 0;
}

/* After spaces, a spoken joiner ("dot", "underscore", ...) and spaces at p: where the next token starts, or 0. */
static size_t spoken_join(const scanner *sc, size_t p, const char *const *joiners, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        size_t q = expect_word(sc, p, joiners[k]);
        if (q != 0)
            return skip_spaces(sc, q);
    }
    return 0;
}

/* "jane dot doe at gmail dot com", "jane.doe at gmail.com" at the word i: its end, or 0. */
static size_t spoken_email(const scanner *sc, size_t i)
{
    static const char *const local_joiners[] = {"dot", "period", "underscore", "dash", "hyphen"};
    static const char *const domain_joiners[] = {"dot", "period"};
    size_t p = local_token(sc, i);
    if (p == 0)
        return 0;
    for (int k = 0; k < 6; k++) {
        size_t q = spoken_join(sc, p, local_joiners, 5);
        if (q == 0 || (q = local_token(sc, q)) == 0)
            break;
        p = q;
    }
    size_t first = expect_word(sc, p, "at");
    if (first == 0 || (first = skip_spaces(sc, first)) == 0)
        return 0;
    size_t labels;
    size_t e = domain_end(sc, first, &labels);
    if (labels == 0)
        return 0;
    size_t first_end = first;
    while (first_end < e && at(sc, first_end) != '.')
        first_end++;
    for (int k = 0; k < 4; k++) {
        size_t q = spoken_join(sc, e, domain_joiners, 2);
        size_t more;
        size_t r = q != 0 ? domain_end(sc, q, &more) : 0;
        if (r == 0 || more == 0)
            break;
        e = r;
        labels += more;
    }
    if (labels < 2)
        return 0;
    size_t tld = e; /* the last label, after a written or a spoken dot */
    while (tld > first && is_alnum(at(sc, tld - 1)))
        tld--;
    if (!word_in(sc, tld, e, TLDS, sizeof TLDS / sizeof TLDS[0]))
        return 0;
    bool cue = sc->mail_armed && i - sc->mail_cue <= MAIL_WINDOW;
    if (!cue && !word_in(sc, first, first_end, PROVIDERS, sizeof PROVIDERS / sizeof PROVIDERS[0]))
        return 0;
    return e;
}

/* ---- numbers ---- */

static size_t glen(const group *g)
{
    return g->dend - g->dstart;
}

/* Reads the groups of the number at i into num: digit runs joined by a
 * space, a dash, a dot or a slash (one, with at most two spaces around a
 * dash), the first maybe after '+', one maybe in parentheses. A run glued to
 * a letter or longer than a card ends the number before it. Returns where
 * the first run of digits ends (at least i + 1): where to go on when the
 * number is none of ours. */
static size_t read_number(const scanner *sc, size_t i, number *num)
{
    size_t p = i, first_end = i + 1;
    num->start = i;
    num->plus = at(sc, p) == '+';
    num->count = 0;
    if (num->plus)
        p++;
    while (num->count < MAX_GROUPS) {
        group *g = &num->g[num->count];
        size_t q = p;
        g->start = p;
        g->paren = at(sc, q) == '(';
        if (g->paren)
            q++;
        if (!is_digit(at(sc, q)))
            break;
        g->dstart = q;
        while (q < sc->n && q - g->dstart <= MAX_GROUP_DIGITS && is_digit(at(sc, q)))
            q++;
        g->dend = q;
        if (num->count == 0)
            first_end = q;
        if (is_digit(at(sc, q)) || glen(g) > MAX_GROUP_DIGITS || (g->paren && at(sc, q++) != ')') || is_alpha(at(sc, q)))
            break;
        g->end = q;
        num->count++;
        /* The separator to a next group, if there is one. */
        size_t r = q, before = 0, after = 0;
        while (at(sc, r) == ' ' && before < 2)
            r++, before++;
        char sep = 0;
        if (at(sc, r) == '-' || at(sc, r) == '.' || at(sc, r) == '/')
            sep = (char)at(sc, r++);
        while (at(sc, r) == ' ' && after < 2)
            r++, after++;
        if (sep == 0 && before + after == 0)
            sep = g->paren ? ')' : 0;
        else if (sep == 0)
            sep = after == 0 ? ' ' : 0;
        else if (sep != '-' && before + after != 0)
            sep = 0; /* "1985. 2010": a sentence's full stop, not a separator */
        if (sep == 0 || (!is_digit(at(sc, r)) && at(sc, r) != '('))
            break;
        g->sep = sep;
        p = r;
    }
    return first_end;
}

static bool sep_is(char sep, const char *allowed)
{
    return sep != 0 && strchr(allowed, sep) != NULL;
}

/* Groups [0, k) of a card number, or 0. */
static size_t match_card(const scanner *sc, const number *num)
{
    size_t best = 0, digits = 0;
    if (num->plus || num->count == 0)
        return 0;
    /* Not the tail of a longer number ("900-12-3456 1234 ..."). */
    size_t s0 = num->start;
    if (s0 >= 2 && strchr(" -.", at(sc, s0 - 1)) != NULL && is_digit(at(sc, s0 - 2)))
        return 0;
    for (size_t k = 0; k < num->count; k++) {
        const group *g = &num->g[k];
        if (g->paren || (k > 0 && !sep_is(num->g[k - 1].sep, " -")))
            break;
        digits += glen(g);
        if (digits > 19)
            break;
        unsigned char lead = at(sc, num->g[0].dstart);
        if (digits >= 13 && lead >= '2' && lead <= '6' && vx_redact_luhn_ok(sc->s + num->g[0].dstart, g->dend - num->g[0].dstart))
            best = k + 1;
    }
    return best;
}

static bool ssn_valid(const scanner *sc, size_t area, size_t grp, size_t serial)
{
    unsigned a = value(sc, area, area + 3);
    return a != 0 && a != 666 && a < 900 && value(sc, grp, grp + 2) != 0 && value(sc, serial, serial + 4) != 0;
}

/* Groups [0, k) of a social security number, or 0. */
static size_t match_ssn(const scanner *sc, const number *num, size_t at_pos)
{
    const group *g = num->g;
    if (num->plus || num->count == 0 || g[0].paren)
        return 0;
    if (num->count >= 3 && glen(&g[0]) == 3 && glen(&g[1]) == 2 && glen(&g[2]) == 4 && !g[1].paren && !g[2].paren &&
        sep_is(g[0].sep, " -") && sep_is(g[1].sep, " -"))
        return ssn_valid(sc, g[0].dstart, g[1].dstart, g[2].dstart) ? 3 : 0;
    if (glen(&g[0]) == 9 && sc->ssn_armed && at_pos - sc->ssn_cue <= SSN_WINDOW)
        return ssn_valid(sc, g[0].dstart, g[0].dstart + 3, g[0].dstart + 5) ? 1 : 0;
    return 0;
}

static bool month_day_ok(unsigned month, unsigned day)
{
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/* Groups [0, k) of a numeric date (month and day either way round), or 0. */
static size_t match_date(const scanner *sc, const number *num)
{
    const group *g = num->g;
    if (num->plus || num->count < 2)
        return 0;
    for (size_t k = 0; k < num->count && k < 3; k++)
        if (g[k].paren)
            return 0;
    unsigned v0 = glen(&g[0]) <= 4 ? value(sc, g[0].dstart, g[0].dend) : 0;
    unsigned v1 = glen(&g[1]) <= 2 ? value(sc, g[1].dstart, g[1].dend) : 0;
    if (num->count >= 3 && g[0].sep == g[1].sep && sep_is(g[0].sep, "/-. ") && glen(&g[2]) <= 4) {
        unsigned v2 = value(sc, g[2].dstart, g[2].dend);
        size_t l0 = glen(&g[0]), l1 = glen(&g[1]), l2 = glen(&g[2]);
        if (l0 <= 2 && l1 <= 2 && (l2 == 2 || (l2 == 4 && v2 >= 1900 && v2 <= 2099)) &&
            (month_day_ok(v0, v1) || month_day_ok(v1, v0)))
            return 3;
        if (l0 == 4 && v0 >= 1900 && v0 <= 2099 && l1 <= 2 && l2 <= 2 && g[0].sep != ' ' && month_day_ok(v1, v2))
            return 3;
    }
    if (g[0].sep == '/' && glen(&g[0]) <= 2 && glen(&g[1]) <= 2 && (month_day_ok(v0, v1) || month_day_ok(v1, v0)))
        return 2;
    return 0;
}

/* Ten NANP digits: area code and exchange do not start with 0 or 1. */
static bool nanp_ok(const char *digits)
{
    return digits[0] >= '2' && digits[3] >= '2';
}

/* Groups [k, used) of a ten-digit NANP number starting at group k, or 0. */
static size_t match_nanp(const number *num, size_t k)
{
    const group *g = num->g + k;
    size_t left = num->count - k;
    if (left >= 3 && glen(&g[0]) == 3 && glen(&g[1]) == 3 && glen(&g[2]) == 4 && !g[1].paren && !g[2].paren &&
        sep_is(g[0].sep, " -.)") && sep_is(g[1].sep, " -."))
        return k + 3;
    if (left >= 2 && glen(&g[0]) == 3 && glen(&g[1]) == 7 && !g[1].paren && sep_is(g[0].sep, " -.)"))
        return k + 2;
    if (glen(&g[0]) == 10 && !g[0].paren)
        return k + 1;
    return 0;
}

/* Copies the digits of groups [0, used) to out (at most 15), dropping a leading
 * country code 1 of an 11-digit number. Returns how many were copied. */
static size_t phone_digits(const scanner *sc, const number *num, size_t used, char *out)
{
    size_t len = 0;
    for (size_t k = 0; k < used; k++)
        for (size_t p = num->g[k].dstart; p < num->g[k].dend && len < 15; p++)
            out[len++] = sc->s[p];
    if (len == 11 && out[0] == '1') {
        memmove(out, out + 1, 10);
        len = 10;
    }
    return len;
}

/* Groups [0, used) of a phone number, or 0; its digits (normalised as
 * phone_digits does) in digits, their count in *nd. */
static size_t match_phone(const scanner *sc, const number *num, char *digits, size_t *nd)
{
    const group *g = num->g;
    size_t used = 0;
    if (num->count == 0)
        return 0;
    bool lead1 = glen(&g[0]) == 1 && at(sc, g[0].dstart) == '1' && !g[0].paren && sep_is(g[0].sep, " -.");
    if (lead1 && num->count > 1)
        used = match_nanp(num, 1);
    else if (glen(&g[0]) == 11 && at(sc, g[0].dstart) == '1' && !g[0].paren)
        used = 1;
    else if (!num->plus)
        used = match_nanp(num, 0);
    if (used != 0) {
        *nd = phone_digits(sc, num, used, digits);
        return *nd == 10 && nanp_ok(digits) ? used : 0;
    }
    if (!num->plus)
        return 0;
    /* E.164 outside NANP: "+44 20 7946 0018", the longest run of groups with 10-15 digits. */
    size_t total = 0;
    for (size_t k = 0; k < num->count; k++) {
        if (g[k].paren || (k > 0 && !sep_is(g[k - 1].sep, " -.")))
            break;
        total += glen(&g[k]);
        if (total > 15)
            break;
        if (total >= 10)
            used = k + 1;
    }
    if (used != 0)
        *nd = phone_digits(sc, num, used, digits);
    return used;
}

/* The number at i: a card, an SSN, a date or a phone number, or none of them.
 * Returns where the scan goes on. */
static size_t on_number(scanner *sc, size_t i)
{
    if (is_digit(at(sc, i))) {
        size_t e = day_first_date(sc, i);
        if (e != 0) {
            on_date(sc, i, e);
            return e;
        }
    }
    number num;
    size_t next = read_number(sc, i, &num);
    if (num.count == 0)
        return next;
    size_t used;
    if ((used = match_card(sc, &num)) != 0) {
        emit(sc, num.start, num.g[used - 1].end, K_CARD);
    } else if ((used = match_ssn(sc, &num, i)) != 0) {
        emit(sc, num.start, num.g[used - 1].end, K_SSN);
    } else if ((used = match_date(sc, &num)) != 0) {
        on_date(sc, num.start, num.g[used - 1].end);
    } else {
        char digits[16];
        size_t nd = 0;
        if ((used = match_phone(sc, &num, digits, &nd)) == 0)
            return next;
        if (sc->caller_len != 0 && nd == sc->caller_len && memcmp(digits, sc->caller, nd) == 0)
            sc->st.caller_kept++;
        else
            emit(sc, num.start, num.g[used - 1].end, K_PHONE);
    }
    return num.g[used - 1].end;
}

/* ---- words ---- */

/* The word at i: a worded date, a spoken address, or a cue. Returns where the scan goes on. */
static size_t on_word(scanner *sc, size_t i)
{
    static const char *const ssn_words[] = {"social", "security", "ssn"};
    static const char *const mail_words[] = {"email", "mail", "emails"};
    size_t e = word_end(sc, i);
    size_t d = dotted_dob(sc, i);
    if (d > e) {
        if (d > sc->birth_consumed) {
            sc->birth_armed = true;
            sc->birth_cue = d;
        }
        return d;
    }
    size_t end = month_first_date(sc, i);
    if (end != 0) {
        on_date(sc, i, end);
        return end;
    }
    if ((end = spoken_email(sc, i)) != 0) {
        emit(sc, i, end, K_EMAIL);
        return end;
    }
    if (is_birth_word(sc, i, e)) {
        if (e > sc->birth_consumed) {
            sc->birth_armed = true;
            sc->birth_cue = e;
        }
    } else if (word_in(sc, i, e, SCHEDULING, sizeof SCHEDULING / sizeof SCHEDULING[0])) {
        sc->birth_armed = false;
    } else if (word_in(sc, i, e, ssn_words, 3)) {
        sc->ssn_armed = true;
        sc->ssn_cue = e;
    } else if (word_in(sc, i, e, mail_words, 3)) {
        sc->mail_armed = true;
        sc->mail_cue = e;
    }
    return e;
}

/* One of our markers at i: its end, or 0. */
static size_t marker_at(scanner *sc, size_t i)
{
    for (unsigned k = 0; k < sizeof MARKERS / sizeof MARKERS[0]; k++) {
        size_t len = strlen(MARKERS[k]);
        if (sc->n - i >= len && memcmp(sc->s + i, MARKERS[k], len) == 0) {
            /* A "[dob]" stands for a date of birth: it serves a cue as the date did. */
            if (k == K_DOB && !(sc->birth_armed && i - sc->birth_cue <= BIRTH_WINDOW))
                birth_cue_ahead(sc, i + len);
            if (k == K_DOB)
                sc->birth_armed = false;
            return i + len;
        }
    }
    return 0;
}

char *vx_redact(const char *text, size_t len, unsigned kinds, const char *caller_e164, vx_redact_stats *stats, size_t *out_len)
{
    scanner sc;
    memset(&sc, 0, sizeof sc);
    sc.s = text;
    sc.n = text != NULL ? len : 0;
    sc.kinds = kinds;
    sc.out = (vx_buf)VX_BUF_INIT;
    for (const char *c = caller_e164; c != NULL && *c != '\0'; c++) {
        if (!is_digit((unsigned char)*c))
            continue;
        if (sc.caller_len == 15) {
            sc.caller_len = 0; /* not a phone number: keep nothing */
            break;
        }
        sc.caller[sc.caller_len++] = *c;
    }
    if (sc.caller_len == 11 && sc.caller[0] == '1') {
        memmove(sc.caller, sc.caller + 1, 10);
        sc.caller_len = 10;
    }
    size_t i = 0;
    while (i < sc.n) {
        unsigned char c = at(&sc, i), prev = i > 0 ? at(&sc, i - 1) : 0;
        size_t next;
        if (c == '[' && (next = marker_at(&sc, i)) != 0) {
            i = next;
        } else if ((is_alnum(c) || c >= 0x80) && !is_local(prev) && prev != '@' && (next = written_email(&sc, i)) != 0) {
            emit(&sc, i, next, K_EMAIL);
            i = next;
        } else if (is_alpha(c) && !is_alnum(prev)) {
            i = on_word(&sc, i);
        } else if ((is_digit(c) || c == '+' || c == '(') && !is_alnum(prev)) {
            i = on_number(&sc, i);
        } else {
            i++;
        }
    }
    vx_buf_append(&sc.out, sc.s + sc.copied, sc.n - sc.copied);
    if (stats != NULL)
        *stats = sc.st;
    if (out_len != NULL)
        *out_len = sc.out.len;
    return vx_buf_steal(&sc.out);
}
