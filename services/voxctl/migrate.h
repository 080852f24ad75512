/*
 * migrate: the project's migrator — applies migrations/NNNN_name.sql in order,
 * each in its own transaction, and records them with their SHA-256 in
 * schema_migrations.
 *
 * It refuses to touch the database (and says which file) when an applied
 * migration's file changed or disappeared, when a new file is numbered below
 * the newest applied one, or when two files share a number. Several migrators
 * may start at once: a PostgreSQL advisory lock lets one work at a time, and
 * the others then find nothing left to do.
 */
#ifndef VXCTL_MIGRATE_H
#define VXCTL_MIGRATE_H

#include "cli.h"

/* Applies the new migrations found in dir to the database at conninfo (a role
 * that may create and own objects: the admin URL). Prints "applied <file>"
 * per migration and a summary line on stdout. Returns VXCTL_OK, or
 * VXCTL_FAILED after printing the reason on stderr; a failed migration leaves
 * nothing of itself behind. */
vxctl_status vxctl_migrate(const char *conninfo, const char *dir);

#endif
