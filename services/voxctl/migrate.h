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
 *
 * The folder is --dir, else MIGRATIONS_DIR (the image sets it), else the
 * migrations/ of the checkout this voxctl was built in, else ./migrations;
 * the run says which it used, or why there is none.
 */
#ifndef VXCTL_MIGRATE_H
#define VXCTL_MIGRATE_H

#include <stddef.h>

#include "cli.h"

/* Applies the new migrations found in dir to the database at conninfo (a role
 * that may create and own objects: the admin URL). Prints "applied <file>"
 * per migration and a summary line on stdout. Returns VXCTL_OK, or
 * VXCTL_FAILED after printing the reason on stderr; a failed migration leaves
 * nothing of itself behind. */
vxctl_status vxctl_migrate(const char *conninfo, const char *dir);

/* Where the migrations folder came from (found: >= 0). */
typedef enum {
    VXCTL_MIGRATE_DIR_GIVEN = 0,    /* --dir */
    VXCTL_MIGRATE_DIR_ENV = 1,      /* MIGRATIONS_DIR */
    VXCTL_MIGRATE_DIR_CHECKOUT = 2, /* <checkout>/migrations, the checkout holding this voxctl */
    VXCTL_MIGRATE_DIR_CWD = 3,      /* ./migrations */
    VXCTL_MIGRATE_DIR_NONE = -1,    /* nothing found, or an explicit choice is not a folder */
} vxctl_migrate_dir_source;

/* Picks the migrations folder: flag (--dir) when given, else env_dir
 * (MIGRATIONS_DIR) when non-empty, else <checkout>/migrations when checkout is
 * non-NULL and that is a folder, else ./migrations when that is a folder. An
 * explicit choice (flag or env_dir) is never skipped: when it is not a folder
 * the result is VXCTL_MIGRATE_DIR_NONE. The folder is written into out.
 * Prints nothing. */
vxctl_migrate_dir_source vxctl_migrate_pick_dir(const char *flag, const char *env_dir, const char *checkout, char *out,
                                                size_t out_len);

/* vxctl_migrate_pick_dir, then one line saying which folder is used on stdout
 * ("migrate: migrations from <dir> (<why>)"). Returns VXCTL_OK with the
 * folder in out, or VXCTL_USAGE after saying on stderr why there is none. */
vxctl_status vxctl_migrate_choose_dir(const char *flag, const char *env_dir, const char *checkout, char *out, size_t out_len);

#endif
