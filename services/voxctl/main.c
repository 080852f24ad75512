/*
 * voxctl: the operator's command line — migrate the database, create
 * organizations and agents, mint dashboard tokens, have credential-vault
 * rotate its key, list and replay parked Vapi messages, queue every org's
 * sync to Vapi and clean native tools off every assistant.
 *
 * This file only wires: it picks the command, parses its options, reads the
 * environment and hands over to the module that does the work (migrate.c,
 * orgs.c, agents.c, token.c, vault.c, parked.c, sync.c). Exit status: 0 done, 1 failed, 2 usage error
 * (see cli.h). Results go to stdout, everything else to stderr.
 *
 * Settings come from the environment; in a shell that has none of them,
 * voxctl run from a checkout reads the env file `make run` wrote (env_file.h),
 * after the command line has been checked and before the first setting is
 * used.
 */
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents.h"
#include "cli.h"
#include "env_file.h"
#include "migrate.h"
#include "nats_admin.h"
#include "orgs.h"
#include "parked.h"
#include "sync.h"
#include "token.h"
#include "vault.h"
#include "vx_config.h"
#include "vx_crypto.h"
#include "vx_envelope.h"
#include "vx_jwt.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_pg.h"
#include "vx_vapi.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

static const char usage_text[] = "usage: voxctl <command> [options]\n"
                                 "\n"
                                 "commands:\n"
                                 "  migrate [--dir <folder>]\n"
                                 "      Apply the new NNNN_name.sql files of the migrations folder, each in its own\n"
                                 "      transaction, as ADMIN_DATABASE_URL (else DATABASE_URL). Refuses to run when\n"
                                 "      an applied file changed or disappeared. The folder: --dir, else\n"
                                 "      MIGRATIONS_DIR, else migrations/ of the checkout voxctl was built in, else\n"
                                 "      ./migrations.\n"
                                 "  org create --name <name>\n"
                                 "      Create an organization (as DATABASE_URL, under row-level security); prints its id.\n"
                                 "  agent create --org <uuid> --assistant-id <id> [--phone-number-id <id>]\n"
                                 "               [--phone-number <+E164>] [--name <name>]\n"
                                 "      Create an agent for an organization; prints its id.\n"
                                 "  token --org <uuid> [--user <id>] [--role owner|staff] [--ttl <seconds>]\n"
                                 "      Print a dashboard JWT signed with JWT_SECRET, for the gateway's JWT_AUDIENCE\n"
                                 "      (default authenticated) and JWT_ISSUER (if set); --ttl at most\n"
                                 "      JWT_MAX_LIFETIME_S (default 86400); without --ttl, one hour.\n"
                                 "  envelope-key --program <program>\n"
                                 "      Print the key a service program (tool-router, dashboard-api, …) verifies\n"
                                 "      the gateway's request signatures with — its ENVELOPE_KEY — derived from\n"
                                 "      the gateway's ENVELOPE_MASTER_KEY (64 hex digits, from the environment).\n"
                                 "  org-hint-key\n"
                                 "      Print ORG_HINT_KEY, the key tool-router signs org ids into a call's\n"
                                 "      metadata with and webhook-ingest checks them with, derived from\n"
                                 "      ENVELOPE_MASTER_KEY.\n"
                                 "  vault rotate [--timeout-s <seconds>]\n"
                                 "      Have the running credential-vault re-encrypt every credential under its\n"
                                 "      current key, batch after batch (a line each, then a summary; each batch\n"
                                 "      may take --timeout-s, default 60). To change the key: on every vault\n"
                                 "      replica set ENCRYPTION_KEY to the new key and ENCRYPTION_KEY_PREVIOUS to\n"
                                 "      the old one, restart them, then run this; once it reports 0 remaining,\n"
                                 "      ENCRYPTION_KEY_PREVIOUS can be removed. Needs NATS_URL, as the admin NATS\n"
                                 "      user (NATS_USER=admin, NATS_PASSWORD).\n"
                                 "  parked list [--limit <n>] [--reason <prefix>]\n"
                                 "      List the Vapi messages webhook-ingest parked (oldest first, at most --limit,\n"
                                 "      default 100): id, received, reason, type, call id, request id. Never the\n"
                                 "      payload. As ADMIN_DATABASE_URL (only the schema owner reads them).\n"
                                 "  parked replay [--id <id>] [--limit <n>] [--reason <prefix>]\n"
                                 "      Give parked messages back to webhook-ingest: each is published to the VAPI\n"
                                 "      stream again, then removed from the parked ones; it parks anew if what kept\n"
                                 "      it out still holds. One message (--id) or up to --limit of them. Needs\n"
                                 "      ADMIN_DATABASE_URL and NATS_URL as the admin NATS user.\n"
                                 "  sync all [--pace-ms <ms>]\n"
                                 "      Queue every active organization's sync to Vapi for tool-sync (as a save\n"
                                 "      with no change: the agent's version bumped, its sync pending), due --pace-ms\n"
                                 "      apart (default 500); tool-sync's sweep takes them as they come due. Prints\n"
                                 "      each org and its new version. As DATABASE_URL.\n"
                                 "  sync cleanup-native [--dry-run]\n"
                                 "      Remove Vapi's native interceptor tools (google.calendar.* and the like,\n"
                                 "      linked or inline) from every assistant of the Vapi account, keeping\n"
                                 "      everything else on it (GET, then PATCH of the model). --dry-run only lists\n"
                                 "      them. Needs VAPI_PRIVATE_KEY (and VAPI_API_BASE_URL, default\n"
                                 "      https://api.vapi.ai).\n"
                                 "  help\n"
                                 "      Show this text.\n"
                                 "\n"
                                 "settings: DATABASE_URL, ADMIN_DATABASE_URL, JWT_SECRET, MIGRATIONS_DIR, NATS_URL\n"
                                 "(and NATS_USER, NATS_PASSWORD, NATS_TLS_*), VAPI_PRIVATE_KEY, VAPI_API_BASE_URL\n"
                                 "from the environment. When none of\n"
                                 "DATABASE_URL, ADMIN_DATABASE_URL, JWT_SECRET is set, voxctl run from a checkout\n"
                                 "reads them from the env file `make run` writes: $VOXANNE_STATE_DIR/env, else\n"
                                 "<checkout>/.run/env.\n"
                                 "\n"
                                 "exit status: 0 done, 1 failed, 2 usage error\n";

/* Prints the error and the usage text on stderr; returns VXCTL_USAGE. */
static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "voxctl: error: %s%s\n\n%s", what, arg, usage_text);
    return VXCTL_USAGE;
}

/* The checkout this voxctl was built in, or NULL (looked up once). */
static const char *own_checkout(void)
{
    static char dir[PATH_MAX];
    static int found = -1;
    if (found < 0)
        found = vxctl_env_file_own_checkout(dir, sizeof(dir));
    return found ? dir : NULL;
}

/* The settings the env file may provide to voxctl: all of them come from one place. */
static const char *const ENV_FILE_NAMES[] = {"DATABASE_URL", "ADMIN_DATABASE_URL", "JWT_SECRET"};

/* What to tell the user when a setting is missing, filled by load_env_file(). */
static char missing_hint[PATH_MAX + 256] = "export it";

/* Fills the unset settings from the env file when the environment has none of them. */
static void load_env_file(void)
{
    char path[PATH_MAX + 16];
    if (!vxctl_env_file_path(getenv("VOXANNE_STATE_DIR"), own_checkout(), path, sizeof(path)))
        return;
    const char *given = vxctl_env_file_first_set(ENV_FILE_NAMES, N_OPTS(ENV_FILE_NAMES));
    if (given != NULL) {
        snprintf(missing_hint, sizeof(missing_hint),
                 "export it (%s is not read because %s is set in the environment: voxctl takes its settings from one place)", path,
                 given);
        return;
    }
    char loaded[128];
    vxctl_env_file_status st = vxctl_env_file_apply(path, ENV_FILE_NAMES, N_OPTS(ENV_FILE_NAMES), loaded, sizeof(loaded));
    if (loaded[0] != '\0')
        fprintf(stderr, "voxctl: note: %s from %s\n", loaded, path);
    if (st == VXCTL_ENV_FILE_MISSING)
        snprintf(missing_hint, sizeof(missing_hint), "export it, or start the local suite with `make run` (it writes %s)", path);
    else if (st == VXCTL_ENV_FILE_ERROR)
        snprintf(missing_hint, sizeof(missing_hint), "export it (%s cannot be read)", path);
    else
        snprintf(missing_hint, sizeof(missing_hint), "export it (%s does not set it)", path);
}

/* The value of a required setting, or NULL after saying what to do. */
static const char *need(const char *name)
{
    const char *v = vx_config_str(name, NULL);
    if (v == NULL)
        vxctl_errorf("%s is not set: %s", name, missing_hint);
    return v;
}

static int cmd_migrate(int argc, char **argv)
{
    const char *dir_flag = NULL;
    const vxctl_opt opts[] = {{"dir", &dir_flag, false}};
    vxctl_status st = vxctl_args_parse("migrate", argc, argv, opts, N_OPTS(opts));
    if (st != VXCTL_OK)
        return st;
    load_env_file();
    const char *url = vx_config_str("ADMIN_DATABASE_URL", vx_config_str("DATABASE_URL", NULL));
    if (url == NULL) {
        vxctl_errorf("migrate: set ADMIN_DATABASE_URL (or DATABASE_URL) to the database to migrate: %s", missing_hint);
        return VXCTL_USAGE;
    }
    char dir[PATH_MAX];
    st = vxctl_migrate_choose_dir(dir_flag, vx_config_str("MIGRATIONS_DIR", NULL), own_checkout(), dir, sizeof(dir));
    if (st != VXCTL_OK)
        return st;
    return vxctl_migrate(url, dir);
}

/* Connects with DATABASE_URL (the app role), so the insert obeys row-level
 * security. VXCTL_USAGE when DATABASE_URL is not set, VXCTL_FAILED when the
 * database cannot be reached. */
static vxctl_status connect_app(vx_pg **out)
{
    *out = NULL;
    load_env_file();
    const char *url = need("DATABASE_URL");
    if (url == NULL)
        return VXCTL_USAGE;
    vx_pg *pg = vx_pg_create(url);
    if (vx_pg_ensure(pg) != 0) {
        vxctl_errorf("cannot connect to the database (DATABASE_URL): %s", vx_pg_error(pg));
        vx_pg_destroy(pg);
        return VXCTL_FAILED;
    }
    *out = pg;
    return VXCTL_OK;
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
    vx_pg *pg = NULL;
    st = connect_app(&pg);
    if (st != VXCTL_OK)
        return st;
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
    vx_pg *pg = NULL;
    st = connect_app(&pg);
    if (st != VXCTL_OK)
        return st;
    char id[VX_UUID_STR_LEN + 1];
    st = vxctl_agent_create(pg, &spec, id);
    if (st == VXCTL_OK)
        printf("%s\n", id);
    vx_pg_destroy(pg);
    return st;
}

static int cmd_token(int argc, char **argv)
{
    const char *org = NULL, *user = NULL, *role = "owner", *ttl_text = NULL;
    const vxctl_opt opts[] = {
        {"org", &org, true},
        {"user", &user, false},
        {"role", &role, false},
        {"ttl", &ttl_text, false},
    };
    long ttl = 0;
    vxctl_status st = vxctl_args_parse("token", argc, argv, opts, N_OPTS(opts));
    if (st == VXCTL_OK && ttl_text != NULL)
        st = vxctl_parse_long("ttl", ttl_text, 1, LONG_MAX, &ttl);
    if (st != VXCTL_OK)
        return st;
    /* The gateway's policy, from the same variables it reads (vx_config exits 2 on a bad one). */
    vxctl_token_spec spec = {
        .org_id = org,
        .user_id = user,
        .role = role,
        .ttl_seconds = ttl,
        .audience = vx_config_str("JWT_AUDIENCE", VX_JWT_DEFAULT_AUDIENCE),
        .issuer = vx_config_str("JWT_ISSUER", NULL),
        .max_ttl_seconds = vx_config_long("JWT_MAX_LIFETIME_S", VX_JWT_DEFAULT_MAX_LIFETIME_S, VX_JWT_MIN_MAX_LIFETIME_S,
                                          VX_JWT_MAX_MAX_LIFETIME_S),
    };
    /* Without --ttl: an hour, or the longest allowed when that is shorter. */
    if (ttl_text == NULL)
        spec.ttl_seconds = spec.max_ttl_seconds < 3600 ? spec.max_ttl_seconds : 3600;
    load_env_file();
    const char *secret = need("JWT_SECRET");
    if (secret == NULL)
        return VXCTL_USAGE;
    const char *weak = vx_jwt_secret_problem(secret);
    if (weak != NULL) {
        vxctl_errorf("JWT_SECRET cannot be used: %s", weak);
        return VXCTL_USAGE;
    }
    char *token = NULL;
    st = vxctl_token_make(secret, &spec, (int64_t)time(NULL), &token);
    if (st == VXCTL_OK)
        printf("%s\n", token);
    free(token);
    return st;
}

/* Prints the key derived from ENVELOPE_MASTER_KEY under name. */
static int print_derived_key(const char *name)
{
    uint8_t master[VX_ENVELOPE_KEY_LEN], key[VX_ENVELOPE_KEY_LEN];
    if (vx_envelope_key_parse(getenv("ENVELOPE_MASTER_KEY"), master) != 0) {
        vxctl_errorf("ENVELOPE_MASTER_KEY must be set to 64 hex digits (openssl rand -hex 32)");
        return VXCTL_USAGE;
    }
    vx_envelope_service_key(master, name, key);
    char hex[2 * VX_ENVELOPE_KEY_LEN + 1];
    vx_hex_encode(key, sizeof(key), hex);
    printf("%s\n", hex);
    OPENSSL_cleanse(master, sizeof(master));
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(hex, sizeof(hex));
    return VXCTL_OK;
}

static int cmd_envelope_key(int argc, char **argv)
{
    const char *program = NULL;
    const vxctl_opt opts[] = {{"program", &program, true}};
    vxctl_status st = vxctl_args_parse("envelope-key", argc, argv, opts, N_OPTS(opts));
    if (st != VXCTL_OK)
        return st;
    const char *service = vx_envelope_program_service(program);
    if (service == NULL) {
        vxctl_errorf("%s serves no gateway requests: no envelope key (the gateway itself takes ENVELOPE_MASTER_KEY)", program);
        return VXCTL_USAGE;
    }
    return print_derived_key(service);
}

static int cmd_org_hint_key(int argc, char **argv)
{
    vxctl_status st = vxctl_args_parse("org-hint-key", argc, argv, NULL, 0);
    if (st != VXCTL_OK)
        return st;
    return print_derived_key(VX_VAPI_ORG_HINT_KEY_NAME);
}

static int cmd_vault_rotate(int argc, char **argv)
{
    vxctl_vault_rotate_spec spec;
    vxctl_status st = vxctl_vault_rotate_args(argc, argv, &spec);
    if (st != VXCTL_OK)
        return st;
    const char *url = vx_config_str("NATS_URL", NULL);
    if (url == NULL) {
        vxctl_errorf("vault rotate: NATS_URL is not set: export it (the NATS server credential-vault is connected to), with "
                     "NATS_USER=admin and its NATS_PASSWORD");
        return VXCTL_USAGE;
    }
    natsConnection *nc = vxctl_nats_connect(url);
    st = nc != NULL ? vxctl_vault_rotate(nc, &spec) : VXCTL_FAILED;
    vx_nats_close(nc);
    nats_Close();
    return st;
}

/* Connects with ADMIN_DATABASE_URL (parked messages are the schema owner's to read). */
static vxctl_status connect_admin(vx_pg **out)
{
    *out = NULL;
    load_env_file();
    const char *url = need("ADMIN_DATABASE_URL");
    if (url == NULL)
        return VXCTL_USAGE;
    vx_pg *pg = vx_pg_create(url);
    if (vx_pg_ensure(pg) != 0) {
        vxctl_errorf("cannot connect to the database (ADMIN_DATABASE_URL): %s", vx_pg_error(pg));
        vx_pg_destroy(pg);
        return VXCTL_FAILED;
    }
    *out = pg;
    return VXCTL_OK;
}

static int cmd_parked(const char *sub, int argc, char **argv)
{
    bool replay = strcmp(sub, "replay") == 0;
    const char *id_text = NULL, *limit_text = NULL, *reason = NULL;
    const vxctl_opt list_opts[] = {{"limit", &limit_text, false}, {"reason", &reason, false}};
    const vxctl_opt replay_opts[] = {{"id", &id_text, false}, {"limit", &limit_text, false}, {"reason", &reason, false}};
    long id = 0, limit = VXCTL_PARKED_LIMIT_DEFAULT;
    vxctl_status st = replay ? vxctl_args_parse("parked replay", argc, argv, replay_opts, N_OPTS(replay_opts))
                             : vxctl_args_parse("parked list", argc, argv, list_opts, N_OPTS(list_opts));
    if (st == VXCTL_OK && id_text != NULL)
        st = vxctl_parse_long("id", id_text, 1, LONG_MAX, &id);
    if (st == VXCTL_OK && limit_text != NULL)
        st = vxctl_parse_long("limit", limit_text, 1, VXCTL_PARKED_LIMIT_MAX, &limit);
    if (st != VXCTL_OK)
        return st;
    const char *nats_url = NULL;
    if (replay && (nats_url = vx_config_str("NATS_URL", NULL)) == NULL) {
        vxctl_errorf("parked replay: NATS_URL is not set: export it, with NATS_USER=admin and its NATS_PASSWORD");
        return VXCTL_USAGE;
    }
    vx_pg *pg = NULL;
    st = connect_admin(&pg);
    if (st != VXCTL_OK)
        return st;
    if (!replay) {
        st = vxctl_parked_list(pg, limit, reason);
    } else {
        natsConnection *nc = vxctl_nats_connect(nats_url);
        jsCtx *js = NULL;
        if (nc != NULL && natsConnection_JetStream(&js, nc, NULL) != NATS_OK)
            vxctl_errorf("parked replay: no JetStream on that NATS server");
        st = js != NULL ? vxctl_parked_replay(pg, js, id, limit, reason) : VXCTL_FAILED;
        jsCtx_Destroy(js);
        vx_nats_close(nc);
        nats_Close();
    }
    vx_pg_destroy(pg);
    return st;
}

static int cmd_sync(const char *sub, int argc, char **argv)
{
    if (strcmp(sub, "all") == 0) {
        const char *pace_text = NULL;
        const vxctl_opt opts[] = {{"pace-ms", &pace_text, false}};
        long pace = VXCTL_SYNC_PACE_MS_DEFAULT;
        vxctl_status st = vxctl_args_parse("sync all", argc, argv, opts, N_OPTS(opts));
        if (st == VXCTL_OK && pace_text != NULL)
            st = vxctl_parse_long("pace-ms", pace_text, 0, VXCTL_SYNC_PACE_MS_MAX, &pace);
        if (st != VXCTL_OK)
            return st;
        vx_pg *pg = NULL;
        st = connect_app(&pg);
        if (st != VXCTL_OK)
            return st;
        st = vxctl_sync_all(pg, pace);
        vx_pg_destroy(pg);
        return st;
    }
    /* cleanup-native: a flag without a value, so not through vxctl_args_parse. */
    bool dry_run = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") != 0)
            return usage_error("sync cleanup-native: unknown argument: ", argv[i]);
        dry_run = true;
    }
    load_env_file();
    const char *key = vx_config_str("VAPI_PRIVATE_KEY", NULL);
    if (key == NULL) {
        vxctl_errorf("sync cleanup-native: VAPI_PRIVATE_KEY is not set");
        return VXCTL_USAGE;
    }
    vx_vapi_api_config vapi = {vx_config_str("VAPI_API_BASE_URL", "https://api.vapi.ai"), key, 10000};
    return vxctl_sync_cleanup_native(&vapi, dry_run);
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
    bool known = strcmp(cmd, "migrate") == 0 || strcmp(cmd, "token") == 0 || strcmp(cmd, "org") == 0 || strcmp(cmd, "agent") == 0 ||
                 strcmp(cmd, "envelope-key") == 0 || strcmp(cmd, "org-hint-key") == 0 || strcmp(cmd, "vault") == 0 ||
                 strcmp(cmd, "parked") == 0 || strcmp(cmd, "sync") == 0;
    if (!known)
        return usage_error("unknown command: ", cmd);
    if (vxctl_args_want_help(argc - 2, argv + 2)) {
        fputs(usage_text, stdout);
        return VXCTL_OK;
    }
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc - 2, argv + 2);
    if (strcmp(cmd, "envelope-key") == 0)
        return cmd_envelope_key(argc - 2, argv + 2);
    if (strcmp(cmd, "org-hint-key") == 0)
        return cmd_org_hint_key(argc - 2, argv + 2);
    if (strcmp(cmd, "token") == 0)
        return cmd_token(argc - 2, argv + 2);
    if (strcmp(cmd, "vault") == 0) {
        if (argc < 3 || strcmp(argv[2], "rotate") != 0)
            return usage_error("expected 'rotate' after ", cmd);
        return cmd_vault_rotate(argc - 3, argv + 3);
    }
    if (strcmp(cmd, "parked") == 0) {
        if (argc < 3 || (strcmp(argv[2], "list") != 0 && strcmp(argv[2], "replay") != 0))
            return usage_error("expected 'list' or 'replay' after ", cmd);
        return cmd_parked(argv[2], argc - 3, argv + 3);
    }
    if (strcmp(cmd, "sync") == 0) {
        if (argc < 3 || (strcmp(argv[2], "all") != 0 && strcmp(argv[2], "cleanup-native") != 0))
            return usage_error("expected 'all' or 'cleanup-native' after ", cmd);
        return cmd_sync(argv[2], argc - 3, argv + 3);
    }
    if (strcmp(cmd, "org") == 0 || strcmp(cmd, "agent") == 0) {
        if (argc < 3 || strcmp(argv[2], "create") != 0)
            return usage_error("expected 'create' after ", cmd);
        return strcmp(cmd, "org") == 0 ? cmd_org_create(argc - 3, argv + 3) : cmd_agent_create(argc - 3, argv + 3);
    }
    return usage_error("unknown command: ", cmd);
}
