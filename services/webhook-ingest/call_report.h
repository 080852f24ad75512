/*
 * call_report: what webhook-ingest stores about a call, read from one Vapi
 * server message. Pure parsing: no I/O, no globals, safe from any thread.
 *
 * Vapi's payloads drift from its own schema (contracts/vapi.md §1.2, §1.5,
 * §1.6, §5), so every field is read leniently: null is the same as absent,
 * a value of the wrong type is ignored, unknown fields are ignored, the
 * current places (artifact.*, analysis.*, message.*) are read before the
 * legacy ones (top-level transcript/summary/recordingUrl, call.*), and
 * timestamps may be ISO strings or epoch milliseconds (even as floats like
 * 1.722115418016999E12).
 *
 * Every string is a bounded, UTF-8-repaired copy owned by the struct (see
 * text.h), so whatever arrives can be bound as a SQL parameter unchanged.
 * Values that could never satisfy the call_logs constraints (a non-E.164
 * number, a negative duration, an absurd date) are dropped rather than stored.
 */
#ifndef INGEST_CALL_REPORT_H
#define INGEST_CALL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* The message types webhook-ingest acts on; everything else is acked and ignored. */
typedef enum {
    INGEST_MSG_OTHER = 0,
    INGEST_MSG_END_OF_CALL_REPORT,
    INGEST_MSG_STATUS_UPDATE,
    INGEST_MSG_HANG, /* the assistant stalled (a slow model, voice or tool): counted on the call */
} ingest_msg_kind;

/* Written when the payload names no caller (as the earlier implementation did). */
#define INGEST_UNKNOWN_CALLER "Unknown Caller"

/* Bounds on what we copy out of a payload. */
#define INGEST_MAX_ID         100         /* call_logs.vapi_call_id, agents.vapi_*_id */
#define INGEST_MAX_TRANSCRIPT (1 << 20)   /* 1 MB */
#define INGEST_MAX_TEXT       (64 * 1024) /* summaries, evaluations */
#define INGEST_MAX_URL        4096
#define INGEST_MAX_SHORT      200 /* names, reasons, labels */
#define INGEST_MAX_METADATA   (256 * 1024)

typedef struct ingest_call {
    char *type; /* message.type, or NULL */
    ingest_msg_kind kind;

    char *vapi_call_id;    /* message.call.id (1..100 bytes), or NULL */
    char *assistant_id;    /* call.assistantId, else message.assistant.id */
    char *phone_number_id; /* call.phoneNumberId, else message.phoneNumber.id */

    char *caller_number;    /* E.164 caller → phone_number and from_number, or NULL */
    char *caller_raw;       /* the caller as sent when it is not E.164 (kept in metadata), or NULL */
    char *to_number;        /* message.phoneNumber.number when E.164, or NULL */
    char *caller_name;      /* never NULL: the name sent, or INGEST_UNKNOWN_CALLER */
    bool caller_name_given; /* false when caller_name is the default */
    const char *call_type;  /* static "inbound" | "outbound" | "web" */

    bool has_started_at, has_ended_at;
    int64_t started_at_ms, ended_at_ms;
    char started_at[25], ended_at[25]; /* ISO 8601 UTC, "" when unknown */

    bool has_duration;
    long duration_seconds; /* >= 0 */
    bool has_total_cost;
    double total_cost; /* USD, >= 0 */

    char *transcript;
    bool transcript_truncated;
    char *recording_url;
    char *stereo_recording_url;
    char *outcome_summary;
    char *success_evaluation; /* text even when Vapi sent a bool or a number */

    char *sentiment; /* also sentiment_label */
    bool has_sentiment_score;
    double sentiment_score;
    char *sentiment_summary;
    char *sentiment_urgency;

    char *ended_reason;
    char *status; /* status-update: one of the call_logs statuses, or NULL */

    char *metadata_org_id; /* tier-2 org hint: a lower-case UUID, or NULL */

    char *metadata_json; /* call_logs.metadata: a JSON object, never NULL after parsing */
} ingest_call;

/* Fills *out from a parsed Vapi body. root may be the envelope
 * {"message":{…}} or, leniently, the message object itself.
 * Returns 0, or -1 when root holds no message object (*out is then zeroed
 * and safe to free). Never fails on a field's content. */
int ingest_call_from_json(const cJSON *root, ingest_call *out);

/* Parses len bytes of JSON and fills *out as ingest_call_from_json.
 * Returns 0, or -1 when the text is not JSON or holds no message object. */
int ingest_call_parse(const char *json, size_t len, ingest_call *out);

/* Frees every string *c owns and zeroes it. Safe on a zeroed struct. */
void ingest_call_free(ingest_call *c);

/* Maps a message.type to the kind we act on. */
ingest_msg_kind ingest_msg_kind_of(const char *type);

/* Maps a Vapi call status to a call_logs status, or NULL for statuses we do
 * not record ("not-found", "deletion-failed", anything unknown).
 * "scheduled" maps to "queued". Returns a static string. */
const char *ingest_status_normalize(const char *vapi_status);

#endif
