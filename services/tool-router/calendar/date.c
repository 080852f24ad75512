/*
 * date: civil dates and date-times (see date.h).
 *
 * Design: calendar arithmetic is libcommon's (vx_time: integers only — no
 * mktime, no TZ, no locale), so it is the same on every machine and in
 * every thread. The readers are hand-written
 * scanners over exact digit counts: a voice model's "2026-3-5" or
 * "10:00 tomorrow" is refused here rather than guessed at, and the tool asks
 * the caller again.
 */
#include "calendar/date.h"

#include <stdio.h>
#include <string.h>

#include "vx_time.h"

#define MS_PER_MINUTE 60000LL

int64_t date_days(date_ymd d)
{
    return vx_days_from_civil(d.year, (unsigned)d.month, (unsigned)d.day);
}

date_ymd date_from_days(int64_t z)
{
    int64_t y;
    unsigned m, day;
    vx_civil_from_days(z, &y, &m, &day);
    return (date_ymd){.year = (int)y, .month = (int)m, .day = (int)day};
}

int date_weekday(date_ymd d)
{
    int64_t days = date_days(d); /* 1970-01-01 was a Thursday (4) */
    return (int)(((days % 7) + 7 + 4) % 7);
}

void date_iso(date_ymd d, char out[11])
{
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)d.year % 10000u, (unsigned)d.month % 100u, (unsigned)d.day % 100u);
}

void date_label(date_ymd d, char *out, size_t size)
{
    static const char *const weekdays[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    static const char *const months[12] = {"January", "February", "March",     "April",   "May",      "June",
                                           "July",    "August",   "September", "October", "November", "December"};
    int m = d.month >= 1 && d.month <= 12 ? d.month : 1;
    snprintf(out, size, "%s, %s %d", weekdays[date_weekday(d)], months[m - 1], d.day);
}

/* Reads exactly n digits at *p into *v and advances *p. */
static bool digits(const char **p, int n, int *v)
{
    int acc = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        acc = acc * 10 + (c - '0');
    }
    *p += n;
    *v = acc;
    return true;
}

static bool date_at(const char **p, date_ymd *out)
{
    date_ymd d;
    if (!digits(p, 4, &d.year) || *(*p)++ != '-' || !digits(p, 2, &d.month) || *(*p)++ != '-' || !digits(p, 2, &d.day))
        return false;
    if (d.year < 1970 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > (int)vx_days_in_month(d.year, (unsigned)d.month))
        return false;
    *out = d;
    return true;
}

bool date_parse(const char *s, date_ymd *out)
{
    const char *p = s;
    date_ymd d;
    if (s == NULL || !date_at(&p, &d))
        return false;
    if (*p != '\0' && *p != 'T' && *p != 't' && *p != ' ')
        return false;
    *out = d;
    return true;
}

bool date_time_parse(const char *s, date_time *out)
{
    date_time dt;
    memset(&dt, 0, sizeof(dt));
    const char *p = s;
    if (s == NULL || !date_at(&p, &dt.date) || (*p != 'T' && *p != 't' && *p != ' '))
        return false;
    p++;
    if (!digits(&p, 2, &dt.hour) || *p++ != ':' || !digits(&p, 2, &dt.minute))
        return false;
    if (*p == ':') {
        p++;
        if (!digits(&p, 2, &dt.second))
            return false;
        if (*p == '.') {
            const char *frac = ++p;
            while (*p >= '0' && *p <= '9')
                p++;
            if (p == frac)
                return false;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        dt.has_offset = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh = 0, om = 0;
        if (!digits(&p, 2, &oh))
            return false;
        if (*p == ':')
            p++;
        if (*p != '\0' && !digits(&p, 2, &om))
            return false;
        if (oh > 23 || om > 59)
            return false;
        dt.has_offset = true;
        dt.offset_minutes = sign * (oh * 60 + om);
    }
    if (*p != '\0' || dt.hour > 23 || dt.minute > 59 || dt.second > 59)
        return false;
    *out = dt;
    return true;
}

int64_t date_time_instant(const date_time *dt)
{
    int64_t minutes = date_days(dt->date) * 1440 + dt->hour * 60 + dt->minute - dt->offset_minutes;
    return minutes * MS_PER_MINUTE + dt->second * 1000LL;
}

void date_time_local(const date_time *dt, char out[20])
{
    snprintf(out, 20, "%04u-%02u-%02u %02u:%02u:%02u", (unsigned)dt->date.year % 10000u, (unsigned)dt->date.month % 100u,
             (unsigned)dt->date.day % 100u, (unsigned)dt->hour % 100u, (unsigned)dt->minute % 100u, (unsigned)dt->second % 100u);
}
