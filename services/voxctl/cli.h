/*
 * cli: what every voxctl command shares — exit statuses, error printing and a
 * small "--name value" option parser.
 *
 * voxctl writes results (ids, tokens, migration lines) on stdout and
 * everything else on stderr, so scripts can capture stdout as is.
 */
#ifndef VXCTL_CLI_H
#define VXCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* The process exit status of a command. */
typedef enum {
    VXCTL_OK = 0,     /* done */
    VXCTL_FAILED = 1, /* the command ran and failed (database error, refused migration, …) */
    VXCTL_USAGE = 2,  /* bad command line or invalid input: nothing was changed */
} vxctl_status;

/* Prints "voxctl: error: <message>" and a newline on stderr. */
void vxctl_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One accepted option, "--name value" or "--name=value". */
typedef struct vxctl_opt {
    const char *name;   /* without the leading "--" */
    const char **value; /* receives a pointer into argv; left untouched when the option is absent */
    bool required;
} vxctl_opt;

/* Parses argv[0..argc) for command cmd (used in messages) against opts.
 * Returns VXCTL_OK, or VXCTL_USAGE after printing why (unknown or repeated
 * option, missing value, missing required option, stray argument). */
vxctl_status vxctl_args_parse(const char *cmd, int argc, char **argv, const vxctl_opt *opts, size_t nopts);

/* True when argv[0..argc) asks for help (-h or --help anywhere). */
bool vxctl_args_want_help(int argc, char **argv);

/* Parses a decimal integer option value in [min, max] into *out.
 * Returns VXCTL_OK, or VXCTL_USAGE after printing which option is wrong. */
vxctl_status vxctl_parse_long(const char *opt, const char *s, long min, long max, long *out);

/* Number of characters in s, or -1 when s is not valid UTF-8 (as vx_utf8 checks it: RFC 3629, no
 * overlong forms, no surrogates) or holds an ASCII control character. */
long vxctl_text_chars(const char *s);

#endif
