/*
 * vx_config: configuration from the environment (12-factor).
 *
 * A missing required value or a malformed number is a deployment mistake, so
 * these functions print one clear line to stderr and exit(2) instead of
 * returning an error the caller would have to handle.
 */
#ifndef VX_CONFIG_H
#define VX_CONFIG_H

/* A program's exit status (docs/conventions.md): clean shutdown, could not
 * start (reason logged), configuration mistake (what these functions exit with). */
enum { VX_EXIT_OK = 0, VX_EXIT_FAILED = 1, VX_EXIT_CONFIG = 2 };

/* The value of name; exits with "missing required environment variable NAME" when unset or empty. */
const char *vx_config_require(const char *name);
/* The value of name, or def when unset or empty. */
const char *vx_config_str(const char *name, const char *def);
/* An integer in [min, max], or def when unset or empty; exits when set but not such an integer. */
long vx_config_long(const char *name, long def, long min, long max);
/* A decimal number (no exponent) in [min, max], or def when unset or empty; exits when set but not such a number. */
double vx_config_double(const char *name, double def, double min, double max);

#endif
