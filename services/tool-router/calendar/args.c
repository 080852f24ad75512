/*
 * args: argument readers of the calendar tools (see args.h).
 *
 * Design: arguments are read with tool_arg so that "absent or null" (the
 * caller did not say it) and "present but not a usable string" (the model
 * sent a number, an object, a novel) stay different answers. Lengths are
 * bounded before anything is copied: a megabyte string costs one strnlen
 * over at most 4 × max_chars bytes. Date-times with an offset become
 * instants here; local ones need the org's tz database and go through
 * calendar/local_time's one-row query.
 */
#include "calendar/args.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendar/local_time.h"
#include "vx_buf.h"
#include "vx_utf8.h"
#include "vx_validate.h"

#define PHONE_IN_MAX 40 /* "+1 (555) 123-4567 ext" and then some */
#define DATE_IN_MAX  64

char *args_clean_text(const char *in, size_t max_chars)
{
    if (in == NULL)
        return NULL;
    size_t len = strnlen(in, max_chars * 4 + 1);
    if (len > max_chars * 4) /* more bytes than max_chars characters can take */
        return NULL;
    vx_buf out = VX_BUF_INIT;
    size_t chars = 0;
    bool space = false;
    for (size_t i = 0; i < len;) {
        const unsigned char *p = (const unsigned char *)in + i;
        size_t n = vx_utf8_seq_len(p, len - i);
        if (n == 0) {
            vx_buf_free(&out);
            return NULL;
        }
        /* C0 controls, DEL, C1 controls (U+0080..U+009F), U+2028, U+2029. */
        bool blank = (n == 1 && (*p < 0x20 || *p == 0x7f || *p == ' ')) || (n == 2 && p[0] == 0xC2 && p[1] < 0xA0) ||
                     (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9));
        if (blank) {
            space = out.len > 0;
        } else {
            if (space) {
                vx_buf_putc(&out, ' ');
                chars++;
                space = false;
            }
            vx_buf_append(&out, p, n);
            chars++;
        }
        i += n;
    }
    if (out.len == 0 || chars > max_chars) {
        vx_buf_free(&out);
        return NULL;
    }
    return vx_buf_steal(&out);
}

bool args_e164(const char *in, char out[ARGS_E164_SIZE])
{
    if (in == NULL || strnlen(in, PHONE_IN_MAX + 1) > PHONE_IN_MAX)
        return false;
    size_t n = 0;
    for (const char *p = in; *p != '\0'; p++) {
        if (*p == ' ' || *p == '-' || *p == '.' || *p == '(' || *p == ')')
            continue;
        if (n >= ARGS_E164_SIZE - 1)
            return false;
        out[n++] = *p;
    }
    out[n] = '\0';
    return vx_is_e164(out);
}

args_status args_text(const tool_ctx *ctx, const char *name, size_t max_chars, char **out)
{
    *out = NULL;
    const cJSON *v = tool_arg(ctx, name);
    if (v == NULL || (cJSON_IsString(v) && v->valuestring[0] == '\0'))
        return ARGS_MISSING;
    if (!cJSON_IsString(v))
        return ARGS_INVALID;
    *out = args_clean_text(v->valuestring, max_chars);
    if (*out != NULL)
        return ARGS_OK;
    /* Only whitespace counts as not said; anything else that failed is invalid. */
    for (const char *p = v->valuestring; *p != '\0'; p++)
        if ((unsigned char)*p > ' ')
            return ARGS_INVALID;
    return ARGS_MISSING;
}

args_status args_phone(const tool_ctx *ctx, const char *name, char out[ARGS_E164_SIZE])
{
    const cJSON *v = tool_arg(ctx, name);
    if (v != NULL && !(cJSON_IsString(v) && v->valuestring[0] == '\0')) {
        if (!cJSON_IsString(v))
            return ARGS_INVALID;
        return args_e164(v->valuestring, out) ? ARGS_OK : ARGS_INVALID;
    }
    if (ctx->caller_number != NULL && vx_is_e164(ctx->caller_number)) {
        memcpy(out, ctx->caller_number, strlen(ctx->caller_number) + 1);
        return ARGS_OK;
    }
    return ARGS_MISSING;
}

args_status args_date(const tool_ctx *ctx, const char *name, date_ymd today, date_ymd *out)
{
    static const char *const weekdays[7] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
    char *text = NULL;
    args_status st = args_text(ctx, name, DATE_IN_MAX, &text);
    if (st != ARGS_OK)
        return st;
    st = ARGS_INVALID;
    int64_t base = date_days(today);
    if (strcasecmp(text, "today") == 0) {
        *out = today;
        st = ARGS_OK;
    } else if (strcasecmp(text, "tomorrow") == 0) {
        *out = date_from_days(base + 1);
        st = ARGS_OK;
    } else if (date_parse(text, out)) {
        st = ARGS_OK;
    } else {
        for (int w = 0; w < 7; w++) {
            if (strcasecmp(text, weekdays[w]) == 0) {
                int ahead = (w - date_weekday(today) + 7) % 7;
                *out = date_from_days(base + ahead);
                st = ARGS_OK;
            }
        }
    }
    free(text);
    return st;
}

args_status args_date_time(const tool_ctx *ctx, const char *name, date_time *out)
{
    char *text = NULL;
    args_status st = args_text(ctx, name, DATE_IN_MAX, &text);
    if (st == ARGS_OK && !date_time_parse(text, out))
        st = ARGS_INVALID;
    free(text);
    return st;
}

int args_instant(const tool_ctx *ctx, const char *name, const char *tz, int64_t *out, args_status *st)
{
    date_time dt;
    *st = args_date_time(ctx, name, &dt);
    if (*st != ARGS_OK)
        return 0;
    if (dt.has_offset) {
        *out = date_time_instant(&dt);
        return 0;
    }
    return local_time_instant(ctx, tz, &dt, out);
}
