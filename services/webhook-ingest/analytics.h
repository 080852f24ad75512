/*
 * analytics: what a finished call means for the business, computed from its
 * end-of-call report and the org's facts. Pure: no I/O, no globals.
 *
 * Every figure is explainable from the rules below, which are the product's
 * documentation of them (SPEC "Post-call analytics"); a test table checks
 * each rule.
 *
 * Sentiment. Vapi's analysis wins when it sent any of label or score
 * (sentiment_source "vapi"); a label is read as positive / negative / neutral
 * by its wording ("Very positive" is positive), a score alone by its value
 * (>= 0.6 positive, <= 0.4 negative). When Vapi sent neither, it is inferred
 * from what the caller said (sentiment_source "inferred"): 0.5, plus 0.1 per
 * positive cue ("thank you", "great", "perfect", …) and minus 0.1 per
 * negative cue ("frustrated", "terrible", "ridiculous", …), kept in [0, 1].
 * Urgency: Vapi's when sent; else "high" on an urgent cue ("emergency",
 * "severe pain", "as soon as possible", "today", …), "medium" on a soon cue
 * ("this week", "tomorrow", "pain", …), else "low".
 *
 * What the caller said: the transcript's lines spoken by the caller ("User:"
 * or "Customer:" lines); a transcript without speaker labels is read whole.
 * Cues are matched case-insensitively as whole words or phrases.
 *
 * Booking: confirmed when the org has an appointment made during this call
 * (tool-router writes them with the call's id), so the database, not the
 * transcript, decides.
 *
 * Financial value: the price of the most expensive active service whose
 * name or one of whose keywords occurs in the transcript or summary; none
 * matched (or no price) → no value, never a guessed one.
 *
 * Recording status: "completed" when the report carries a recording URL,
 * otherwise none.
 *
 * Lead score: 50, then
 *     +20 booked            an appointment was made on the call
 *     +15 booking intent    "appointment", "book", "schedule", "available", "consultation", …
 *     +10 price intent      "price", "cost", "how much", "insurance", …
 *      +5 service matched   a priced service of the org was named
 *     +10 / −15 sentiment   positive / negative
 *     +10 / +5 urgency      high / medium
 *     −30 not interested    "not interested", "wrong number", "just looking", …
 *     −10 cancellation      "cancel", when nothing was booked
 * kept in [0, 100]; hot >= 70, warm >= 40, else cold. The reasons are kept
 * as a JSON array [{"rule": "booked", "points": 20}, …] beside the score.
 *
 * The contact's lead status follows: booked → "booked"; not interested →
 * "lost"; otherwise "contacted" (ingest_store keeps a booked contact booked).
 */
#ifndef INGEST_ANALYTICS_H
#define INGEST_ANALYTICS_H

#include <stdbool.h>
#include <stddef.h>

#define ANALYTICS_HOT_MIN  70
#define ANALYTICS_WARM_MIN 40

/* One of the org's active services (from the services table). */
typedef struct analytics_service {
    const char *name;
    bool has_price;
    double price;
    const char *const *keywords;
    size_t nkeywords;
} analytics_service;

typedef struct analytics_input {
    const char *transcript; /* may be NULL */
    const char *summary;    /* may be NULL */
    const char *sentiment;  /* Vapi's label, or NULL */
    bool has_sentiment_score;
    double sentiment_score;        /* Vapi's, 0..1 */
    const char *sentiment_urgency; /* Vapi's, or NULL */
    const char *recording_url;     /* may be NULL */
    bool booked;                   /* an appointment of this call exists */
    const analytics_service *services;
    size_t nservices;
} analytics_input;

typedef struct analytics_result {
    const char *sentiment_source; /* "vapi" | "inferred" (static) */
    const char
        *sentiment_label; /* Vapi's label as sent, or "positive" | "neutral" | "negative"; NULL when Vapi sent only a score */
    bool has_sentiment_score;
    double sentiment_score;
    const char *sentiment_urgency; /* Vapi's as sent, or "high" | "medium" | "low" */
    bool booking_confirmed;
    bool has_financial_value;
    double financial_value;
    const char *matched_service;  /* the priced service's name (points into the input), or NULL */
    const char *recording_status; /* "completed" or NULL (static) */
    int lead_score;               /* 0..100 */
    const char *lead_tier;        /* "hot" | "warm" | "cold" (static) */
    const char *lead_status;      /* for the contact: "booked" | "lost" | "contacted" (static) */
    char *reasons_json;           /* [{"rule":…,"points":…}, …]; owned, free with analytics_result_free */
} analytics_result;

/* Computes *out from *in. Never fails (aborts when out of memory). */
void analytics_compute(const analytics_input *in, analytics_result *out);

void analytics_result_free(analytics_result *r);

/* "hot" | "warm" | "cold" for a score. */
const char *analytics_tier(int score);

/* True when phrase (lower-case ASCII words separated by single spaces) occurs
 * in text[0..len) as whole words, ignoring case and collapsing runs of
 * non-alphanumeric bytes between words. Exposed for tests. */
bool analytics_has_phrase(const char *text, size_t len, const char *phrase);

#endif
