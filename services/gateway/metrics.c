/*
 * metrics: fixed buckets from 250 µs to 10 s — tool calls live at the low end,
 * a slow database at the high end.
 */
#include "metrics.h"

#include <inttypes.h>
#include <string.h>

static const int64_t BUCKET_US[METRICS_BUCKETS] = {250,   500,   1000,   2500,   5000,    10000,
                                                   25000, 50000, 100000, 500000, 1000000, 10000000};

void metrics_init(metrics *m, const vx_route *routes, size_t nroutes)
{
    memset(m, 0, sizeof(*m));
    m->routes = routes;
    m->nroutes = nroutes < METRICS_MAX_ROUTES ? nroutes : METRICS_MAX_ROUTES;
}

static route_metrics *slot_for(metrics *m, const vx_route *r)
{
    if (r == NULL || r < m->routes || r >= m->routes + m->nroutes)
        return &m->unrouted;
    return &m->per_route[r - m->routes];
}

void metrics_observe(metrics *m, const vx_route *r, unsigned status, int64_t duration_us)
{
    route_metrics *rm = slot_for(m, r);
    unsigned cls = status / 100;
    if (cls >= 1 && cls <= 5)
        atomic_fetch_add_explicit(&rm->by_class[cls], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < METRICS_BUCKETS && duration_us > BUCKET_US[b])
        b++;
    atomic_fetch_add_explicit(&rm->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&rm->sum_us, (uint_fast64_t)(duration_us > 0 ? duration_us : 0), memory_order_relaxed);
}

void metrics_upstream_timeout(metrics *m, const vx_route *r)
{
    atomic_fetch_add_explicit(&slot_for(m, r)->upstream_timeouts, 1, memory_order_relaxed);
}

static void render_route(vx_buf *out, const char *name, route_metrics *rm)
{
    static const char *classes[6] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int c = 1; c <= 5; c++) {
        uint64_t v = atomic_load_explicit(&rm->by_class[c], memory_order_relaxed);
        if (v > 0)
            vx_buf_printf(out, "voxanne_gateway_requests_total{route=\"%s\",code=\"%s\"} %" PRIu64 "\n", name, classes[c], v);
    }
    uint64_t cumulative = 0;
    for (int b = 0; b <= METRICS_BUCKETS; b++) {
        cumulative += atomic_load_explicit(&rm->buckets[b], memory_order_relaxed);
        if (b < METRICS_BUCKETS)
            vx_buf_printf(out, "voxanne_gateway_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %" PRIu64 "\n", name,
                          (double)BUCKET_US[b] / 1e6, cumulative);
        else
            vx_buf_printf(out, "voxanne_gateway_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name,
                          cumulative);
    }
    vx_buf_printf(out, "voxanne_gateway_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name,
                  (double)atomic_load_explicit(&rm->sum_us, memory_order_relaxed) / 1e6);
    vx_buf_printf(out, "voxanne_gateway_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n", name, cumulative);
    vx_buf_printf(out, "voxanne_gateway_upstream_timeouts_total{route=\"%s\"} %" PRIu64 "\n", name,
                  (uint64_t)atomic_load_explicit(&rm->upstream_timeouts, memory_order_relaxed));
}

void metrics_render(metrics *m, vx_buf *out)
{
    vx_buf_puts(out, "# HELP voxanne_gateway_requests_total HTTP requests answered, by route and status class.\n"
                     "# TYPE voxanne_gateway_requests_total counter\n"
                     "# HELP voxanne_gateway_request_duration_seconds Time from request to answer.\n"
                     "# TYPE voxanne_gateway_request_duration_seconds histogram\n"
                     "# HELP voxanne_gateway_upstream_timeouts_total Requests a service did not answer in time.\n"
                     "# TYPE voxanne_gateway_upstream_timeouts_total counter\n");
    for (size_t i = 0; i < m->nroutes; i++)
        render_route(out, m->routes[i].subject, &m->per_route[i]);
    render_route(out, "unrouted", &m->unrouted);
    vx_buf_printf(out, "# TYPE voxanne_gateway_inflight gauge\nvoxanne_gateway_inflight %" PRIdFAST64 "\n",
                  atomic_load_explicit(&m->inflight, memory_order_relaxed));
}
