/*
 * pg_errors: failed vx_pg calls as operator messages.
 *
 * The server's own message is always shown (it names the constraint or the
 * policy); a short hint is added for the SQLSTATEs with an obvious remedy.
 * libpq messages never contain the password, so nothing secret is printed.
 */
#include "pg_errors.h"

#include <string.h>

#include "cli.h"

static const char *hint_for(const char *sqlstate)
{
    static const struct {
        const char *state;
        const char *hint;
    } hints[] = {
        {"23503", "the referenced row does not exist (is the --org id right?)"},
        {"23505", "a row with this unique value already exists"},
        {"23514", "a value breaks a check constraint"},
        {"42501", "row-level security or a privilege refused the write"},
        {"42P01", "the table does not exist: run voxctl migrate first"},
        {"08006", "the database cannot be reached: check DATABASE_URL and that PostgreSQL runs"},
    };
    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        if (strcmp(sqlstate, hints[i].state) == 0)
            return hints[i].hint;
    }
    return NULL;
}

void vxctl_report_pg(const vx_pg *pg, const char *what)
{
    const char *state = vx_pg_sqlstate(pg);
    const char *hint = hint_for(state);
    const char *msg = vx_pg_error(pg);
    /* libpq's "ERROR:  " prefix says nothing our own prefix does not. */
    if (strncmp(msg, "ERROR:  ", 8) == 0)
        msg += 8;
    if (state[0] == '\0')
        vxctl_errorf("%s: %s", what, msg);
    else if (hint == NULL)
        vxctl_errorf("%s: %s (SQLSTATE %s)", what, msg, state);
    else
        vxctl_errorf("%s: %s (SQLSTATE %s: %s)", what, msg, state, hint);
}
