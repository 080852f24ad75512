/*
 * credential-vault: the one home of every organization's provider
 * credentials, and the only process that holds ENCRYPTION_KEY. Wiring only.
 */
#include <stdlib.h>

#include "api.h"
#include "credentials.h"
#include "integrations/routes.h"
#include "keyring.h"
#include "settings.h"
#include "vx_config.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_signal.h"

/* Used OAuth states remembered: far more than owners connect Google in 10 minutes. */
#define OAUTH_STATES_REMEMBERED 4096

int main(void)
{
    vx_log_init("credential-vault");
    vx_signal_block_termination();
    vault_settings cfg;
    settings_load(&cfg);
    keyring keys;
    keyring_load(cfg.encryption_key, cfg.encryption_key_previous, &keys);
    if (routes_check() != 0)
        return VX_EXIT_FAILED;

    int status = VX_EXIT_FAILED;
    vault_ctx v = {.settings = &cfg, .keys = &keys};
    v.cache = cache_create(cfg.cache_ttl_ms);
    v.oauth_states = vx_replay_create(OAUTH_STATES_REMEMBERED, "used Google OAuth states");
    api_worker **api = calloc((size_t)cfg.api_workers, sizeof(*api));
    routes_worker **routes = calloc((size_t)cfg.route_workers, sizeof(*routes));
    natsSubscription *evictions = NULL;
    if (api == NULL || routes == NULL || v.oauth_states == NULL)
        abort();
    natsConnection *nc = vx_nats_connect(cfg.nats_url, "credential-vault");
    if (nc == NULL)
        goto out;
    v.nc = nc;
    if (api_listen_evictions(&v, nc, &evictions) != 0)
        goto out;
    for (int i = 0; i < cfg.api_workers; i++) {
        api[i] = api_worker_create(&v);
        if (api_worker_start(api[i], nc) != 0)
            goto out;
    }
    for (int i = 0; i < cfg.route_workers; i++) {
        routes[i] = routes_worker_create(&v);
        if (routes_worker_start(routes[i], nc) != 0)
            goto out;
    }

    vx_log_info(NULL, NULL, "credential-vault serving", "subjects", "rpc.vault.>, rpc.integrations.>", "key_id", keys.current.id,
                "previous_key_id", keys.has_previous ? keys.previous.id : NULL);
    vx_signal_wait_termination();
    vx_log_info(NULL, NULL, "credential-vault stopping");
    status = VX_EXIT_OK;

out:
    for (int i = 0; i < cfg.route_workers; i++)
        if (routes[i] != NULL)
            routes_worker_stop(routes[i]);
    for (int i = 0; i < cfg.api_workers; i++)
        if (api[i] != NULL)
            api_worker_stop(api[i]);
    if (evictions != NULL) {
        natsSubscription_Unsubscribe(evictions);
        natsSubscription_Destroy(evictions);
    }
    for (int i = 0; i < cfg.route_workers; i++)
        routes_worker_destroy(routes[i]);
    for (int i = 0; i < cfg.api_workers; i++)
        api_worker_destroy(api[i]);
    free(routes);
    free(api);
    vx_nats_close(nc);
    nats_Close();
    cache_destroy(v.cache);
    vx_replay_destroy(v.oauth_states);
    keyring_wipe(&keys);
    return vx_signal_stop_requested() ? VX_EXIT_OK : status; /* stopped while starting: a stop */
}
