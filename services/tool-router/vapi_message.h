/*
 * vapi_message: a Vapi server message, as tool-router needs it — the list of
 * tool calls (each with its id, tool name and arguments object) and the call's
 * identity (call id, assistant, numbers, org hint). Pure: no I/O, no globals.
 *
 * Vapi's payloads drift from its own schema (contracts/vapi.md §1.3, §1.4),
 * so the parser is lenient where the wire is known to vary and strict on
 * bounds:
 * - calls come from message.toolCallList, else message.toolCalls, else
 *   message.toolWithToolCallList[].toolCall (the first of them that is a
 *   non-empty array); legacy function-call from message.functionCall;
 * - a call's name is function.name, else name (for toolWithToolCallList also
 *   the wrapper's function.name / name), else the per-tool route's path name;
 * - a call's arguments are function.arguments, else arguments, else
 *   parameters: an object, or a string holding a JSON object (parsed a
 *   second time); absent or null or "" means no arguments (an empty object);
 * - JSON null is treated exactly like an absent field, unknown fields are
 *   ignored;
 * - the body may be the usual {"message": {...}} envelope or, on the per-tool
 *   route, the message object itself;
 * - a transfer-destination-request carries no arguments of its own: they are
 *   those of the last transferCall call in the conversation (§1.6), found in
 *   artifact.messages[].toolCalls (Vapi's format), else messages[].toolCalls,
 *   else artifact.messagesOpenAIFormatted[].tool_calls, else
 *   messagesOpenAIFormatted[].tool_calls (OpenAI's) — the first of these
 *   lists that holds a transferCall call at all; the call's name and
 *   arguments are read as a tool call's (there, arguments are a string).
 * Bounds: at most VAPI_MAX_CALLS calls run per message (the next ones, up to
 * VAPI_MAX_ANSWERED, are answered with a refusal, the rest ignored); ids
 * 1-100 printable ASCII characters; names [A-Za-z0-9_-]{1,64}; arguments up to
 * VAPI_MAX_ARGS_BYTES of JSON. A call that breaks a bound is kept, with its
 * problem set, so it still gets an answer of its own. Of the conversation,
 * only the last VAPI_MAX_HISTORY entries of each list and the last
 * VAPI_MAX_HISTORY_CALLS calls of each entry are looked at.
 */
#ifndef TOOL_ROUTER_VAPI_MESSAGE_H
#define TOOL_ROUTER_VAPI_MESSAGE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "vx_validate.h"
#include "vx_vapi.h"

#define VAPI_MAX_CALLS      16
#define VAPI_MAX_ANSWERED   64
#define VAPI_MAX_ARGS_BYTES (64 * 1024)
#define VAPI_MAX_NAME       64
#define VAPI_MAX_ID         100
#define VAPI_MAX_URL        2048

/* How much of the conversation a transfer-destination-request searches for its transferCall call. */
#define VAPI_MAX_HISTORY       64 /* entries of a list, the latest */
#define VAPI_MAX_HISTORY_CALLS 16 /* tool calls of an entry, the latest */

typedef enum {
    VAPI_CALL_OK = 0,
    VAPI_CALL_BAD_ID,   /* id not 1-100 printable ASCII characters */
    VAPI_CALL_BAD_NAME, /* no name anywhere, or not [A-Za-z0-9_-]{1,64} */
    VAPI_CALL_BAD_ARGS, /* arguments not an object, not JSON, or too large */
    VAPI_CALL_TOO_MANY, /* beyond the first VAPI_MAX_CALLS calls of the message */
} vapi_call_problem;

typedef struct vapi_call {
    const char *id;    /* as sent; "" when none (legacy function-call) — also for BAD_ID, when unusable */
    const char *name;  /* a valid tool name, or "" (BAD_NAME) */
    const cJSON *args; /* never NULL: the arguments object, or an empty object */
    bool args_given;   /* false when no arguments were sent at all */
    vapi_call_problem problem;
} vapi_call;

typedef struct vapi_message {
    cJSON *root;       /* the parsed body (owned) */
    const cJSON *msg;  /* the message object inside root */
    const char *type;  /* message.type as sent, or NULL */
    vx_vapi_kind kind; /* vx_vapi_message_kind(type): the one list of call-time types; VX_VAPI_NOT_CALL_TIME is answered {} */
    vapi_call *calls;  /* in the order Vapi sent them (owned array) */
    size_t ncalls;
    /* The call's identity; NULL when absent or malformed. Strings point into root. */
    const char *call_id;                       /* call.id (printable ASCII, ≤ 100) */
    const char *assistant_id;                  /* call.assistantId, else assistant.id */
    const char *phone_number_id;               /* call.phoneNumberId, else phoneNumber.id */
    const char *called_number;                 /* phoneNumber.number, else call.phoneNumber.number (E.164 only) */
    const char *caller_number;                 /* call.customer.number, else customer.number (E.164 only) */
    const char *control_url;                   /* call.monitor.controlUrl (Live Call Control), an http(s) URL */
    char metadata_org_id[VX_UUID_STR_LEN + 1]; /* the org hint we put in metadata, lower case; "" when none */
    const char *kb_query;                      /* knowledge-base-request: the caller's last utterance, or NULL */
    cJSON *owned;                              /* parsed string arguments and the shared empty object */
    /* transfer-destination-request: the arguments object of the transferCall
     * call that caused it (an empty object when they are absent or unusable),
     * or NULL when the conversation holds no such call. Points into root or
     * owned: freed with the message. */
    const cJSON *transfer_args;
} vapi_message;

typedef enum {
    VAPI_PARSE_OK = 0,
    VAPI_PARSE_NOT_JSON = -1,   /* the body is not JSON */
    VAPI_PARSE_NO_MESSAGE = -2, /* JSON, but neither {"message":{…}} nor a message object */
} vapi_parse_status;

/* Parses body (len bytes, need not be NUL-terminated). path_tool is the
 * per-tool route's {tool} parameter ("" when that route has no usable one),
 * or NULL on the webhook route: it names calls that carry no name, and makes
 * the message a tool invocation whatever its type says.
 * On VAPI_PARSE_OK, out holds the message; the caller frees it with
 * vapi_message_free. On failure out is left empty (freeing it is harmless). */
vapi_parse_status vapi_message_parse(const char *body, size_t len, const char *path_tool, vapi_message *out);
void vapi_message_free(vapi_message *m);

/* True for [A-Za-z0-9_-]{1,64}: what Vapi allows as a function name. */
bool vapi_message_name_valid(const char *s);

#endif
