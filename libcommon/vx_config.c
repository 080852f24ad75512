/*
 * vx_config: configuration read from the environment.
 *
 * Design: every function reads getenv() at call time and keeps no state, so
 * the module is trivially thread safe as long as nobody calls setenv()
 * concurrently (services read their configuration once, in main). A value
 * that is set but empty counts as unset everywhere: "FOO=" in a compose file
 * or a Kubernetes manifest almost always means "not configured".
 *
 * Errors are deployment mistakes: one line on stderr naming the variable and
 * what was expected, then exit(2). The offending value itself is never
 * printed, because the variable might hold a secret that was put in the
 * wrong place.
 */
#include "vx_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* The value of name, or NULL when unset or empty. */
static const char *config_get(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

const char *vx_config_require(const char *name)
{
    const char *v = config_get(name);
    if (!v) {
        fprintf(stderr, "missing required environment variable %s\n", name);
        exit(VX_EXIT_CONFIG);
    }
    return v;
}

const char *vx_config_str(const char *name, const char *def)
{
    const char *v = config_get(name);
    return v ? v : def;
}

/* Parses a whole decimal integer (optional sign, no whitespace, no trailing
 * characters) and checks it against [min, max]. Exits on anything else. */
long vx_config_long(const char *name, long def, long min, long max)
{
    const char *v = config_get(name);
    if (!v)
        return def;
    const char *digits = (v[0] == '-' || v[0] == '+') ? v + 1 : v;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!isdigit((unsigned char)digits[0]) || errno == ERANGE || *end != '\0' || n < min || n > max) {
        fprintf(stderr, "environment variable %s must be an integer in [%ld, %ld]\n", name, min, max);
        exit(VX_EXIT_CONFIG);
    }
    return n;
}

/* A plain decimal number (digits, an optional '.' and fraction, an optional
 * sign; no exponent, "inf" or "nan", which strtod would take) in [min, max]. */
double vx_config_double(const char *name, double def, double min, double max)
{
    const char *v = config_get(name);
    if (!v)
        return def;
    const char *p = (v[0] == '-' || v[0] == '+') ? v + 1 : v;
    bool digits = false, point = false, plain = true;
    for (; *p != '\0' && plain; p++) {
        if (isdigit((unsigned char)*p))
            digits = true;
        else if (*p == '.' && !point)
            point = true;
        else
            plain = false;
    }
    char *end = NULL;
    errno = 0;
    double d = plain && digits ? strtod(v, &end) : 0;
    if (!plain || !digits || errno == ERANGE || end == NULL || *end != '\0' || d < min || d > max) {
        fprintf(stderr, "environment variable %s must be a number in [%g, %g]\n", name, min, max);
        exit(VX_EXIT_CONFIG);
    }
    return d;
}
