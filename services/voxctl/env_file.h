/*
 * env_file: the settings `make run` leaves for a second shell, which voxctl
 * reads when its own environment has none.
 *
 * Design:
 * - deploy/local/run.sh writes <state>/env (the state folder is
 *   $VOXANNE_STATE_DIR, by default <checkout>/.run): DATABASE_URL,
 *   ADMIN_DATABASE_URL, NATS_URL, GATEWAY_URL and the development secrets.
 * - voxctl looks for it at $VOXANNE_STATE_DIR/env, else at <checkout>/.run/env,
 *   where the checkout is found from the running binary itself
 *   (/proc/self/exe = <checkout>/build/<variant>/bin/voxctl) and only counts
 *   when that folder holds migrations/ and deploy/local/run.sh. An installed
 *   voxctl (/usr/local/bin, an image) never reads a file by accident.
 * - The environment wins, wholesale: when any of the variables asked for is
 *   set (non-empty) in the environment, the file is not read at all. One
 *   command then never pairs a database named in the environment with an
 *   admin URL or a secret from a file written for another setup (and a test
 *   that unsets JWT_SECRET on purpose still sees it unset).
 * - The file is parsed, never executed: `NAME=value` or `export NAME=value`
 *   lines, the value bare (backslash escapes the next character), in '...'
 *   or in "..." (where \" \\ \$ \` escape); blank lines and # comments are
 *   skipped; the last assignment of a name wins, as when the file is sourced.
 *   A value that only a shell could produce ($VAR, $(...), `...`, $'...', an
 *   unquoted ; | & < > ( )) is refused: the line is ignored with a warning
 *   naming the file, the line number and the variable, never the value.
 * - Nothing read from the file is printed: the one note on stderr names the
 *   variables taken, not their values.
 */
#ifndef VXCTL_ENV_FILE_H
#define VXCTL_ENV_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* What one line of an env file is. */
typedef enum {
    VXCTL_ENV_FILE_SKIP,   /* blank or a comment */
    VXCTL_ENV_FILE_ASSIGN, /* NAME=value */
    VXCTL_ENV_FILE_BAD,    /* not a plain assignment: ignored */
} vxctl_env_file_line;

/* Parses one line (its trailing "\n" or "\r\n" may be present). For
 * VXCTL_ENV_FILE_ASSIGN, *name and *value receive malloc'd strings; for
 * VXCTL_ENV_FILE_BAD, *name receives the name when one was read before the
 * problem (else NULL) and *value NULL; for VXCTL_ENV_FILE_SKIP both are NULL. */
vxctl_env_file_line vxctl_env_file_parse_line(const char *line, char **name, char **value);

/* The checkout holding the binary at exe_path, which must be
 * <checkout>/build/<variant>/bin/<program>, into out. False when exe_path is
 * not laid out so, when the folder does not hold migrations/ and
 * deploy/local/run.sh, or when out is too small. */
bool vxctl_env_file_checkout_of(const char *exe_path, char *out, size_t out_len);

/* vxctl_env_file_checkout_of for the running program (/proc/self/exe). */
bool vxctl_env_file_own_checkout(char *out, size_t out_len);

/* The env file to fall back to, into out: <state_dir>/env when state_dir is
 * non-empty, else <checkout>/.run/env when checkout is non-NULL. False when
 * there is neither or out is too small. */
bool vxctl_env_file_path(const char *state_dir, const char *checkout, char *out, size_t out_len);

/* The first of names[0..n) that is set and non-empty in the environment, or NULL. */
const char *vxctl_env_file_first_set(const char *const *names, size_t n);

/* What vxctl_env_file_apply found. */
typedef enum {
    VXCTL_ENV_FILE_OK = 0,      /* the file was read (it may have set nothing) */
    VXCTL_ENV_FILE_MISSING = 1, /* there is no such file: nothing set */
    VXCTL_ENV_FILE_ERROR = -1,  /* it exists but cannot be read (warned on stderr) */
} vxctl_env_file_status;

/* Sets each of names[0..n) that is unset or empty in the environment from
 * the env file at path, when the file assigns it a non-empty value. Writes the
 * names it set, separated by ", ", into loaded ("" when none; may be NULL).
 * Does not look at vxctl_env_file_first_set: the caller decides whether the
 * file may be used at all. */
vxctl_env_file_status vxctl_env_file_apply(const char *path, const char *const *names, size_t n, char *loaded, size_t loaded_len);

#endif
