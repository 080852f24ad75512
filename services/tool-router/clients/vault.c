/*
 * vault: the Google token request to credential-vault (see vault.h).
 *
 * Design: one protobuf request, one reply, nothing cached but the fact that
 * the vault did not answer (a thread-local deadline: workers and pool
 * threads never share it, so no lock). The token is copied out of the
 * decoded reply and the reply's copy is wiped before it is freed. The
 * reply's status is read first: "reconnect needed" wins over whatever the
 * other fields say, and a status the vault sends for a failure (denied,
 * unreadable, unavailable, invalid) is a failure here too; VAULT_OK and
 * VAULT_NOT_FOUND leave it to `connected` (a vault that predates the status
 * field sends neither).
 */
#include "clients/vault.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voxanne/v1/vault.pb-c.h"
#include "vx_log.h"
#include "vx_time.h"

#define VAULT_TIMEOUT_MS 300

/* Per thread: until when the vault is taken to be absent. When
 * credential-vault is not deployed (or down) every calendar tool would
 * otherwise pay a NATS round trip to learn that again. */
static _Thread_local int64_t vault_absent_until_ms;

static char *dup_or_abort(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        abort();
    return d;
}

/* The outcome a decoded reply stands for (the token is not touched). */
static vault_status reply_status(const char *request_id, const char *org_id, const Voxanne__V1__GoogleTokenReply *rep)
{
    switch (rep->status) {
    case VOXANNE__V1__VAULT_STATUS__VAULT_RECONNECT_NEEDED:
        vx_log_warn(request_id, org_id, "google calendar not used", "reason", "google calendar needs reconnecting");
        return VAULT_RECONNECT_NEEDED;
    case VOXANNE__V1__VAULT_STATUS__VAULT_OK:
    case VOXANNE__V1__VAULT_STATUS__VAULT_NOT_FOUND:
        break;
    default: {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&voxanne__v1__vault_status__descriptor, rep->status);
        vx_log_warn(request_id, org_id, "google calendar not used", "reason", "vault refused", "status",
                    v != NULL ? v->name : "unknown");
        return VAULT_ERROR;
    }
    }
    if (!rep->connected || rep->access_token == NULL || rep->access_token[0] == '\0') {
        vx_log_debug(request_id, org_id, "google calendar not used", "reason",
                     rep->error != NULL && rep->error[0] != '\0' ? rep->error : "not connected");
        return VAULT_NOT_CONNECTED;
    }
    return VAULT_OK;
}

vault_status vault_google_token(natsConnection *nc, const char *request_id, const char *org_id, long miss_ttl_ms,
                                char **access_token, char **calendar_id)
{
    *access_token = NULL;
    *calendar_id = NULL;
    if (nc == NULL || (miss_ttl_ms > 0 && vx_now_ms() < vault_absent_until_ms))
        return VAULT_NOT_CONNECTED;
    Voxanne__V1__GoogleTokenRequest req = VOXANNE__V1__GOOGLE_TOKEN_REQUEST__INIT;
    req.request_id = (char *)(request_id != NULL ? request_id : "");
    req.org_id = (char *)org_id;
    size_t len = voxanne__v1__google_token_request__get_packed_size(&req);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        abort();
    voxanne__v1__google_token_request__pack(&req, buf);
    natsMsg *msg = NULL;
    natsStatus st = natsConnection_Request(&msg, nc, VAULT_GOOGLE_TOKEN_SUBJECT, buf, (int)len, VAULT_TIMEOUT_MS);
    free(buf);
    bool no_vault = st == NATS_NO_RESPONDERS || (st == NATS_OK && natsMsg_IsNoResponders(msg));
    if (st != NATS_OK || no_vault) {
        if (miss_ttl_ms > 0)
            vault_absent_until_ms = vx_now_ms() + miss_ttl_ms;
        vx_log_debug(request_id, org_id, "google calendar not used", "reason",
                     no_vault ? "no credential vault" : natsStatus_GetText(st));
        natsMsg_Destroy(msg);
        return no_vault ? VAULT_NOT_CONNECTED : VAULT_ERROR;
    }
    Voxanne__V1__GoogleTokenReply *rep =
        voxanne__v1__google_token_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    natsMsg_Destroy(msg);
    if (rep == NULL) {
        vx_log_warn(request_id, org_id, "google calendar not used", "reason", "unreadable vault reply");
        return VAULT_ERROR;
    }
    vault_status rc = reply_status(request_id, org_id, rep);
    if (rc == VAULT_OK) {
        *access_token = dup_or_abort(rep->access_token);
        *calendar_id = dup_or_abort(rep->calendar_id != NULL && rep->calendar_id[0] != '\0' ? rep->calendar_id : "primary");
    }
    if (rep->access_token != NULL)
        memset(rep->access_token, 0, strlen(rep->access_token));
    voxanne__v1__google_token_reply__free_unpacked(rep, NULL);
    return rc;
}
