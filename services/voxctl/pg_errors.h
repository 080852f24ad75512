/*
 * pg_errors: one place that turns a failed vx_pg call into an operator's
 * error line, naming the usual causes in plain words.
 */
#ifndef VXCTL_PG_ERRORS_H
#define VXCTL_PG_ERRORS_H

#include "vx_pg.h"

/* Prints "voxctl: error: <what>: <reason> (SQLSTATE x)" for pg's last error,
 * with a hint for the SQLSTATEs an operator can act on. */
void vxctl_report_pg(const vx_pg *pg, const char *what);

#endif
