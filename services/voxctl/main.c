/*
 * voxctl: the operator's command line — migrate the database, create
 * organizations and agents, mint dashboard tokens.
 *
 * This file only wires: it picks the command, parses its options, reads the
 * environment and hands over to the module that does the work (migrate.c,
 * orgs.c, agents.c, token.c). Exit status: 0 done, 1 failed, 2 usage error
 * (see cli.h). Results go to stdout, everything else to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents.h"
#include "cli.h"
#include "migrate.h"
#include "orgs.h"
#include "token.h"
#include "vx_config.h"
#include "vx_log.h"
#include "vx_pg.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

static const char usage_text[] = "usage: voxctl <command> [options]\n"
                                 "\n"
                                 "commands:\n"
                                 "  migrate [--dir migrations]\n"
                                 "      Apply the new migrations/NNNN_name.sql files, each in its own transaction,\n"
                                 "      as ADMIN_DATABASE_URL (else DATABASE_URL). Refuses to run when an applied\n"
                                 "      file changed or disappeared.\n"
                                 "  org create --name <name>\n"
                                 "      Create an organization (as DATABASE_URL, under row-level security); prints its id.\n"
                                 "  agent create --org <uuid> --assistant-id <id> [--phone-number-id <id>]\n"
                                 "               [--phone-number <+E164>] [--name <name>]\n"
                                 "      Create an agent for an organization; prints its id.\n"
                                 "  token --org <uuid> [--user <id>] [--role owner] [--ttl 3600]\n"
                                 "      Print a dashboard JWT signed with JWT_SECRET.\n"
                                 "  help\n"
                                 "      Show this text.\n"
                                 "\n"
                                 "exit status: 0 done, 1 failed, 2 usage error\n";

/* Prints the error and the usage text on stderr; returns VXCTL_USAGE. */
static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "voxctl: error: %s%s\n\n%s", what, arg, usage_text);
    return VXCTL_USAGE;
}

static int cmd_migrate(int argc, char **argv)
{
    const char *dir = "migrations";
    const vxctl_opt opts[] = {{"dir", &dir, false}};
    vxctl_status st = vxctl_args_parse("migrate", argc, argv, opts, N_OPTS(opts));
    if (st != VXCTL_OK)
        return st;
    const char *url = vx_config_str("ADMIN_DATABASE_URL", vx_config_str("DATABASE_URL", NULL));
    if (url == NULL) {
        vxctl_errorf("migrate: set ADMIN_DATABASE_URL (or DATABASE_URL) to the database to migrate");
        return VXCTL_USAGE;
    }
    return vxctl_migrate(url, dir);
}

/* Connects with DATABASE_URL (the app role), so the insert obeys row-level security. */
static vx_pg *connect_app(void)
{
    vx_pg *pg = vx_pg_create(vx_config_require("DATABASE_URL"));
    if (vx_pg_ensure(pg) != 0) {
        vxctl_errorf("cannot connect to the database (DATABASE_URL): %s", vx_pg_error(pg));
        vx_pg_destroy(pg);
        return NULL;
    }
    return pg;
}

static int cmd_org_create(int argc, char **argv)
{
    const char *name = NULL;
    const vxctl_opt opts[] = {{"name", &name, true}};
    vxctl_status st = vxctl_args_parse("org create", argc, argv, opts, N_OPTS(opts));
    if (st == VXCTL_OK)
        st = vxctl_org_validate_name(name);
    if (st != VXCTL_OK)
        return st;
    vx_pg *pg = connect_app();
    if (pg == NULL)
        return VXCTL_FAILED;
    char id[VX_UUID_STR_LEN + 1];
    st = vxctl_org_create(pg, name, id);
    if (st == VXCTL_OK)
        printf("%s\n", id);
    vx_pg_destroy(pg);
    return st;
}

static int cmd_agent_create(int argc, char **argv)
{
    vxctl_agent_spec spec = {0};
    const vxctl_opt opts[] = {
        {"org", &spec.org_id, true},
        {"assistant-id", &spec.assistant_id, true},
        {"phone-number-id", &spec.phone_number_id, false},
        {"phone-number", &spec.phone_number, false},
        {"name", &spec.name, false},
    };
    vxctl_status st = vxctl_args_parse("agent create", argc, argv, opts, N_OPTS(opts));
    if (st == VXCTL_OK)
        st = vxctl_agent_validate(&spec);
    if (st != VXCTL_OK)
        return st;
    vx_pg *pg = connect_app();
    if (pg == NULL)
        return VXCTL_FAILED;
    char id[VX_UUID_STR_LEN + 1];
    st = vxctl_agent_create(pg, &spec, id);
    if (st == VXCTL_OK)
        printf("%s\n", id);
    vx_pg_destroy(pg);
    return st;
}

static int cmd_token(int argc, char **argv)
{
    const char *org = NULL, *user = NULL, *role = "owner", *ttl_text = "3600";
    const vxctl_opt opts[] = {
        {"org", &org, true},
        {"user", &user, false},
        {"role", &role, false},
        {"ttl", &ttl_text, false},
    };
    long ttl = 0;
    vxctl_status st = vxctl_args_parse("token", argc, argv, opts, N_OPTS(opts));
    if (st == VXCTL_OK)
        st = vxctl_parse_long("ttl", ttl_text, 1, VXCTL_TOKEN_TTL_MAX, &ttl);
    if (st != VXCTL_OK)
        return st;
    char *token = NULL;
    st = vxctl_token_make(vx_config_require("JWT_SECRET"), org, user, role, ttl, (int64_t)time(NULL), &token);
    if (st == VXCTL_OK)
        printf("%s\n", token);
    free(token);
    return st;
}

int main(int argc, char **argv)
{
    /* voxctl reports its own errors on stderr and keeps stdout for results;
     * libcommon's log lines (stdout) are silenced unless LOG_LEVEL asks. */
    setenv("LOG_LEVEL", "error", 0);
    vx_log_init("voxctl");
    if (argc < 2)
        return usage_error("no command given", "");
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage_text, stdout);
        return VXCTL_OK;
    }
    if (vxctl_args_want_help(argc - 2, argv + 2)) {
        fputs(usage_text, stdout);
        return VXCTL_OK;
    }
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc - 2, argv + 2);
    if (strcmp(cmd, "token") == 0)
        return cmd_token(argc - 2, argv + 2);
    if (strcmp(cmd, "org") == 0 || strcmp(cmd, "agent") == 0) {
        if (argc < 3 || strcmp(argv[2], "create") != 0)
            return usage_error("expected 'create' after ", cmd);
        return strcmp(cmd, "org") == 0 ? cmd_org_create(argc - 3, argv + 3) : cmd_agent_create(argc - 3, argv + 3);
    }
    return usage_error("unknown command: ", cmd);
}
