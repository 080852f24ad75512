/*
 * vault: `voxctl vault rotate` (see vault.h).
 *
 * Design: one RotateRequest per batch, each with a fresh request id (the
 * vault's log lines carry it), sent and waited for on one connection. A
 * reply counts only when it decodes and says VAULT_OK. `failed` is taken as
 * the largest count one reply gave, not a sum: a credential that does not
 * decrypt stays under its old key, so every later batch that reads it
 * reports it again.
 */
#include "vault.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "voxanne/v1/vault.pb-c.h"
#include "vx_nats.h"
#include "vx_validate.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

vxctl_status vxctl_vault_rotate_args(int argc, char **argv, vxctl_vault_rotate_spec *spec)
{
    const char *timeout_text = NULL;
    const vxctl_opt opts[] = {{"timeout-s", &timeout_text, false}};
    spec->timeout_s = VXCTL_VAULT_TIMEOUT_S_DEFAULT;
    vxctl_status st = vxctl_args_parse("vault rotate", argc, argv, opts, N_OPTS(opts));
    if (st == VXCTL_OK && timeout_text != NULL)
        st = vxctl_parse_long("timeout-s", timeout_text, 1, VXCTL_VAULT_TIMEOUT_S_MAX, &spec->timeout_s);
    return st;
}

/* "credential" or "credentials", for n of them. */
static const char *credentials(uint64_t n)
{
    return n == 1 ? "credential" : "credentials";
}

/* Says why a reply with a status other than VAULT_OK ends the rotation. */
static void say_refusal(Voxanne__V1__VaultStatus status)
{
    if (status == VOXANNE__V1__VAULT_STATUS__VAULT_DENIED) {
        vxctl_errorf("vault rotate: credential-vault refused: only the admin NATS user may rotate (NATS_USER=admin)");
    } else if (status == VOXANNE__V1__VAULT_STATUS__VAULT_UNAVAILABLE) {
        vxctl_errorf("vault rotate: credential-vault cannot reach its database right now: try again (what was rotated "
                     "stays rotated)");
    } else {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&voxanne__v1__vault_status__descriptor, (int)status);
        vxctl_errorf("vault rotate: credential-vault answered %s (see the vault's log)", v != NULL ? v->name : "an unknown status");
    }
}

/* One batch: the vault's decoded reply into *out (the caller frees it), or
 * VXCTL_FAILED after saying why there is none. */
static vxctl_status ask(natsConnection *nc, long timeout_s, Voxanne__V1__RotateReply **out)
{
    *out = NULL;
    char request_id[VX_UUID_STR_LEN + 1];
    vx_uuid_v4(request_id);
    Voxanne__V1__RotateRequest req = VOXANNE__V1__ROTATE_REQUEST__INIT;
    req.request_id = request_id;
    uint8_t buf[64];
    size_t len = voxanne__v1__rotate_request__get_packed_size(&req);
    if (len > sizeof(buf))
        abort();
    voxanne__v1__rotate_request__pack(&req, buf);
    natsMsg *msg = NULL;
    natsStatus st = natsConnection_Request(&msg, nc, VXCTL_VAULT_ROTATE_SUBJECT, buf, (int)len, timeout_s * 1000);
    if (st == NATS_NO_RESPONDERS || (st == NATS_OK && natsMsg_IsNoResponders(msg))) {
        vxctl_errorf("vault rotate: credential-vault is not running (nothing answers on %s)", VXCTL_VAULT_ROTATE_SUBJECT);
    } else if (st == NATS_TIMEOUT) {
        vxctl_errorf("vault rotate: credential-vault did not answer within %ld s (is NATS_USER admin? only admin may ask); "
                     "what was rotated stays rotated: run it again, with a longer --timeout-s if batches are slow",
                     timeout_s);
    } else if (st != NATS_OK) {
        vxctl_errorf("vault rotate: the request to credential-vault failed: %s", natsStatus_GetText(st));
    } else {
        *out = voxanne__v1__rotate_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
        if (*out == NULL)
            vxctl_errorf("vault rotate: credential-vault's reply cannot be read (is the vault of another version?)");
    }
    natsMsg_Destroy(msg);
    return *out != NULL ? VXCTL_OK : VXCTL_FAILED;
}

vxctl_status vxctl_vault_rotate(natsConnection *nc, const vxctl_vault_rotate_spec *spec)
{
    uint64_t rotated = 0, remaining = 0, failed = 0;
    char key_id[128] = "";
    int batches = 0;
    bool again = true;
    vxctl_status st = VXCTL_OK;
    while (again) {
        Voxanne__V1__RotateReply *rep = NULL;
        st = ask(nc, spec->timeout_s, &rep);
        if (st != VXCTL_OK)
            break;
        if (rep->status != VOXANNE__V1__VAULT_STATUS__VAULT_OK) {
            say_refusal(rep->status);
            voxanne__v1__rotate_reply__free_unpacked(rep, NULL);
            st = VXCTL_FAILED;
            break;
        }
        batches++;
        rotated += rep->rotated;
        remaining = rep->remaining;
        if (rep->failed > failed)
            failed = rep->failed;
        snprintf(key_id, sizeof(key_id), "%s", rep->key_id != NULL ? rep->key_id : "");
        printf("batch %d: rotated %" PRIu64 ", %" PRIu64 " remaining", batches, rep->rotated, rep->remaining);
        if (rep->failed > 0)
            printf(", %" PRIu64 " did not decrypt", rep->failed);
        printf("\n");
        fflush(stdout);
        again = rep->remaining > 0 && rep->rotated > 0;
        voxanne__v1__rotate_reply__free_unpacked(rep, NULL);
    }
    if (batches > 0)
        printf("rotated %" PRIu64 " %s to key %s; %" PRIu64 " remaining\n", rotated, credentials(rotated), key_id, remaining);
    if (st != VXCTL_OK)
        return st;
    if (failed > 0) {
        vxctl_errorf("vault rotate: %" PRIu64 " %s did not decrypt with any key the vault holds — see the vault's log", failed,
                     credentials(failed));
        return VXCTL_FAILED;
    }
    if (remaining > 0) {
        vxctl_errorf("vault rotate: the vault's last batch rotated nothing, with %" PRIu64
                     " %s still under an older key (another rotation running?): run it again",
                     remaining, credentials(remaining));
        return VXCTL_FAILED;
    }
    return VXCTL_OK;
}
