/*
 * settings: defaults first, then the environment over them (see settings.h).
 *
 * The sentences are what a caller hears when something did not work, so each
 * one says what happens next instead of naming a technical cause.
 */
#include "settings.h"

#include <stdio.h>
#include <string.h>

#include "vx_config.h"

/* The base URL without trailing slashes (tools append "/calendars/…"). */
static const char *base_url(const char *name, const char *def)
{
    static char buf[1024];
    const char *v = vx_config_str(name, def);
    size_t n = strlen(v);
    while (n > 0 && v[n - 1] == '/')
        n--;
    if (n == strlen(v) || n >= sizeof(buf))
        return v;
    snprintf(buf, sizeof(buf), "%.*s", (int)n, v);
    return buf;
}

void settings_defaults(settings *s)
{
    memset(s, 0, sizeof(*s));
    s->google_calendar_base_url = "https://www.googleapis.com/calendar/v3";
    s->google_timeout_ms = 2000;
    s->rag_timeout_ms = 800;
    s->rag_max_chunks = 5;
    s->vault_miss_ttl_ms = 5000;
    s->vapi_control_timeout_ms = 2000;
    s->vapi_control_allow = "";
    s->max_result_chars = 2400;
    s->say_apology = "I'm sorry, I'm having trouble with our system right now. Could you try that again in a moment?";
    s->say_no_org = "I'm sorry, I can't access this practice's records right now.";
    s->say_unknown_tool = "I'm sorry, I can't do that yet.";
    s->say_bad_args = "I'm sorry, I didn't get the details for that. Could you tell me again?";
    s->say_no_knowledge = "I don't have that information in front of me right now.";
    s->say_no_transfer = "I can't transfer you right now, but I've noted your request and someone will call you back.";
    s->say_not_set_up = "Sorry, this number is not set up yet.";
    s->say_no_handoff =
        "There is no other assistant to hand this call to. Offer to transfer the caller to the team or to take a message.";
}

void settings_load(settings *s)
{
    settings_defaults(s);
    s->google_calendar_base_url = base_url("GOOGLE_CALENDAR_BASE_URL", s->google_calendar_base_url);
    s->google_timeout_ms = vx_config_long("GOOGLE_TIMEOUT_MS", s->google_timeout_ms, 50, 60000);
    s->rag_timeout_ms = vx_config_long("RAG_TIMEOUT_MS", s->rag_timeout_ms, 10, 30000);
    s->rag_max_chunks = (int)vx_config_long("RAG_MAX_CHUNKS", s->rag_max_chunks, 1, 50);
    s->vault_miss_ttl_ms = vx_config_long("VAULT_MISS_TTL_MS", s->vault_miss_ttl_ms, 0, 600000);
    s->vapi_control_timeout_ms = vx_config_long("VAPI_CONTROL_TIMEOUT_MS", s->vapi_control_timeout_ms, 50, 60000);
    s->vapi_control_allow = vx_config_str("VAPI_CONTROL_URL_ALLOW", s->vapi_control_allow);
    s->max_result_chars = (size_t)vx_config_long("TOOLS_MAX_RESULT_CHARS", (long)s->max_result_chars, 200, 16000);
    s->say_apology = vx_config_str("TOOLS_SAY_APOLOGY", s->say_apology);
    s->say_no_org = vx_config_str("TOOLS_SAY_NO_ORG", s->say_no_org);
    s->say_unknown_tool = vx_config_str("TOOLS_SAY_UNKNOWN_TOOL", s->say_unknown_tool);
    s->say_bad_args = vx_config_str("TOOLS_SAY_BAD_ARGS", s->say_bad_args);
    s->say_no_knowledge = vx_config_str("TOOLS_SAY_NO_KNOWLEDGE", s->say_no_knowledge);
    s->say_no_transfer = vx_config_str("TOOLS_SAY_NO_TRANSFER", s->say_no_transfer);
    s->say_not_set_up = vx_config_str("TOOLS_SAY_NOT_SET_UP", s->say_not_set_up);
    s->say_no_handoff = vx_config_str("TOOLS_SAY_NO_HANDOFF", s->say_no_handoff);
}
