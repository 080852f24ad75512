/*
 * nats_admin: voxctl's NATS connection (see nats_admin.h).
 */
#include "nats_admin.h"

#include "cli.h"
#include "vx_nats.h"

natsConnection *vxctl_nats_connect(const char *url)
{
    natsOptions *opts = vx_nats_options(url, "voxctl");
    /* An operator's command: no server now is an error now, not a wait; and
     * its own close is no news worth a log line on stdout. */
    if (opts != NULL && (natsOptions_SetRetryOnFailedConnect(opts, false, NULL, NULL) != NATS_OK ||
                         natsOptions_SetDisconnectedCB(opts, NULL, NULL) != NATS_OK)) {
        natsOptions_Destroy(opts);
        opts = NULL;
    }
    natsConnection *nc = opts != NULL ? vx_nats_connect_with(opts, url) : NULL;
    if (nc == NULL) {
        char shown[512];
        vx_nats_url_for_log(url, shown, sizeof(shown));
        vxctl_errorf("cannot connect to NATS at %s (NATS_URL)", shown);
    }
    return nc;
}
