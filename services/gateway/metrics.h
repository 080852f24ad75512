/*
 * metrics: request counters and latency histograms per route, rendered in the
 * Prometheus text format at /metrics. Updated with relaxed atomics from every
 * loop thread; a scrape reads them without stopping anyone.
 */
#ifndef GATEWAY_METRICS_H
#define GATEWAY_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "vx_routes.h"
#include "vx_buf.h"

#define METRICS_MAX_ROUTES 64
#define METRICS_BUCKETS    12

typedef struct route_metrics {
    atomic_uint_fast64_t by_class[6];                  /* index status/100: 1xx..5xx; [0] unused */
    atomic_uint_fast64_t buckets[METRICS_BUCKETS + 1]; /* last one is +Inf */
    atomic_uint_fast64_t sum_us;
    atomic_uint_fast64_t upstream_timeouts;
} route_metrics;

typedef struct metrics {
    const vx_route *routes;
    size_t nroutes;
    route_metrics per_route[METRICS_MAX_ROUTES];
    route_metrics unrouted; /* 404, 405 and requests rejected before routing */
    atomic_int_fast64_t inflight;
} metrics;

void metrics_init(metrics *m, const vx_route *routes, size_t nroutes);
/* r may be NULL for requests that matched no route. */
void metrics_observe(metrics *m, const vx_route *r, unsigned status, int64_t duration_us);
void metrics_upstream_timeout(metrics *m, const vx_route *r);
void metrics_render(metrics *m, vx_buf *out);

#endif
