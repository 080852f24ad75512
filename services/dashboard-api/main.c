/*
 * dashboard-api: the owner's JSON API behind the gateway. Wiring only.
 */
#include <stdlib.h>

#include "agent.h"
#include "passwords.h"
#include "contact_call.h"
#include "router.h"
#include "sessions.h"
#include "stats_fold.h"
#include "vx_config.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_signal.h"
#include "vx_work.h"

int main(void)
{
    vx_log_init("dashboard-api");
    vx_signal_block_termination();
    const char *database_url = vx_config_require("DATABASE_URL");
    const char *nats_url = vx_config_require("NATS_URL");
    int nworkers = (int)vx_config_long("DASHBOARD_WORKERS", 2, 1, 64);
    /* The call-back's Vapi (SPEC rule 1: the platform's one key). Unset, the
     * service still serves; POST /api/contacts/{id}/call answers 503. */
    vx_vapi_api_config vapi = {
        .base_url = vx_config_str("VAPI_API_BASE_URL", "https://api.vapi.ai"),
        .private_key = vx_config_str("VAPI_PRIVATE_KEY", NULL),
        .timeout_ms = vx_config_long("PROVIDER_TIMEOUT_MS", 5000, 100, 60000),
    };
    dashboard_contact_call_configure(&vapi);
    if (dashboard_check_routes() != 0 || sessions_configure_from_env() != 0)
        return VX_EXIT_FAILED;
    if (sessions_config_get()->jwt_secret != NULL &&
        passwords_init((unsigned long)vx_config_long("AUTH_PASSWORD_COST", PASSWORDS_DEFAULT_COST, 1, 11)) != 0)
        return VX_EXIT_FAILED;

    int status = VX_EXIT_FAILED;
    dashboard_worker **workers = calloc((size_t)nworkers, sizeof(*workers));
    if (workers == NULL)
        abort();
    jsCtx *js = NULL;
    stats_fold *fold = stats_fold_create(database_url);
    natsConnection *nc = vx_nats_connect(nats_url, "dashboard-api");
    if (nc == NULL)
        goto out;
    /* The agent's saves queue their sync on WORK. A stream that cannot be
     * set up now is logged and not fatal: a save that cannot queue its job
     * still stands, and tool-sync's sweep finds it (agent.h). */
    jsOptions js_opts;
    jsOptions_Init(&js_opts);
    js_opts.Wait = AGENT_JOB_PUBLISH_WAIT_MS;
    if (natsConnection_JetStream(&js, nc, &js_opts) != NATS_OK) {
        vx_log_error(NULL, NULL, "cannot create the JetStream context");
        goto out;
    }
    vx_work_ensure_stream(js);
    dashboard_agent_configure(js);
    for (int i = 0; i < nworkers; i++) {
        workers[i] = dashboard_worker_create(database_url);
        if (dashboard_worker_start(workers[i], nc) != 0)
            goto out;
    }

    if (stats_fold_start(fold) != 0)
        goto out;
    vx_log_info(NULL, NULL, "dashboard-api serving", "subject", "rpc.dashboard.>");
    vx_signal_wait_termination();
    vx_log_info(NULL, NULL, "dashboard-api stopping");
    status = VX_EXIT_OK;

out:
    /* Stop them all before freeing any: each drain lets its requests in hand
     * finish (one worker after the other: a drain takes milliseconds while
     * NATS is there, and none is waited for while it is away). */
    for (int i = 0; i < nworkers; i++)
        if (workers[i] != NULL)
            dashboard_worker_stop(workers[i]);
    for (int i = 0; i < nworkers; i++)
        dashboard_worker_destroy(workers[i]);
    free(workers);
    stats_fold_destroy(fold);
    if (js != NULL)
        jsCtx_Destroy(js); /* after the workers that publish on it */
    vx_nats_close(nc);
    nats_Close();
    return vx_signal_stop_requested() ? VX_EXIT_OK : status; /* stopped while starting: a stop */
}
