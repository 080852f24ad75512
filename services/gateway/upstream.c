/*
 * upstream: slot table, replies from the thread's inbox, timeouts.
 */
#include "upstream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "vx_log.h"

void upstream_table_init(upstream_table *t)
{
    memset(t, 0, sizeof(*t));
}

void upstream_table_dispose(upstream_table *t)
{
    free(t->slots);
    free(t->free_list);
    memset(t, 0, sizeof(*t));
}

uint32_t upstream_table_in_flight(const upstream_table *t)
{
    return t->nslots - t->nfree;
}

static uint32_t take_slot(upstream_table *t)
{
    if (t->nfree == 0) {
        uint32_t grown = t->nslots == 0 ? 256 : t->nslots * 2;
        upstream_slot *slots = realloc(t->slots, grown * sizeof(*slots));
        uint32_t *free_list = realloc(t->free_list, grown * sizeof(*free_list));
        if (slots == NULL || free_list == NULL)
            abort();
        t->slots = slots;
        t->free_list = free_list;
        /* Push the new slots so the lowest index is taken first. */
        for (uint32_t i = grown; i > t->nslots; i--) {
            t->slots[i - 1] = (upstream_slot){0, NULL};
            t->free_list[t->nfree++] = i - 1;
        }
        t->nslots = grown;
    }
    return t->free_list[--t->nfree];
}

static void release_slot(upstream_table *t, uint32_t slot)
{
    t->slots[slot].call = NULL;
    t->slots[slot].gen++;
    t->free_list[t->nfree++] = slot;
}

void upstream_begin(gw_thread *thread, upstream_call *call, upstream_done_cb done, void *data, bool slow, char *reply,
                    size_t reply_len)
{
    upstream_table *t = &thread->pending;
    uint32_t slot = take_slot(t);
    call->thread = thread;
    call->done = done;
    call->data = data;
    call->slot = slot;
    call->gen = t->slots[slot].gen;
    call->pending = true;
    t->slots[slot].call = call;
    memset(&call->timeout, 0, sizeof(call->timeout));
    call->timeout.cb = upstream_on_timeout;
    h2o_timeout_link(thread->loop, slow ? &thread->provider_timeout : &thread->upstream_timeout, &call->timeout);
    snprintf(reply, reply_len, "%s.%d.%" PRIu32 ".%" PRIu32, thread->gw->inbox_prefix, thread->index, slot, call->gen);
}

void upstream_cancel(upstream_call *call)
{
    if (!call->pending)
        return;
    call->pending = false;
    if (h2o_timeout_is_linked(&call->timeout))
        h2o_timeout_unlink(&call->timeout);
    release_slot(&call->thread->pending, call->slot);
}

/* Finishes call with outcome: the slot is released before the callback runs,
 * so the callback may start a new call (even reusing the slot). */
static void finish(upstream_call *call, upstream_outcome outcome, natsMsg *reply)
{
    upstream_cancel(call);
    call->done(call, outcome, reply);
}

void upstream_on_timeout(h2o_timeout_entry_t *entry)
{
    upstream_call *call = (upstream_call *)entry;
    finish(call, UPSTREAM_TIMEOUT, NULL);
}

/* Parses "<thread>.<slot>.<gen>" after the inbox prefix. */
static bool parse_suffix(const char *s, int *thread, uint32_t *slot, uint32_t *gen)
{
    char *end;
    unsigned long v[3];
    for (int i = 0; i < 3; i++) {
        if (*s < '0' || *s > '9')
            return false;
        v[i] = strtoul(s, &end, 10);
        if (v[i] > UINT32_MAX || (i < 2 && *end != '.') || (i == 2 && *end != '\0'))
            return false;
        s = end + 1;
    }
    *thread = (int)v[0];
    *slot = (uint32_t)v[1];
    *gen = (uint32_t)v[2];
    return true;
}

void upstream_on_inbox(void *data)
{
    gw_thread *thread = data;
    upstream_table *t = &thread->pending;
    size_t plen = strlen(thread->gw->inbox_prefix);
    natsMsg *msg = NULL;
    for (;;) {
        natsStatus s = natsSubscription_NextMsg(&msg, thread->inbox, 0);
        /* Over the inbox's pending limits replies were dropped (their
         * requests time out); said once, then the rest is still there. */
        if (s == NATS_SLOW_CONSUMER) {
            vx_log_warn(NULL, NULL, "gateway inbox over its pending limits: replies were dropped");
            continue;
        }
        if (s != NATS_OK)
            break;
        const char *subject = natsMsg_GetSubject(msg);
        int index;
        uint32_t slot, gen;
        /* A late reply (slot freed or reused: another generation) is dropped. */
        if (strncmp(subject, thread->gw->inbox_prefix, plen) == 0 && subject[plen] == '.' &&
            parse_suffix(subject + plen + 1, &index, &slot, &gen) && index == thread->index && slot < t->nslots &&
            t->slots[slot].call != NULL && t->slots[slot].gen == gen)
            finish(t->slots[slot].call, UPSTREAM_REPLY, msg);
        natsMsg_Destroy(msg);
    }
}
