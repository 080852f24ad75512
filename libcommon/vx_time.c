/*
 * vx_time: clocks and RFC 3339 timestamps.
 *
 * Design: calendar arithmetic is done here, on integers, with Howard
 * Hinnant's days_from_civil / civil_from_days algorithms (proleptic
 * Gregorian calendar). Nothing calls mktime, timegm, strptime or gmtime, so
 * the results never depend on the TZ environment variable, the locale or
 * libc extensions, and the functions are thread safe.
 *
 * Supported range: years 0000 to 9999, the range RFC 3339 can write.
 * vx_time_format_iso clamps instants outside it to the nearest end, so its
 * output always has exactly 24 characters.
 */
#include "vx_time.h"

#include <stddef.h>
#include <time.h>

#define MS_PER_DAY 86400000LL
#define US_PER_DAY 86400000000LL
/* 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z in unix ms. */
#define VX_TIME_MIN_MS (-62167219200000LL)
#define VX_TIME_MAX_MS 253402300799999LL

int64_t vx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vx_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t vx_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void vx_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned vx_days_in_month(int64_t y, unsigned m)
{
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Writes v as exactly width decimal digits (v must fit). */
static void put_digits(char *out, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* Writes "YYYY-MM-DDTHH:MM:SS" (19 characters) of the day days since 1970
 * and the second of that day. */
static void put_date_time(char *out, int64_t days, unsigned second_of_day)
{
    int64_t y;
    unsigned m, d;
    vx_civil_from_days(days, &y, &m, &d);
    put_digits(out, (unsigned)y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = 'T';
    put_digits(out + 11, second_of_day / 3600, 2);
    out[13] = ':';
    put_digits(out + 14, second_of_day / 60 % 60, 2);
    out[16] = ':';
    put_digits(out + 17, second_of_day % 60, 2);
}

void vx_time_format_iso(int64_t unix_ms, char out[25])
{
    if (unix_ms < VX_TIME_MIN_MS)
        unix_ms = VX_TIME_MIN_MS;
    if (unix_ms > VX_TIME_MAX_MS)
        unix_ms = VX_TIME_MAX_MS;
    int64_t days = unix_ms / MS_PER_DAY;
    int64_t rem = unix_ms % MS_PER_DAY;
    if (rem < 0) { /* floor division for instants before 1970 */
        rem += MS_PER_DAY;
        days--;
    }
    unsigned ms_of_day = (unsigned)rem;
    put_date_time(out, days, ms_of_day / 1000);
    out[19] = '.';
    put_digits(out + 20, ms_of_day % 1000, 3);
    out[23] = 'Z';
    out[24] = '\0';
}

void vx_time_format_us(int64_t unix_us, char out[VX_TIME_US_LEN])
{
    if (unix_us < 0)
        unix_us = 0;
    if (unix_us > VX_TIME_US_MAX)
        unix_us = VX_TIME_US_MAX;
    int64_t us_of_day = unix_us % US_PER_DAY;
    put_date_time(out, unix_us / US_PER_DAY, (unsigned)(us_of_day / 1000000));
    out[19] = '.';
    put_digits(out + 20, (unsigned)(us_of_day % 1000000), 6);
    out[26] = 'Z';
    out[27] = '\0';
}

/* Reads exactly n decimal digits at *p into *v and advances *p. */
static bool read_digits(const char **p, int n, unsigned *v)
{
    unsigned acc = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        acc = acc * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *v = acc;
    return true;
}

static bool expect_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/*
 * Parses date-time from RFC 3339 §5.6:
 *   YYYY-MM-DD ('T' | 't' | ' ') hh:mm:ss [. fraction] ('Z' | 'z' | ('+'|'-') hh:mm)
 * The fraction may have any number of digits; it is truncated to
 * milliseconds. Second 60 (a leap second) is accepted and, like timegm(),
 * lands on the first second of the next minute. Anything else — missing
 * parts, trailing characters, out-of-range fields, day 31 of a 30-day month,
 * February 29 outside leap years — is rejected. *unix_ms is written only on
 * success.
 */
bool vx_time_parse_iso(const char *s, int64_t *unix_ms)
{
    if (!s || !unix_ms)
        return false;
    const char *p = s;
    unsigned year, mon, day, hour, min, sec, ms = 0;
    if (!read_digits(&p, 4, &year) || !expect_char(&p, '-') || !read_digits(&p, 2, &mon) || !expect_char(&p, '-') ||
        !read_digits(&p, 2, &day))
        return false;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    if (!read_digits(&p, 2, &hour) || !expect_char(&p, ':') || !read_digits(&p, 2, &min) || !expect_char(&p, ':') ||
        !read_digits(&p, 2, &sec))
        return false;
    if (*p == '.') {
        size_t nfrac = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, nfrac++)
            if (nfrac < 3)
                ms = ms * 10 + (unsigned)(*p - '0');
        if (nfrac == 0)
            return false;
        for (; nfrac < 3; nfrac++) /* ".5" is 500 ms, ".25" is 250 ms */
            ms *= 10;
    }
    int64_t offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        unsigned oh, om;
        p++;
        if (!read_digits(&p, 2, &oh) || !expect_char(&p, ':') || !read_digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
        offset_min = sign * (int64_t)(oh * 60 + om);
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    if (mon < 1 || mon > 12 || day < 1 || day > vx_days_in_month(year, mon) || hour > 23 || min > 59 || sec > 60)
        return false;
    int64_t days = vx_days_from_civil(year, mon, day);
    int64_t secs = days * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec - offset_min * 60;
    *unix_ms = secs * 1000 + ms;
    return true;
}
