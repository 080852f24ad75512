/*
 * prompt: the one prompt builder (create and update use it alike, SPEC
 * "tool-sync"): the assistant's system prompt, made of
 *   1. the owner's own text (agent_config.system_prompt), as written;
 *   2. the business facts: its name, its opening hours per weekday and the
 *      zone they are in, the services offered (with duration and price),
 *      and the names of the departments a call can be transferred to —
 *      names only, never a number, a SIP URI or any credential;
 *   3. the tool instructions: when to call which of our tools, by the names
 *      the catalog registers them under (libcommon/vx_tool_catalog.h), so
 *      the prompt and the tools cannot drift apart.
 *
 * Pure and deterministic: the same facts give the same text, byte for byte
 * (no clock, no locale), so a sync that changes nothing sends the same
 * prompt. The facts are one JSON object, as store.c reads it:
 *   {"business_name": "Bright Smiles",
 *    "owner_text": "…",                                   ("" or absent: none)
 *    "timezone": "America/New_York",
 *    "hours": {"monday": [{"opens": "09:00", "closes": "17:00"}, …], …, "sunday": []},
 *                                                         (weekdays in this order; a day absent or empty: closed)
 *    "services": [{"name": "Cleaning", "duration_minutes": 30, "price": "120.00" | null}, …],
 *    "departments": ["billing", …],
 *    "transfer": true}                                    (a transfer target is configured)
 * Anything missing is left out of the text; nothing in it is required.
 */
#ifndef TSYNC_PROMPT_H
#define TSYNC_PROMPT_H

#include <cjson/cJSON.h>

/* The most the prompt may hold (the owner's text is at most 8,000 characters;
 * the facts are cut to fit: at most this many services and departments). */
#define TSYNC_PROMPT_MAX_SERVICES    100
#define TSYNC_PROMPT_MAX_DEPARTMENTS 50

/* The system prompt for facts (NULL: an empty object), malloc'd: the caller frees it. Never NULL. */
char *tsync_prompt_build(const cJSON *facts);

/* The first message when the owner gave none: a greeting naming the business
 * (business_name NULL or "": without it), malloc'd. */
char *tsync_prompt_default_first_message(const char *business_name);

#endif
