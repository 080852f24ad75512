/*
 * agent_fields: the JSON body of PUT /api/agent, read and checked field by
 * field before any SQL runs. Pure: no database, no logging (a refusal is
 * the caller's input; err says what to answer).
 *
 * A body is an object of any of these fields (at least one); what is not
 * given is kept as it is, what is given replaces that field whole:
 *   name                   the assistant's name: text, trimmed, 1..40
 *                          characters (Vapi's limit), no control characters
 *   voice                  {"provider": one of AGENT_FIELDS_VOICE_PROVIDERS,
 *                          "voice_id": text 1..200 characters}, or null for
 *                          Vapi's default voice
 *   first_message          text 1..1000 characters (trimmed), or null
 *   system_prompt          the owner's own text, 0..8000 characters; new
 *                          lines and tabs allowed; kept as typed
 *   timezone               an IANA zone name ("America/New_York", "UTC");
 *                          the shape is checked here, the database's tz
 *                          data confirms the zone exists (is_iana_timezone)
 *   slot_minutes           whole number 5..480
 *   buffer_minutes         whole number 0..240
 *   business_hours         {"monday": [{"opens": "09:00", "closes": "17:00"}],
 *                          …}: days named in lower-case English; each given
 *                          day's list replaces that day's hours ([] closes
 *                          it), days not named keep theirs; at most 8
 *                          intervals a day, "HH:MM" from 00:00 to 23:59,
 *                          opens before closes, none overlapping (one may
 *                          start when another ends)
 *   transfer_phone_number  E.164, or null: where transferCall sends a caller
 *                          when no department matches
 *   transfer_sip_uri       a SIP URI (below), or null: the same over SIP
 *   transfer_departments   {"billing": "+15551112222", "front desk":
 *                          "sip:desk@clinic.example"}: at most 50 names of
 *                          1..64 characters, unique ignoring case, each an
 *                          E.164 number or a SIP URI; replaces the whole map
 *   services_offered       ids (UUIDs) of the org's services the agent
 *                          offers: those become active, the org's others
 *                          inactive; at most 500 (repeats are ignored).
 *                          That each id is the org's is checked in SQL.
 * Any other key, a key given twice, or a value of the wrong type or shape is
 * refused with code "invalid_<field>" (or unknown_field, duplicate_field,
 * invalid_json, empty_update) and a message that names what is wrong.
 *
 * A SIP URI here is "sip:" or "sips:" (lower case, as the database's CHECK
 * and tool-router read it), a user part, "@", a host (a DNS name, an IPv4
 * address or a bracketed IPv6 one), an optional ":port" (1..65535) and
 * optional ";name[=value]" parameters; at most 500 characters. No password
 * ("user:secret@") and no "?headers": a transfer target needs neither, and
 * a password would be a secret stored and shown in clear.
 */
#ifndef DASHBOARD_AGENT_FIELDS_H
#define DASHBOARD_AGENT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#define AGENT_FIELDS_NAME_MAX          40
#define AGENT_FIELDS_VOICE_ID_MAX      200
#define AGENT_FIELDS_FIRST_MESSAGE_MAX 1000
#define AGENT_FIELDS_PROMPT_MAX        8000
#define AGENT_FIELDS_TIMEZONE_MAX      64
#define AGENT_FIELDS_SLOT_MIN          5
#define AGENT_FIELDS_SLOT_MAX          480
#define AGENT_FIELDS_BUFFER_MAX        240
#define AGENT_FIELDS_INTERVALS_MAX     8
#define AGENT_FIELDS_DEPARTMENTS_MAX   50
#define AGENT_FIELDS_DEPARTMENT_MAX    64
#define AGENT_FIELDS_SIP_URI_MAX       500
#define AGENT_FIELDS_SERVICES_MAX      500

/* Vapi's voice.provider values (docs.vapi.ai, "Voices": the provider string). */
#define AGENT_FIELDS_VOICE_PROVIDERS                                                                                               \
    "11labs", "azure", "cartesia", "deepgram", "hume", "inworld", "lmnt", "minimax", "neuphonic", "openai", "playht", "rime-ai",   \
        "smallest-ai", "vapi"

/* The fields a body named, as bits of agent_fields.present. */
typedef enum {
    AGENT_FIELD_NAME = 1u << 0,
    AGENT_FIELD_VOICE = 1u << 1,
    AGENT_FIELD_FIRST_MESSAGE = 1u << 2,
    AGENT_FIELD_SYSTEM_PROMPT = 1u << 3,
    AGENT_FIELD_TIMEZONE = 1u << 4,
    AGENT_FIELD_SLOT_MINUTES = 1u << 5,
    AGENT_FIELD_BUFFER_MINUTES = 1u << 6,
    AGENT_FIELD_BUSINESS_HOURS = 1u << 7,
    AGENT_FIELD_TRANSFER_PHONE_NUMBER = 1u << 8,
    AGENT_FIELD_TRANSFER_SIP_URI = 1u << 9,
    AGENT_FIELD_TRANSFER_DEPARTMENTS = 1u << 10,
    AGENT_FIELD_SERVICES_OFFERED = 1u << 11,
} agent_field;

/* Which table each group of fields is stored in (agent.c writes only those given). */
#define AGENT_FIELDS_OF_AGENT    (AGENT_FIELD_NAME | AGENT_FIELD_VOICE | AGENT_FIELD_FIRST_MESSAGE | AGENT_FIELD_SYSTEM_PROMPT)
#define AGENT_FIELDS_OF_SETTINGS (AGENT_FIELD_TIMEZONE | AGENT_FIELD_SLOT_MINUTES | AGENT_FIELD_BUFFER_MINUTES)
#define AGENT_FIELDS_OF_TRANSFER                                                                                                   \
    (AGENT_FIELD_TRANSFER_PHONE_NUMBER | AGENT_FIELD_TRANSFER_SIP_URI | AGENT_FIELD_TRANSFER_DEPARTMENTS)

/* A checked body. */
typedef struct agent_fields {
    unsigned present; /* agent_field bits of what the body set */
    /* The fields given, checked and normalized (text trimmed where said,
     * hours sorted by opening time, service ids in lower case without
     * repeats), under the names above: what agent.c hands PostgreSQL as one
     * jsonb parameter. Owned; agent_fields_clear frees it. */
    cJSON *values;
} agent_fields;

/* Why a body was refused: code for {"code"}, message for {"error"}. */
typedef struct agent_fields_error {
    const char *code; /* static: "invalid_json", "unknown_field", "invalid_business_hours", … */
    char message[384];
} agent_fields_error;

/* Reads body (len bytes, not NUL-terminated; NULL when empty). Returns 0 with
 * *out filled (agent_fields_clear frees it), or -1 with *err set and *out
 * empty. */
int agent_fields_parse(const char *body, size_t len, agent_fields *out, agent_fields_error *err);
/* Frees what a parse allocated and zeroes f. */
void agent_fields_clear(agent_fields *f);

/* The checks behind transfer_sip_uri and transfer_departments (NUL-terminated). */
bool agent_fields_is_sip_uri(const char *s);
/* The shape of an IANA zone name, as migrations/0003's is_iana_timezone checks it. */
bool agent_fields_timezone_shape(const char *s);

#endif
