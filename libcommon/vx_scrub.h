/*
 * vx_scrub: provider credentials out of Vapi messages before anything stores
 * or logs them. Vapi embeds the credentials of the objects a message
 * mentions — a Twilio number's twilioAuthToken and twilioApiSecret, a
 * server's secret, credential objects — wherever they sit (message.phoneNumber,
 * call.phoneNumber, assistant, squad, …: contracts/vapi.md §1.2). The one
 * rule, used by the gateway before a message reaches the durable stream and
 * by webhook-ingest before anything reaches the database:
 *
 * A key is credential-bearing when its name, in any case and ignoring '-'
 * and '_', contains "secret", "token", "password", "apikey", "privatekey",
 * "authorization" or "credential". Its string value becomes "[redacted]";
 * an object or array under it is replaced whole by "[redacted]"; numbers,
 * booleans and null stay, so counters such as promptTokens survive.
 *
 * Pure functions, no I/O, thread-safe.
 */
#ifndef VX_SCRUB_H
#define VX_SCRUB_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define VX_SCRUB_REDACTED "[redacted]"

/* True when a value under key (len bytes, not NUL-terminated) is a credential. */
bool vx_scrub_key_sensitive(const char *key, size_t len);
/* Scrubs root in place, at any depth. Returns how many values were replaced. */
size_t vx_scrub_json(cJSON *root);
/* For a body that is not JSON: masks with '*', in place, the string value of
 * every "key": "value" pair whose key is credential-bearing. */
void vx_scrub_text(char *buf, size_t n);

#endif
