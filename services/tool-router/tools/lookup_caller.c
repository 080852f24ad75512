/*
 * lookup_caller: the lookupCaller tool (contract in tools.h).
 *
 * Design: a one-read tool (tool_read in tool.h) — lookup_caller_plan checks
 * the arguments and names one statement, the framework runs the reads of
 * many callers in one database round trip, and lookup_caller_answer builds
 * the sentence from the rows.
 *
 * One prepared statement per search type; each returns at most LIMIT_ROWS
 * rows, most recently contacted first, with the days since the last contact
 * computed by the server so the sentence needs no clock arithmetic here.
 * LIMIT_ROWS is one more than we list, so "several" and "too many to list"
 * can be told apart.
 *
 * Privacy (issue 9): whoever is on the line can say any name, number or
 * address, so what a match gives back is a hint, never a contact detail —
 * the first name, the phone's last two digits ("…42"), the email's first
 * letters ("j***@d***.example"). Only a record whose phone is the number the
 * call comes from (ctx->caller_number) is the caller's own: then the full
 * name and the last call are said too. The email and phone are read only to
 * make the hints and to recognise the caller; they never leave this file.
 */
#include "tools/tools.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vx_utf8.h"
#include "vx_validate.h"

#define MAX_LISTED       5
#define LIMIT_ROWS       "6"
#define MAX_KEY          200
#define MIN_NAME_LETTERS 3

#define COLUMNS                                                                                                                    \
    "SELECT first_name, last_name, email, phone::text,"                                                                            \
    " to_char(last_contacted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"                                            \
    " floor(extract(epoch FROM now() - last_contacted_at) / 86400)::int FROM contacts WHERE org_id = $1::uuid AND "
#define ORDER " ORDER BY last_contacted_at DESC NULLS LAST, created_at DESC LIMIT " LIMIT_ROWS

enum { COL_FIRST, COL_LAST, COL_EMAIL, COL_PHONE, COL_LAST_CONTACTED, COL_DAYS };

/* Numbers are compared as text ($2::text, not $2::e164): a cast to the domain
 * is not a constant to the planner, so it would not use contacts (org_id, phone). */
void lookup_caller_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, "lookup_phone", COLUMNS "phone = $2::text" ORDER);
    vx_pg_prepare(pg, "lookup_email", COLUMNS "lower(email) = lower($2::text)" ORDER);
    /* $2 is already trimmed and single-spaced; lower() also folds non-ASCII letters. */
    vx_pg_prepare(pg, "lookup_name",
                  COLUMNS "CASE WHEN strpos($2::text, ' ') > 0"
                          " THEN lower(concat_ws(' ', first_name, last_name)) = lower($2::text)"
                          " ELSE starts_with(lower(first_name), lower($2::text)) END" ORDER);
}

bool lookup_caller_e164(const char *in, char out[LOOKUP_CALLER_E164_SIZE])
{
    char digits[16]; /* E.164 has at most 15 */
    size_t n = 0;
    bool plus = false;
    for (const char *p = in; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n == 15)
                return false;
            digits[n++] = *p;
        } else if (*p == '+' && n == 0 && !plus) {
            plus = true;
        } else if (!strchr(" -.()", *p)) {
            return false;
        }
    }
    digits[n] = '\0';
    if (plus)
        snprintf(out, LOOKUP_CALLER_E164_SIZE, "+%.15s", digits);
    else if (n == 10 && digits[0] >= '2')
        snprintf(out, LOOKUP_CALLER_E164_SIZE, "+1%.10s", digits);
    else if (n == 11 && digits[0] == '1' && digits[1] >= '2')
        snprintf(out, LOOKUP_CALLER_E164_SIZE, "+%.11s", digits);
    else
        return false;
    return vx_is_e164(out);
}

/* Trims, collapses whitespace and lower-cases (ASCII) a name into out. */
static void normalize_name(const char *in, vx_buf *out)
{
    for (const char *p = in; *p && out->len < MAX_KEY; p++) {
        if (isspace((unsigned char)*p)) {
            if (out->len > 0 && out->data[out->len - 1] != ' ')
                vx_buf_putc(out, ' ');
        } else {
            vx_buf_putc(out, (char)tolower((unsigned char)*p));
        }
    }
    if (out->len > 0 && out->data[out->len - 1] == ' ')
        out->data[--out->len] = '\0';
}

/* The letters of a name: ASCII letters and digits, and every non-ASCII
 * character (the first byte of each UTF-8 sequence); not spaces or
 * punctuation, so "J. D." has two. */
static size_t name_letters(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += *p >= 0xc0 || isalnum(*p);
    return n;
}

static const char *guess_type(const char *key)
{
    if (strchr(key, '@') != NULL)
        return "email";
    size_t digits = 0, len = strlen(key);
    for (const char *p = key; *p; p++)
        digits += isdigit((unsigned char)*p) != 0;
    return digits * 2 > len ? "phone" : "name";
}

/* "Jane Doe", "Jane", "Doe", or "" from the row. */
static void full_name(const PGresult *res, int row, vx_buf *out)
{
    const char *first = vx_pg_value(res, row, COL_FIRST), *last = vx_pg_value(res, row, COL_LAST);
    vx_buf_reset(out);
    vx_buf_puts(out, first != NULL ? first : "");
    if (last != NULL && last[0] != '\0') {
        if (out->len > 0)
            vx_buf_putc(out, ' ');
        vx_buf_puts(out, last);
    }
}

/* The first character of s (a whole UTF-8 sequence; one byte when s is not UTF-8). */
static void put_first_char(vx_buf *out, const char *s, size_t n)
{
    size_t len = vx_utf8_seq_len((const unsigned char *)s, n);
    vx_buf_append(out, s, len > 0 ? len : 1);
}

void lookup_caller_email_hint(const char *email, vx_buf *out)
{
    vx_buf_reset(out);
    const char *at = email != NULL ? strrchr(email, '@') : NULL;
    if (at == NULL || at == email || at[1] == '\0' || at[1] == '.')
        return;
    const char *domain = at + 1, *dot = strrchr(domain, '.');
    put_first_char(out, email, (size_t)(at - email));
    vx_buf_puts(out, "***@");
    put_first_char(out, domain, strlen(domain));
    vx_buf_puts(out, "***");
    if (dot != NULL && dot[1] != '\0')
        vx_buf_puts(out, dot);
}

/* The last two digits of an E.164 number, NULL for anything shorter than one. */
static const char *phone_tail(const char *phone)
{
    size_t n = phone != NULL ? strlen(phone) : 0;
    return n >= 8 ? phone + n - 2 : NULL;
}

void lookup_caller_phone_hint(const char *phone, vx_buf *out)
{
    vx_buf_reset(out);
    const char *tail = phone_tail(phone);
    if (tail != NULL)
        vx_buf_printf(out, "\xe2\x80\xa6%s", tail);
}

/* {"firstName", "phoneHint", "emailHint"} of a row, the hints when on file. */
static cJSON *contact_hints(const PGresult *res, int row, vx_buf *scratch)
{
    cJSON *c = cJSON_CreateObject();
    const char *first = vx_pg_value(res, row, COL_FIRST);
    cJSON_AddStringToObject(c, "firstName", first != NULL ? first : "");
    lookup_caller_phone_hint(vx_pg_value(res, row, COL_PHONE), scratch);
    if (scratch->len > 0)
        cJSON_AddStringToObject(c, "phoneHint", scratch->data);
    lookup_caller_email_hint(vx_pg_value(res, row, COL_EMAIL), scratch);
    if (scratch->len > 0)
        cJSON_AddStringToObject(c, "emailHint", scratch->data);
    return c;
}

/* The row's phone is the number this call comes from. */
static bool is_callers(const tool_ctx *ctx, const PGresult *res, int row)
{
    const char *phone = vx_pg_value(res, row, COL_PHONE);
    return ctx->caller_number != NULL && phone != NULL && strcmp(phone, ctx->caller_number) == 0;
}

static void say_found(const tool_ctx *ctx, const PGresult *res, tool_result *out)
{
    vx_buf said = VX_BUF_INIT, scratch = VX_BUF_INIT;
    const char *first = vx_pg_value(res, 0, COL_FIRST);
    bool callers = is_callers(ctx, res, 0);
    out->extra = cJSON_CreateObject();
    cJSON_AddBoolToObject(out->extra, "found", true);
    cJSON_AddBoolToObject(out->extra, "callerKnown", callers);
    cJSON *c = contact_hints(res, 0, &scratch);
    cJSON_AddItemToObject(out->extra, "contact", c);
    if (first == NULL || first[0] == '\0')
        vx_buf_puts(&said, "Found you!");
    else
        vx_buf_printf(&said, "Found you, %s!", first);
    if (callers) {
        /* The caller's own record: their name and their last call with us. */
        full_name(res, 0, &scratch);
        cJSON_AddStringToObject(c, "name", scratch.data != NULL ? scratch.data : "");
        const char *last = vx_pg_value(res, 0, COL_LAST_CONTACTED), *days_s = vx_pg_value(res, 0, COL_DAYS);
        if (last != NULL)
            cJSON_AddStringToObject(c, "lastContactedAt", last);
        long days = days_s != NULL ? strtol(days_s, NULL, 10) : -1;
        if (days == 0)
            vx_buf_puts(&said, " Your last call with us was less than a day ago.");
        else if (days > 0)
            vx_buf_printf(&said, " Your last call with us was %ld day%s ago.", days, days == 1 ? "" : "s");
    }
    tool_say(out, "%s", said.data);
    vx_buf_free(&said);
    vx_buf_free(&scratch);
}

static void say_several(const PGresult *res, tool_result *out)
{
    int n = PQntuples(res);
    out->extra = cJSON_CreateObject();
    cJSON_AddBoolToObject(out->extra, "found", false);
    cJSON_AddBoolToObject(out->extra, "multipleMatches", true);
    if (n > MAX_LISTED) {
        tool_say(out, "I found several people who match that. Could you give me your phone number or email instead?");
        return;
    }
    cJSON *list = cJSON_AddArrayToObject(out->extra, "contacts");
    vx_buf sentence = VX_BUF_INIT, scratch = VX_BUF_INIT;
    vx_buf_printf(&sentence, "I found %d people who match:", n);
    for (int i = 0; i < n; i++) {
        const char *first = vx_pg_value(res, i, COL_FIRST), *email = vx_pg_value(res, i, COL_EMAIL);
        const char *tail = phone_tail(vx_pg_value(res, i, COL_PHONE));
        cJSON_AddItemToArray(list, contact_hints(res, i, &scratch));
        vx_buf_printf(&sentence, "%s %s", i == 0 ? "" : (i == n - 1 ? " and" : ","),
                      first != NULL && first[0] != '\0' ? first : "someone");
        if (tail != NULL) {
            vx_buf_printf(&sentence, " (phone ending in %s)", tail);
        } else if (email != NULL && email[0] != '\0' && email[0] != '@') {
            vx_buf_puts(&sentence, " (email starting with ");
            put_first_char(&sentence, email, strlen(email));
            vx_buf_putc(&sentence, ')');
        }
    }
    tool_say(out, "%s. Which one are you?", sentence.data);
    vx_buf_free(&sentence);
    vx_buf_free(&scratch);
}

void lookup_caller_plan(const tool_ctx *ctx, tool_read *read, tool_result *out)
{
    const char *key = tool_arg_str(ctx, VX_TOOL_ARG_SEARCH_KEY);
    const char *type = tool_arg_str(ctx, VX_TOOL_ARG_SEARCH_TYPE);
    if (key == NULL || strlen(key) > MAX_KEY) {
        tool_fail(out, "I need a phone number, an email address or a name to look you up.");
        return;
    }
    if (type == NULL)
        type = guess_type(key);

    vx_buf *norm = &read->key;
    const char *stmt;
    char phone[LOOKUP_CALLER_E164_SIZE];
    if (strcasecmp(type, "phone") == 0) {
        if (!lookup_caller_e164(key, phone)) {
            tool_fail(out, "That doesn't sound like a full phone number. Could you say it again with the area code?");
            return;
        }
        stmt = "lookup_phone";
        vx_buf_puts(norm, phone);
    } else if (strcasecmp(type, "email") == 0) {
        if (strchr(key, '@') == NULL || strpbrk(key, " \t\r\n") != NULL) {
            tool_fail(out, "That doesn't sound like an email address. Could you spell it for me?");
            return;
        }
        stmt = "lookup_email";
        vx_buf_puts(norm, key);
    } else if (strcasecmp(type, "name") == 0) {
        normalize_name(key, norm);
        if (name_letters(norm->data != NULL ? norm->data : "") < MIN_NAME_LETTERS) {
            tool_fail(out, "I need at least three letters of a name to look someone up. Could you tell me your full name?");
            return;
        }
        stmt = "lookup_name";
    } else {
        tool_fail(out, "I can look you up by phone number, email address or name.");
        return;
    }
    read->q.stmt = stmt;
    read->q.nparams = 2;
    read->q.params[0] = ctx->org_id;
    read->q.params[1] = norm->data;
}

tool_status lookup_caller_answer(const tool_ctx *ctx, const PGresult *rows, tool_result *out)
{
    int n = PQntuples(rows);
    if (n == 0) {
        tool_say(out, "I couldn't find anyone matching that in our records. Would you like me to take your details as a new "
                      "caller?");
        out->extra = cJSON_CreateObject();
        cJSON_AddBoolToObject(out->extra, "found", false);
    } else if (n == 1) {
        say_found(ctx, rows, out);
    } else {
        say_several(rows, out);
    }
    return TOOL_DONE;
}
