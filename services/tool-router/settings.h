/*
 * settings: tool-router's process-wide configuration, read once from the
 * environment at start-up and then only read (shared by every worker without
 * locks). Tools reach it through tool_ctx.settings.
 *
 * Environment (all optional):
 *   GOOGLE_CALENDAR_BASE_URL  Google Calendar API base (default https://www.googleapis.com/calendar/v3)
 *   GOOGLE_TIMEOUT_MS         timeout of one Google call (default 2000)
 *   RAG_TIMEOUT_MS            how long getKnowledgeBase waits for rag-search (default 800)
 *   RAG_MAX_CHUNKS            chunks asked of rag-search (default 5)
 *   VAULT_MISS_TTL_MS         after credential-vault fails to answer, how long a worker skips
 *                             asking it for a Google token (default 5000; 0 asks every time)
 *   VAPI_CONTROL_TIMEOUT_MS   timeout of one Live Call Control request (default 2000)
 *   VAPI_CONTROL_URL_ALLOW    comma-separated URL prefixes also trusted as a call's
 *                             controlUrl besides Vapi's own (https, hosts under vapi.ai; default none; the
 *                             tests point it at tests/fakes/vapi_control)
 *   TOOLS_MAX_RESULT_CHARS    cap of every sentence returned to Vapi, in bytes (default 2400)
 *   TOOLS_SAY_APOLOGY, TOOLS_SAY_NO_ORG, TOOLS_SAY_UNKNOWN_TOOL, TOOLS_SAY_BAD_ARGS,
 *   TOOLS_SAY_NO_KNOWLEDGE, TOOLS_SAY_NO_TRANSFER, TOOLS_SAY_NOT_SET_UP
 *                             the sentences below, for an operator who wants other words
 */
#ifndef TOOL_ROUTER_SETTINGS_H
#define TOOL_ROUTER_SETTINGS_H

#include <stddef.h>

typedef struct settings {
    const char *google_calendar_base_url; /* no trailing slash */
    long google_timeout_ms;
    long rag_timeout_ms;
    int rag_max_chunks;
    long vault_miss_ttl_ms;
    long vapi_control_timeout_ms;
    const char *vapi_control_allow; /* "" or comma-separated URL prefixes */
    size_t max_result_chars;

    /* What the assistant says when … */
    const char *say_apology;      /* … the database failed (the tool did nothing) */
    const char *say_no_org;       /* … the message's org could not be resolved */
    const char *say_unknown_tool; /* … the tool does not exist here */
    const char *say_bad_args;     /* … the arguments were not a readable object */
    const char *say_no_knowledge; /* … rag-search did not answer */
    const char *say_no_transfer;  /* … no transfer destination is configured */
    const char *say_not_set_up;   /* … assistant-request for a number we do not know (Vapi speaks it, then hangs up) */
    const char *say_no_handoff; /* … handoff-destination-request: there is no other assistant (added to the history, not spoken) */
} settings;

/* Fills s from the environment (exits with a clear message on a malformed number, see vx_config).
 * The strings point into the environment or static storage: nothing to free. */
void settings_load(settings *s);

/* The defaults alone, without reading the environment (for tests). */
void settings_defaults(settings *s);

#endif
