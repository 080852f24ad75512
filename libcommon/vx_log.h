/*
 * vx_log: one JSON object per line on stdout.
 *
 *   {"ts":"2026-11-26T01:02:03.456Z","level":"info","service":"gateway",
 *    "request_id":"…","org_id":"…","msg":"…","key":"value",…}
 *
 * Each line is written with a single write(2), so lines from several threads
 * never interleave. Extra fields are key/value string pairs ended by
 * vx_log_end (the macros add it); values may be NULL.
 * Callers must never pass a secret, token, verification code or card number.
 */
#ifndef VX_LOG_H
#define VX_LOG_H

typedef enum { VX_LOG_DEBUG = 0, VX_LOG_INFO, VX_LOG_WARN, VX_LOG_ERROR } vx_log_level;

/* Sets the service name and the minimum level (LOG_LEVEL=debug|info|warn|error). Call once from main. */
void vx_log_init(const char *service);
/* The end of a field list (vx_log's macros add it): a marker, not NULL, so
 * that a NULL value is just a null field and never cuts the list short. */
extern const char vx_log_end[];

/* request_id and org_id may be NULL (omitted). The variadic part is key,
 * value, …, vx_log_end; a NULL value is logged as null (callers need no
 * guard). A key without a value (odd list) ends the list at the marker.
 * Prefer the macros, which add the marker. */
void vx_log(vx_log_level level, const char *request_id, const char *org_id, const char *msg, ...);

#define vx_log_info(rid, org, msg, ...)  vx_log(VX_LOG_INFO, rid, org, msg, ##__VA_ARGS__, vx_log_end)
#define vx_log_warn(rid, org, msg, ...)  vx_log(VX_LOG_WARN, rid, org, msg, ##__VA_ARGS__, vx_log_end)
#define vx_log_error(rid, org, msg, ...) vx_log(VX_LOG_ERROR, rid, org, msg, ##__VA_ARGS__, vx_log_end)
#define vx_log_debug(rid, org, msg, ...) vx_log(VX_LOG_DEBUG, rid, org, msg, ##__VA_ARGS__, vx_log_end)

#endif
