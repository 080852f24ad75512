/*
 * vx_tool_catalog: the one definition of every tool our Vapi assistants
 * call — what tool-sync registers at Vapi (POST /tool, contracts/vapi.md
 * §4.1) and what tool-router reads when Vapi calls it. Both read this table,
 * so the schema the model sees and the arguments tool-router reads cannot
 * drift: tool-router names every argument by the VX_TOOL_ARG_* below and
 * refuses to start when its tool table and this catalog disagree
 * (tool_table_check_catalog), and tests/integration/tool-router/
 * test_tool_schemas.c runs every tool and compares the arguments it reads
 * with its schema here.
 *
 * A tool is one row: its Vapi type, its function name and description, and
 * its arguments (name, JSON type, description, required, maybe an enum or a
 * format). The JSON schema Vapi gets is generated from those rows, never
 * written by hand. Each tool's create-tool body is its canonical JSON
 * (vx_tool_catalog_json: fixed key order, no whitespace) and its version is
 * the SHA-256 of that JSON (vx_tool_catalog_hash): it changes exactly when
 * something Vapi would see changes — a description, an argument, the server
 * URL or credential — and then tool-sync registers the tool again.
 *
 * Where Vapi sends each tool (server.url, from PUBLIC_BASE_URL):
 * - our function tools: PUBLIC_BASE_URL/api/vapi/tools/<name>, the per-tool
 *   route (libcommon/vx_routes.c), which only ever carries tool-calls;
 * - transferCall: Vapi's own transfer tool (type "transferCall") with no
 *   destinations, so Vapi asks us where to send the call with a
 *   transfer-destination-request (§2.4) to its server.url — which must be
 *   PUBLIC_BASE_URL/api/vapi/webhook: the per-tool route treats every body
 *   as tool-calls, the webhook dispatches by message type. tool-router also
 *   answers transferCall as a plain tool call (an assistant made elsewhere).
 *
 * The table is static and read-only: any thread may use it at any time.
 */
#ifndef VX_TOOL_CATALOG_H
#define VX_TOOL_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

/* The tools, by the names the assistant calls them ([A-Za-z0-9_-]{1,64}). */
#define VX_TOOL_LOOKUP_CALLER           "lookupCaller"
#define VX_TOOL_CHECK_AVAILABILITY      "checkAvailability"
#define VX_TOOL_BOOK_CLINIC_APPOINTMENT "bookClinicAppointment"
#define VX_TOOL_RESCHEDULE_APPOINTMENT  "rescheduleAppointment"
#define VX_TOOL_CANCEL_APPOINTMENT      "cancelAppointment"
#define VX_TOOL_TRANSFER_CALL           "transferCall"
#define VX_TOOL_GET_KNOWLEDGE_BASE      "getKnowledgeBase"

/* Every argument name any tool has, spelled once: tool-router reads
 * arguments by these (tool_arg and the readers of calendar/args.h), the
 * catalog's rows declare them. Which tool has which is the table's business
 * (vx_tool_catalog.c, and tests/unit/libcommon/test_tool_catalog.c). */
#define VX_TOOL_ARG_SEARCH_KEY     "searchKey"     /* lookupCaller */
#define VX_TOOL_ARG_SEARCH_TYPE    "searchType"    /* lookupCaller */
#define VX_TOOL_ARG_DATE           "date"          /* checkAvailability */
#define VX_TOOL_ARG_SERVICE        "service"       /* checkAvailability, bookClinicAppointment */
#define VX_TOOL_ARG_NAME           "name"          /* bookClinicAppointment */
#define VX_TOOL_ARG_PHONE          "phone"         /* book-, reschedule-, cancelAppointment */
#define VX_TOOL_ARG_EMAIL          "email"         /* bookClinicAppointment */
#define VX_TOOL_ARG_START          "start"         /* bookClinicAppointment */
#define VX_TOOL_ARG_APPOINTMENT_ID "appointmentId" /* reschedule-, cancelAppointment */
#define VX_TOOL_ARG_CURRENT_START  "currentStart"  /* reschedule-, cancelAppointment */
#define VX_TOOL_ARG_NEW_START      "newStart"      /* rescheduleAppointment */
#define VX_TOOL_ARG_SUMMARY        "summary"       /* transferCall */
#define VX_TOOL_ARG_DEPARTMENT     "department"    /* transferCall (and transfer-destination-request) */
#define VX_TOOL_ARG_QUERY          "query"         /* getKnowledgeBase */

/* How long Vapi waits for a tool's answer (server.timeoutSeconds, Vapi's
 * default made explicit): the gateway answers every tool call well within it
 * (GATEWAY_UPSTREAM_TIMEOUT_MS, 5 s by default, then a sayable fallback). */
#define VX_TOOL_CATALOG_TIMEOUT_S 20

/* The hash's size in hex with its NUL: 64 lower-case hex digits and '\0'. */
#define VX_TOOL_CATALOG_HASH_SIZE 65

typedef enum {
    VX_TOOL_CATALOG_FUNCTION = 0,  /* type "function": Vapi posts tool-calls to the per-tool URL */
    VX_TOOL_CATALOG_TRANSFER_CALL, /* type "transferCall", no destinations: transfer-destination-request to the webhook */
} vx_tool_catalog_type;

/* One argument of a tool: one property of its JSON schema. */
typedef struct vx_tool_catalog_arg {
    const char *name;               /* a VX_TOOL_ARG_* */
    const char *json_type;          /* JSON Schema type: "string" */
    const char *description;        /* what the model needs to fill it well */
    bool required;                  /* the tool cannot do without it (tool-router asks for it) */
    const char *const *enum_values; /* NULL-terminated allowed values, or NULL */
    const char *format;             /* JSON Schema format ("email"), or NULL */
} vx_tool_catalog_arg;

/* One tool: one POST /tool body. */
typedef struct vx_tool_def {
    const char *name; /* a VX_TOOL_* */
    vx_tool_catalog_type type;
    const char *description; /* when to call it and what comes back, for the model */
    const vx_tool_catalog_arg *args;
    size_t nargs;
} vx_tool_def;

/* How many tools there are, and the i-th (NULL when i >= the count), in the catalog's fixed order. */
size_t vx_tool_catalog_count(void);
const vx_tool_def *vx_tool_catalog_at(size_t i);

/* The tool named name (case matters), or NULL. */
const vx_tool_def *vx_tool_catalog_find(const char *name);

/* The argument of t named name, or NULL when t has none such. */
const vx_tool_catalog_arg *vx_tool_catalog_arg_find(const vx_tool_def *t, const char *name);

/* Vapi's type of t: "function" or "transferCall". */
const char *vx_tool_catalog_type_name(const vx_tool_def *t);

/*
 * The canonical JSON of t's create-tool body, malloc'd (the caller frees):
 *   {"type":"function","function":{"name","description","parameters":
 *     {"type":"object","properties":{<arg>:{"type","description"[,"enum"][,"format"]},…},"required":[…]}},
 *    "server":{"url","timeoutSeconds"[,"credentialId"]}}
 * keys always in this order, arguments in the table's order, no whitespace;
 * a transferCall tool has type "transferCall" and no "destinations" at all.
 * public_base_url is PUBLIC_BASE_URL ("https://voxanne.example", trailing
 * '/' ignored); credential_id the Vapi credential that authenticates Vapi to
 * the gateway (VAPI_SERVER_CREDENTIAL_ID), NULL or "" for none. NULL (logged)
 * when public_base_url is not an http(s) URL without query or fragment.
 */
char *vx_tool_catalog_json(const vx_tool_def *t, const char *public_base_url, const char *credential_id);

/* The version of t as registered: the lower-case hex SHA-256 of
 * vx_tool_catalog_json(t, public_base_url, credential_id), into out.
 * Returns 0, or -1 (logged) when that JSON cannot be made. */
int vx_tool_catalog_hash(const vx_tool_def *t, const char *public_base_url, const char *credential_id,
                         char out[VX_TOOL_CATALOG_HASH_SIZE]);

#endif
