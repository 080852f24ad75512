/*
 * vx_redact: PHI and PII out of call transcripts and summaries before they
 * are stored. One hand-written left-to-right scanner, no regex: linear in the
 * input (every look-ahead and look-behind is bounded), never reads past len,
 * works on bytes, so invalid UTF-8 passes through untouched and a replaced
 * span is always pure ASCII (valid UTF-8 in, valid UTF-8 out).
 *
 * A span is replaced by its kind's marker. What each kind is:
 *
 * - VX_REDACT_CARD "[card]": 13-19 digits, in groups separated by a space or
 *   a dash ("4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111"),
 *   first digit 2-6 (the card networks' ranges), passing the Luhn check. A
 *   digit run glued to letters or longer than 19 digits is never a card.
 * - VX_REDACT_SSN "[ssn]": 3-2-4 digits with dashes or spaces; 9 bare digits
 *   only within 48 bytes after "social", "security" or "ssn". Never area
 *   000, 666 or 9xx, group 00 or serial 0000.
 * - VX_REDACT_DOB "[dob]": a date (numeric "03/14/1985", "3-14-85",
 *   "1985-03-14", "14.03.1985", "3/14"; or worded "March 3rd, 1985",
 *   "Mar. 3", "14 March 1985", "3rd of March") that has a birth cue: a word
 *   beginning "birth" (birthday, birthdate, date of birth), "born", "dob" or
 *   "D.O.B." at most 64 bytes before it with no scheduling word between
 *   ("appointment", "book", "schedule", "come", "available", "tomorrow", ...),
 *   or a birth cue after it in the same sentence within 32 bytes ("3/14/85 is
 *   my birthday"). A cue serves one date. Any other date (an appointment's) is
 *   kept, and so is a lone year ("born in 1985").
 * - VX_REDACT_EMAIL "[email]": a written address (local@domain.tld) or a
 *   spoken one ("jane dot doe at gmail dot com", "jane.doe at gmail.com");
 *   spoken only with a known top-level domain and either a known mail
 *   provider or "mail"/"email" within 64 bytes before it.
 * - VX_REDACT_PHONE "[phone]": a NANP number, 10 digits as 3-3-4, (3) 3-4,
 *   3-7 or a single run, with an optional leading 1 or +1, area code and
 *   exchange starting 2-9; or "+" and 10-15 digits in groups. Separators are
 *   a space, dash or dot. Seven-digit local numbers are kept. The caller's
 *   own number is kept in every such format (digits compared, a leading
 *   country code 1 ignored) and counted in caller_kept.
 *
 * Detection order at each number: card, SSN, date, phone; a span recognised
 * as one kind is never looked at as another, and a disabled kind is
 * recognised (so its digits are not taken for another kind) but kept.
 * A card is also never the tail of a longer number ("900-12-3456 1234 ...").
 * Markers already in the text are left alone (a "[dob]" spends a birth cue
 * as the date did), so redacted text can go through again. Pure functions,
 * no I/O, thread-safe.
 */
#ifndef VX_REDACT_H
#define VX_REDACT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum vx_redact_kinds {
    VX_REDACT_CARD = 1 << 0,
    VX_REDACT_SSN = 1 << 1,
    VX_REDACT_DOB = 1 << 2,
    VX_REDACT_EMAIL = 1 << 3,
    VX_REDACT_PHONE = 1 << 4,
    VX_REDACT_ALL = 0x1f,
} vx_redact_kinds;

/* How many spans of each kind were replaced, and how many phone numbers were
 * kept because they are the caller's. */
typedef struct vx_redact_stats {
    unsigned card;
    unsigned ssn;
    unsigned dob;
    unsigned email;
    unsigned phone;
    unsigned caller_kept;
} vx_redact_stats;

/* Returns a newly malloc'd, NUL-terminated copy of text (len bytes, need not
 * be NUL-terminated, may be NULL when len is 0) in which every span of the
 * kinds in the kinds mask is replaced by its marker. caller_e164 (may be NULL
 * or empty) is the caller's own number, kept wherever it appears. stats (may
 * be NULL) is overwritten with the counts; out_len (may be NULL) receives the
 * copy's length. The caller frees the copy. Aborts when out of memory. */
char *vx_redact(const char *text, size_t len, unsigned kinds, const char *caller_e164, vx_redact_stats *stats, size_t *out_len);

/* True when the digits of s (n bytes; any other byte is ignored) pass the
 * Luhn check. False when there is no digit. */
bool vx_redact_luhn_ok(const char *s, size_t n);

#endif
