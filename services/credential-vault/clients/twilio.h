/*
 * twilio: the one client of Twilio's REST API 2010-04-01 (libcurl), as
 * contracts/providers.md §1 describes the wire format — the two reads the
 * vault needs to check a credential an owner hands it:
 *
 *   GET {base}/2010-04-01/Accounts/{AccountSid}.json                       (§1c: is the
 *       Account SID / Auth Token pair right, and is the account active?)
 *   GET {base}/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json?PhoneNumber=…
 *                                                                          (§1d: is the number the
 *                                                                           owner gave on this account?)
 *
 * Both authenticate with HTTP Basic (Account SID : Auth Token). The base URL
 * comes from the caller (the vault's TWILIO_API_BASE_URL, default
 * https://api.twilio.com, which tests point at tests/fakes/twilio); a
 * trailing '/' is ignored. Nothing is retried here: the caller decides.
 *
 * The Account SID is checked (AC + 32 hex digits) before it goes into a URL;
 * a malformed one cannot authenticate and is TWILIO_REJECTED without a call.
 * Failures are logged once (HTTP status, Twilio's error code and message,
 * or the network error) and returned as a twilio_status; the Auth Token, the
 * Authorization header and Twilio's answer bodies (the account resource
 * carries the token) are never logged nor returned.
 *
 * Thread safety: every function may be called from any thread at once.
 */
#ifndef CREDENTIAL_VAULT_CLIENTS_TWILIO_H
#define CREDENTIAL_VAULT_CLIENTS_TWILIO_H

#include <stdbool.h>

typedef enum {
    TWILIO_OK = 0,
    TWILIO_REJECTED = 1,  /* 401 (code 20003): wrong Account SID / Auth Token (also 403, and a malformed SID) */
    TWILIO_NOT_FOUND = 2, /* the account has no such incoming number (or 404 for the account) */
    TWILIO_INACTIVE = 3,  /* the account's status is suspended or closed */
    TWILIO_ERROR = -1,    /* network, timeout, 429, 5xx, unreadable answer: try again later */
} twilio_status;

/* True when sid is prefix ("AC", "PN", …: two letters) followed by exactly 32
 * hex digits (either case), the shape of every Twilio SID (34 characters). */
bool twilio_sid_valid(const char *sid, const char *prefix);

/* GET {base}/2010-04-01/Accounts/{sid}.json with HTTP Basic sid:token. base: e.g.
 * "https://api.twilio.com" (no trailing slash needed; tolerate one).
 * TWILIO_OK when the answer is the account asked for and its status is
 * "active"; TWILIO_INACTIVE for any other status (suspended, closed). */
twilio_status twilio_fetch_account(const char *base_url, const char *account_sid, const char *auth_token, long timeout_ms,
                                   const char *request_id, const char *org_id);

/* GET {base}/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json?PhoneNumber=<e164 encoded> ;
 * OK when an item's phone_number equals number exactly (Twilio's filter is a
 * pattern: "+1555" also lists "+15551234567"); writes its sid (PN…, 34
 * chars) into number_sid (may be NULL). NOT_FOUND when the list is empty or
 * has no exact match, or Twilio answers 404 for the account (and, without a request, for a NULL or empty number). */
twilio_status twilio_find_incoming_number(const char *base_url, const char *account_sid, const char *auth_token, const char *number,
                                          long timeout_ms, const char *request_id, const char *org_id, char number_sid[35]);

#endif
