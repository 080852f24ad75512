/*
 * vx_tool_catalog: our Vapi tools, defined once (see vx_tool_catalog.h).
 *
 * Design: one static array of tools, each with a static array of its
 * arguments; the JSON schema and the whole create-tool body are built from
 * them with cJSON in a fixed order and printed unformatted, so the same
 * table, base URL and credential always give the same bytes — and so the
 * same SHA-256. cJSON keeps members in insertion order and prints UTF-8 as
 * is, escaping only what JSON requires: nothing here depends on a hash
 * order or a locale.
 *
 * The descriptions are what the model reads to decide when to call a tool
 * and how to fill it. They say what tool-router really does (tools/tools.h
 * holds each tool's contract): an argument tool-router can do without is
 * not required, and says what happens when it is left out.
 */
#include "vx_tool_catalog.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_log.h"

#define PER_TOOL_PATH "/api/vapi/tools/" /* + the tool's name: the per-tool route of vx_routes.c */
#define WEBHOOK_PATH  "/api/vapi/webhook"

#define STRING  "string"
#define ARGS(a) a, sizeof(a) / sizeof(a[0])

/* ------------------------------------------------------------ the tools */

static const char *const SEARCH_TYPES[] = {"phone", "email", "name", NULL};

static const vx_tool_catalog_arg LOOKUP_CALLER_ARGS[] = {
    {VX_TOOL_ARG_SEARCH_KEY, STRING,
     "What the caller gave to identify themselves: their phone number with country code, their email address, or their full "
     "name.",
     true, NULL, NULL},
    {VX_TOOL_ARG_SEARCH_TYPE, STRING, "What searchKey is. Leave out to have it guessed from the key.", false, SEARCH_TYPES, NULL},
};

static const vx_tool_catalog_arg CHECK_AVAILABILITY_ARGS[] = {
    {VX_TOOL_ARG_DATE, STRING,
     "The day to check: YYYY-MM-DD, \"today\", \"tomorrow\" or a weekday name such as \"tuesday\". Leave out for today.", false,
     NULL, NULL},
    {VX_TOOL_ARG_SERVICE, STRING,
     "The service the caller wants, as they named it (the openings are as long as it takes). Leave out if they did not say.", false,
     NULL, NULL},
};

static const vx_tool_catalog_arg BOOK_ARGS[] = {
    {VX_TOOL_ARG_NAME, STRING, "The caller's full name, as they gave it.", true, NULL, NULL},
    {VX_TOOL_ARG_PHONE, STRING,
     "The phone number for the booking, with country code (+15551234567). Leave out to use the number the caller is calling "
     "from.",
     false, NULL, NULL},
    {VX_TOOL_ARG_EMAIL, STRING, "The caller's email address, if they gave one.", false, NULL, "email"},
    {VX_TOOL_ARG_SERVICE, STRING, "The service to book, as the caller named it. Leave out if they did not say.", false, NULL, NULL},
    {VX_TOOL_ARG_START, STRING,
     "When the appointment starts, in the clinic's local time: YYYY-MM-DDTHH:MM (an ISO 8601 time with an offset also works).",
     true, NULL, NULL},
};

/* The arguments that name an existing appointment (calendar/booking.c's booking_find). */
#define APPOINTMENT_ID_DESCRIPTION                                                                                                 \
    "The appointment's id, only if you were given it. Otherwise leave out: the appointment is found by phone number."
#define BOOKED_PHONE_DESCRIPTION                                                                                                   \
    "The phone number the appointment was booked with, with country code. Leave out to use the number the caller is calling "      \
    "from."
#define CURRENT_START_DESCRIPTION(verb)                                                                                            \
    "When the appointment to " verb " starts now (YYYY-MM-DDTHH:MM, the clinic's local time), if the caller has more than one. "   \
    "Leave out for their next appointment."

static const vx_tool_catalog_arg RESCHEDULE_ARGS[] = {
    {VX_TOOL_ARG_APPOINTMENT_ID, STRING, APPOINTMENT_ID_DESCRIPTION, false, NULL, NULL},
    {VX_TOOL_ARG_PHONE, STRING, BOOKED_PHONE_DESCRIPTION, false, NULL, NULL},
    {VX_TOOL_ARG_CURRENT_START, STRING, CURRENT_START_DESCRIPTION("move"), false, NULL, NULL},
    {VX_TOOL_ARG_NEW_START, STRING,
     "The new start time, in the clinic's local time: YYYY-MM-DDTHH:MM (an ISO 8601 time with an offset also works).", true, NULL,
     NULL},
};

static const vx_tool_catalog_arg CANCEL_ARGS[] = {
    {VX_TOOL_ARG_APPOINTMENT_ID, STRING, APPOINTMENT_ID_DESCRIPTION, false, NULL, NULL},
    {VX_TOOL_ARG_PHONE, STRING, BOOKED_PHONE_DESCRIPTION, false, NULL, NULL},
    {VX_TOOL_ARG_CURRENT_START, STRING, CURRENT_START_DESCRIPTION("cancel"), false, NULL, NULL},
};

static const vx_tool_catalog_arg TRANSFER_ARGS[] = {
    {VX_TOOL_ARG_SUMMARY, STRING, "One sentence on what the caller needs, for the person who takes the call.", false, NULL, NULL},
    {VX_TOOL_ARG_DEPARTMENT, STRING,
     "The department the caller asked for (such as billing), if any. Leave out for the clinic's main line.", false, NULL, NULL},
};

static const vx_tool_catalog_arg KNOWLEDGE_ARGS[] = {
    {VX_TOOL_ARG_QUERY, STRING, "The caller's question in a few words, such as \"where can I park\".", true, NULL, NULL},
};

static const vx_tool_def TOOLS[] = {
    {VX_TOOL_LOOKUP_CALLER, VX_TOOL_CATALOG_FUNCTION,
     "Find the caller among the clinic's contacts by phone number, email address or name, when they tell you who they are. "
     "Says whether one person was found (by first name), several (with hints to tell them apart: ask which one is the "
     "caller) or nobody. Never reveals anyone's contact details.",
     ARGS(LOOKUP_CALLER_ARGS)},
    {VX_TOOL_CHECK_AVAILABILITY, VX_TOOL_CATALOG_FUNCTION,
     "Check the clinic's free appointment times on one day, before offering or booking a time. Answers with the first few "
     "openings and how many more there are; when the day is closed or full, with the next day that has openings.",
     ARGS(CHECK_AVAILABILITY_ARGS)},
    {VX_TOOL_BOOK_CLINIC_APPOINTMENT, VX_TOOL_CATALOG_FUNCTION,
     "Book an appointment once the caller has chosen a time (one checkAvailability offered) and given their name. Answers "
     "with the confirmation to read to the caller, or, when the time was just taken, the nearest free times to offer instead.",
     ARGS(BOOK_ARGS)},
    {VX_TOOL_RESCHEDULE_APPOINTMENT, VX_TOOL_CATALOG_FUNCTION,
     "Move the caller's booked appointment to a new time they have chosen. Only an appointment booked with the number the "
     "caller is calling from can be changed. Answers with the new time, or why it could not be moved.",
     ARGS(RESCHEDULE_ARGS)},
    {VX_TOOL_CANCEL_APPOINTMENT, VX_TOOL_CATALOG_FUNCTION,
     "Cancel the caller's booked appointment once they have confirmed they want it cancelled. Only an appointment booked "
     "with the number the caller is calling from can be cancelled.",
     ARGS(CANCEL_ARGS)},
    {VX_TOOL_TRANSFER_CALL, VX_TOOL_CATALOG_TRANSFER_CALL,
     "Transfer the caller to a person at the clinic, when they ask for a human or need help you cannot give.", ARGS(TRANSFER_ARGS)},
    {VX_TOOL_GET_KNOWLEDGE_BASE, VX_TOOL_CATALOG_FUNCTION,
     "Look up the answer to a question about the clinic (services, prices, opening times, location, policies) in the "
     "clinic's own knowledge base. Use it before saying you do not know.",
     ARGS(KNOWLEDGE_ARGS)},
};

#define NTOOLS (sizeof(TOOLS) / sizeof(TOOLS[0]))

/* ------------------------------------------------------------ look-ups */

size_t vx_tool_catalog_count(void)
{
    return NTOOLS;
}

const vx_tool_def *vx_tool_catalog_at(size_t i)
{
    return i < NTOOLS ? &TOOLS[i] : NULL;
}

const vx_tool_def *vx_tool_catalog_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < NTOOLS; i++)
        if (strcmp(TOOLS[i].name, name) == 0)
            return &TOOLS[i];
    return NULL;
}

const vx_tool_catalog_arg *vx_tool_catalog_arg_find(const vx_tool_def *t, const char *name)
{
    for (size_t i = 0; name != NULL && i < t->nargs; i++)
        if (strcmp(t->args[i].name, name) == 0)
            return &t->args[i];
    return NULL;
}

const char *vx_tool_catalog_type_name(const vx_tool_def *t)
{
    return t->type == VX_TOOL_CATALOG_TRANSFER_CALL ? "transferCall" : "function";
}

/* ------------------------------------------------------------ the canonical JSON */

/* The length of base without its trailing '/'s, or 0 when it is not an
 * http(s) URL with a host, of printable ASCII, without query or fragment. */
static size_t base_len(const char *base)
{
    if (base == NULL)
        return 0;
    size_t scheme = strncmp(base, "https://", 8) == 0 ? 8 : strncmp(base, "http://", 7) == 0 ? 7 : 0;
    if (scheme == 0)
        return 0;
    size_t n = strlen(base);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)base[i] <= ' ' || (unsigned char)base[i] >= 0x7f || base[i] == '?' || base[i] == '#')
            return 0;
    while (n > scheme && base[n - 1] == '/')
        n--;
    return n > scheme && base[scheme] != '/' ? n : 0;
}

/* cJSON's adders with running out of memory made fatal: a tree missing a
 * member would print as another definition, with another hash. */
static cJSON *need(cJSON *item)
{
    if (item == NULL)
        abort();
    return item;
}

static char *need_text(char *text)
{
    if (text == NULL)
        abort();
    return text;
}

static void add_str(cJSON *obj, const char *key, const char *value)
{
    need(cJSON_AddStringToObject(obj, key, value));
}

static void push_str(cJSON *array, const char *value)
{
    if (!cJSON_AddItemToArray(array, need(cJSON_CreateString(value))))
        abort();
}

static void parameters_json(const vx_tool_def *t, cJSON *p)
{
    add_str(p, "type", "object");
    cJSON *props = need(cJSON_AddObjectToObject(p, "properties"));
    cJSON *required = need(cJSON_CreateArray());
    for (size_t i = 0; i < t->nargs; i++) {
        const vx_tool_catalog_arg *a = &t->args[i];
        cJSON *prop = need(cJSON_AddObjectToObject(props, a->name));
        add_str(prop, "type", a->json_type);
        add_str(prop, "description", a->description);
        if (a->enum_values != NULL) {
            cJSON *e = need(cJSON_AddArrayToObject(prop, "enum"));
            for (const char *const *v = a->enum_values; *v != NULL; v++)
                push_str(e, *v);
        }
        if (a->format != NULL)
            add_str(prop, "format", a->format);
        if (a->required)
            push_str(required, a->name);
    }
    if (!cJSON_AddItemToObject(p, "required", required))
        abort();
}

char *vx_tool_catalog_json(const vx_tool_def *t, const char *public_base_url, const char *credential_id)
{
    size_t n = base_len(public_base_url);
    if (n == 0) {
        vx_log_error(NULL, NULL, "tool definition needs an http(s) PUBLIC_BASE_URL without query or fragment", "tool", t->name);
        return NULL;
    }
    vx_buf url = VX_BUF_INIT;
    vx_buf_append(&url, public_base_url, n);
    if (t->type == VX_TOOL_CATALOG_TRANSFER_CALL)
        vx_buf_puts(&url, WEBHOOK_PATH);
    else
        vx_buf_printf(&url, "%s%s", PER_TOOL_PATH, t->name);

    cJSON *root = need(cJSON_CreateObject());
    add_str(root, "type", vx_tool_catalog_type_name(t));
    cJSON *fn = need(cJSON_AddObjectToObject(root, "function"));
    add_str(fn, "name", t->name);
    add_str(fn, "description", t->description);
    parameters_json(t, need(cJSON_AddObjectToObject(fn, "parameters")));
    cJSON *server = need(cJSON_AddObjectToObject(root, "server"));
    add_str(server, "url", url.data);
    need(cJSON_AddNumberToObject(server, "timeoutSeconds", VX_TOOL_CATALOG_TIMEOUT_S));
    if (credential_id != NULL && credential_id[0] != '\0')
        add_str(server, "credentialId", credential_id);
    char *json = need_text(cJSON_PrintUnformatted(root));
    cJSON_Delete(root);
    vx_buf_free(&url);
    return json;
}

int vx_tool_catalog_hash(const vx_tool_def *t, const char *public_base_url, const char *credential_id,
                         char out[VX_TOOL_CATALOG_HASH_SIZE])
{
    char *json = vx_tool_catalog_json(t, public_base_url, credential_id);
    if (json == NULL)
        return -1;
    uint8_t digest[VX_SHA256_LEN];
    vx_sha256(json, strlen(json), digest);
    vx_hex_encode(digest, sizeof(digest), out);
    free(json);
    return 0;
}
