/*
 * cli: exit statuses, error lines and option parsing for voxctl.
 *
 * The parser is deliberately tiny: every voxctl option takes a value, so an
 * option is "--name value" or "--name=value", each at most once, and nothing
 * else may appear on the command line. A table of vxctl_opt says which names
 * exist and which are required; values stay pointers into argv.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_utf8.h"

void vxctl_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("voxctl: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The entry of opts called name (len bytes), or NULL. */
static const vxctl_opt *find_opt(const vxctl_opt *opts, size_t nopts, const char *name, size_t len)
{
    for (size_t i = 0; i < nopts; i++) {
        if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0)
            return &opts[i];
    }
    return NULL;
}

vxctl_status vxctl_args_parse(const char *cmd, int argc, char **argv, const vxctl_opt *opts, size_t nopts)
{
    bool seen[16] = {false};
    if (nopts > sizeof(seen) / sizeof(seen[0]))
        abort();
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            vxctl_errorf("%s: unexpected argument '%s' (see: voxctl help)", cmd, arg);
            return VXCTL_USAGE;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        const vxctl_opt *opt = find_opt(opts, nopts, name, name_len);
        if (opt == NULL) {
            vxctl_errorf("%s: unknown option '--%.*s' (see: voxctl help)", cmd, (int)name_len, name);
            return VXCTL_USAGE;
        }
        size_t idx = (size_t)(opt - opts);
        if (seen[idx]) {
            vxctl_errorf("%s: option --%s given twice", cmd, opt->name);
            return VXCTL_USAGE;
        }
        seen[idx] = true;
        if (eq != NULL) {
            *opt->value = eq + 1;
        } else if (i + 1 < argc) {
            *opt->value = argv[++i];
        } else {
            vxctl_errorf("%s: option --%s needs a value", cmd, opt->name);
            return VXCTL_USAGE;
        }
    }
    for (size_t i = 0; i < nopts; i++) {
        if (opts[i].required && !seen[i]) {
            vxctl_errorf("%s: missing required option --%s (see: voxctl help)", cmd, opts[i].name);
            return VXCTL_USAGE;
        }
    }
    return VXCTL_OK;
}

bool vxctl_args_want_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

vxctl_status vxctl_parse_long(const char *opt, const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (s[0] == '\0' || s[0] == ' ' || *end != '\0' || errno != 0 || v < min || v > max) {
        vxctl_errorf("--%s must be an integer between %ld and %ld", opt, min, max);
        return VXCTL_USAGE;
    }
    *out = v;
    return VXCTL_OK;
}

long vxctl_text_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    long n = 0;
    while (left > 0) {
        if (*p < 0x20 || *p == 0x7f)
            return -1;
        size_t len = vx_utf8_seq_len(p, left);
        if (len == 0)
            return -1;
        p += len;
        left -= len;
        n++;
    }
    return n;
}
