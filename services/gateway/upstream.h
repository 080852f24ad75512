/*
 * upstream: requests in flight from a loop thread to NATS, and their replies.
 *
 * Each loop thread owns an upstream_table of slots. A call takes a slot and
 * gets a reply subject "<inbox>.<thread>.<slot>.<generation>"; when the
 * thread's NATS connection has read replies, upstream_on_inbox takes them from
 * the inbox subscription and looks each slot up. A slot freed early (timeout,
 * client gone) bumps its generation, so a late reply finds nothing and is
 * dropped. Only the owning loop thread ever touches its table: no locks.
 */
#ifndef GATEWAY_UPSTREAM_H
#define GATEWAY_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <h2o.h>
#include <nats/nats.h>

struct gw_thread;
typedef struct upstream_call upstream_call;

typedef enum {
    UPSTREAM_REPLY = 0,          /* reply holds the service's answer */
    UPSTREAM_TIMEOUT = -1,       /* no answer within the gateway's upstream timeout */
    UPSTREAM_NO_RESPONDERS = -2, /* nobody serves the subject, or it could not be sent */
} upstream_outcome;

/* Called on the loop thread exactly once per started call, unless the call was
 * cancelled first. reply is NULL unless outcome is UPSTREAM_REPLY; the callback
 * does not own it. */
typedef void (*upstream_done_cb)(upstream_call *call, upstream_outcome outcome, natsMsg *reply);

struct upstream_call {
    h2o_timeout_entry_t timeout; /* first member: the timeout callback gets this pointer */
    struct gw_thread *thread;
    upstream_done_cb done;
    void *data;
    uint32_t slot;
    uint32_t gen;
    bool pending;
};

typedef struct upstream_slot {
    uint32_t gen;
    upstream_call *call; /* NULL when free */
} upstream_slot;

typedef struct upstream_table {
    upstream_slot *slots;
    uint32_t nslots;
    uint32_t *free_list;
    uint32_t nfree;
} upstream_table;

void upstream_table_init(upstream_table *t);
void upstream_table_dispose(upstream_table *t);
/* Calls waiting for an answer. */
uint32_t upstream_table_in_flight(const upstream_table *t);

/* Registers call on thread and writes its reply subject into reply (size reply_len).
 * The caller then publishes with that reply subject; if publishing fails it must
 * call upstream_cancel. The timeout starts now: the provider timeout when
 * slow (a route that waits on outside providers), else the upstream one. */
void upstream_begin(struct gw_thread *thread, upstream_call *call, upstream_done_cb done, void *data, bool slow, char *reply,
                    size_t reply_len);
/* Forgets call without invoking its callback (safe to call when not pending). */
void upstream_cancel(upstream_call *call);

/* Takes every reply read so far from the thread's inbox and finishes its call
 * (a loop_nats_read_cb; data is the gw_thread). */
void upstream_on_inbox(void *data);
/* The loop-thread callback of the upstream timeout. */
void upstream_on_timeout(h2o_timeout_entry_t *entry);

#endif
