/*
 * analytics: the post-call rules of analytics.h.
 *
 * Texts are matched in a normalized form: lower-case ASCII letters and
 * digits, every other run of bytes (spaces, punctuation, UTF-8) one space,
 * with a space at each end. A phrase "how much" then occurs as whole words
 * exactly when " how much " is a substring, so each cue costs one memmem
 * over text normalized once.
 */
#include "analytics.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define ADD_BOOKED          20
#define ADD_BOOKING_INTENT  15
#define ADD_PRICE_INTENT    10
#define ADD_SERVICE_MATCHED 5
#define ADD_POSITIVE        10
#define ADD_NEGATIVE        (-15)
#define ADD_URGENCY_HIGH    10
#define ADD_URGENCY_MEDIUM  5
#define ADD_NOT_INTERESTED  (-30)
#define ADD_CANCELLATION    (-10)

static const char *const BOOKING_CUES[] = {"appointment", "appointments", "book",           "booking",      "schedule",
                                           "available",   "availability", "consultation",   "come in",      "opening",
                                           "openings",    "slot",         "see the doctor", "see a doctor", NULL};
static const char *const PRICE_CUES[] = {"price",     "prices",       "pricing",   "cost", "costs", "how much", "quote",
                                         "insurance", "payment plan", "financing", "fee",  "fees",  NULL};
static const char *const POSITIVE_CUES[] = {"thank you", "thanks",     "great",   "perfect",     "wonderful", "excellent",
                                            "awesome",   "appreciate", "helpful", "sounds good", "lovely",    NULL};
static const char *const NEGATIVE_CUES[] = {
    "frustrated",   "frustrating",  "angry",   "upset",    "terrible",      "awful",     "ridiculous",
    "unacceptable", "disappointed", "annoyed", "horrible", "waste of time", "complaint", NULL};
static const char *const URGENT_CUES[] = {
    "emergency",  "urgent",      "urgently", "severe pain", "bleeding", "as soon as possible", "asap",
    "right away", "immediately", "today",    "swollen",     "swelling", "can t wait",          NULL};
static const char *const SOON_CUES[] = {"this week", "tomorrow", "soon", "pain", "hurts", "sore", NULL};
static const char *const NOT_INTERESTED_CUES[] = {"not interested", "wrong number",  "no thank you", "no thanks",
                                                  "just looking",   "just browsing", "stop calling", "take me off",
                                                  "remove me",      "do not call",   "don t call",   NULL};
static const char *const CANCEL_CUES[] = {"cancel", "cancellation", "cancelling", "canceling", NULL};

/* text → " word word … " (see the file comment). The caller frees. */
static char *normalize(const char *text, size_t len)
{
    char *out = malloc(len + 3);
    if (!out)
        abort();
    size_t n = 0;
    out[n++] = ' ';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80 && isalnum(c))
            out[n++] = (char)tolower(c);
        else if (out[n - 1] != ' ')
            out[n++] = ' ';
    }
    if (out[n - 1] != ' ')
        out[n++] = ' ';
    out[n] = '\0';
    return out;
}

/* phrase (already normalized words) as whole words in a normalized text. */
static bool norm_has(const char *norm, const char *phrase)
{
    size_t plen = strlen(phrase);
    if (plen == 0 || plen > 200)
        return false;
    char needle[204];
    needle[0] = ' ';
    memcpy(needle + 1, phrase, plen);
    needle[plen + 1] = ' ';
    return memmem(norm, strlen(norm), needle, plen + 2) != NULL;
}

/* A keyword as the owner typed it ("Face-Lift ") → normalized words, or NULL when it has none. */
static char *keyword_phrase(const char *keyword)
{
    char *n = normalize(keyword, strlen(keyword));
    size_t len = strlen(n);
    if (len <= 2) {
        free(n);
        return NULL;
    }
    n[len - 1] = '\0';
    memmove(n, n + 1, len - 1);
    return n;
}

static bool norm_has_keyword(const char *norm, const char *keyword)
{
    char *k = keyword ? keyword_phrase(keyword) : NULL;
    bool found = k && norm_has(norm, k);
    free(k);
    return found;
}

bool analytics_has_phrase(const char *text, size_t len, const char *phrase)
{
    char *norm = normalize(text, len);
    bool found = norm_has(norm, phrase);
    free(norm);
    return found;
}

static int count_cues(const char *norm, const char *const *cues)
{
    int n = 0;
    for (const char *const *c = cues; *c; c++)
        n += norm_has(norm, *c);
    return n;
}

/* Does a line start with a speaker label, and is it the caller's? */
static bool line_label(const char *line, size_t len, bool *is_caller)
{
    static const struct {
        const char *label;
        bool caller;
    } labels[] = {{"user:", true},       {"customer:", true}, {"caller:", true}, {"ai:", false},
                  {"assistant:", false}, {"bot:", false},     {"agent:", false}};
    while (len && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        size_t l = strlen(labels[i].label);
        if (len >= l && strncasecmp(line, labels[i].label, l) == 0) {
            *is_caller = labels[i].caller;
            return true;
        }
    }
    return false;
}

/* The normalized words of the caller's lines, or of the whole transcript
 * when it has no speaker labels. The caller frees. */
static char *caller_words(const char *transcript)
{
    if (!transcript)
        return normalize("", 0);
    size_t total = strlen(transcript);
    char *mine = malloc(total + 1);
    if (!mine)
        abort();
    size_t n = 0;
    bool labelled = false, caller = false;
    for (const char *p = transcript; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        bool is_caller;
        if (line_label(p, len, &is_caller)) {
            labelled = true;
            caller = is_caller;
        }
        if (caller) { /* a caller's line and its unlabelled continuations */
            memcpy(mine + n, p, len);
            n += len;
            mine[n++] = '\n';
        }
        p = eol ? eol + 1 : p + len;
    }
    char *norm = labelled ? normalize(mine, n) : normalize(transcript, total);
    free(mine);
    return norm;
}

/* positive / negative / neutral from a label's wording, or NULL when it says nothing we know. */
static const char *polarity_of_label(const char *label)
{
    char *norm = normalize(label, strlen(label));
    const char *p = NULL;
    if (norm_has(norm, "negative") || norm_has(norm, "very negative") || norm_has(norm, "frustrated") || norm_has(norm, "angry"))
        p = "negative";
    else if (norm_has(norm, "positive") || norm_has(norm, "satisfied") || norm_has(norm, "happy"))
        p = "positive";
    else if (norm_has(norm, "neutral") || norm_has(norm, "mixed"))
        p = "neutral";
    free(norm);
    return p;
}

static const char *polarity_of_score(double s)
{
    return s >= 0.6 ? "positive" : s <= 0.4 ? "negative" : "neutral";
}

static void sentiment(const analytics_input *in, const char *said, analytics_result *out, const char **polarity)
{
    if (in->sentiment || in->has_sentiment_score) {
        out->sentiment_source = "vapi";
        out->sentiment_label = in->sentiment;
        out->has_sentiment_score = in->has_sentiment_score;
        out->sentiment_score = in->sentiment_score;
        *polarity = in->sentiment ? polarity_of_label(in->sentiment) : NULL;
        if (!*polarity && in->has_sentiment_score)
            *polarity = polarity_of_score(in->sentiment_score);
        if (!*polarity)
            *polarity = "neutral";
    } else {
        double s = 0.5 + 0.1 * count_cues(said, POSITIVE_CUES) - 0.1 * count_cues(said, NEGATIVE_CUES);
        s = s < 0 ? 0 : s > 1 ? 1 : s;
        out->sentiment_source = "inferred";
        out->has_sentiment_score = true;
        out->sentiment_score = s;
        *polarity = polarity_of_score(s);
        out->sentiment_label = *polarity;
    }
    if (in->sentiment_urgency)
        out->sentiment_urgency = in->sentiment_urgency;
    else if (count_cues(said, URGENT_CUES))
        out->sentiment_urgency = "high";
    else if (count_cues(said, SOON_CUES))
        out->sentiment_urgency = "medium";
    else
        out->sentiment_urgency = "low";
}

/* high / medium / low from an urgency as Vapi words it. */
static const char *urgency_level(const char *urgency)
{
    char *norm = normalize(urgency, strlen(urgency));
    const char *u = norm_has(norm, "high") || norm_has(norm, "urgent") || norm_has(norm, "critical") || norm_has(norm, "emergency")
                        ? "high"
                    : norm_has(norm, "medium") || norm_has(norm, "moderate") ? "medium"
                                                                             : "low";
    free(norm);
    return u;
}

static void financial_value(const analytics_input *in, const char *everything, analytics_result *out)
{
    for (size_t i = 0; i < in->nservices; i++) {
        const analytics_service *s = &in->services[i];
        if (!s->has_price || (out->has_financial_value && s->price <= out->financial_value))
            continue;
        bool named = s->name && norm_has_keyword(everything, s->name);
        for (size_t k = 0; !named && k < s->nkeywords; k++)
            named = norm_has_keyword(everything, s->keywords[k]);
        if (named) {
            out->has_financial_value = true;
            out->financial_value = s->price;
            out->matched_service = s->name;
        }
    }
}

static void reason(cJSON *reasons, int *score, const char *rule, int points)
{
    cJSON *r = cJSON_CreateObject();
    if (!r || !cJSON_AddStringToObject(r, "rule", rule) || !cJSON_AddNumberToObject(r, "points", points))
        abort();
    cJSON_AddItemToArray(reasons, r);
    *score += points;
}

const char *analytics_tier(int score)
{
    return score >= ANALYTICS_HOT_MIN ? "hot" : score >= ANALYTICS_WARM_MIN ? "warm" : "cold";
}

void analytics_compute(const analytics_input *in, analytics_result *out)
{
    memset(out, 0, sizeof *out);
    char *said = caller_words(in->transcript);
    size_t tlen = in->transcript ? strlen(in->transcript) : 0, slen = in->summary ? strlen(in->summary) : 0;
    char *both = malloc(tlen + slen + 2);
    if (!both)
        abort();
    memcpy(both, in->transcript ? in->transcript : "", tlen);
    both[tlen] = '\n';
    memcpy(both + tlen + 1, in->summary ? in->summary : "", slen);
    char *everything = normalize(both, tlen + slen + 1);
    free(both);

    const char *polarity;
    sentiment(in, said, out, &polarity);
    out->booking_confirmed = in->booked;
    financial_value(in, everything, out);
    out->recording_status = in->recording_url && *in->recording_url ? "completed" : NULL;

    cJSON *reasons = cJSON_CreateArray();
    if (!reasons)
        abort();
    int score = 0;
    reason(reasons, &score, "base", 50);
    if (in->booked)
        reason(reasons, &score, "booked", ADD_BOOKED);
    if (count_cues(said, BOOKING_CUES))
        reason(reasons, &score, "booking intent", ADD_BOOKING_INTENT);
    if (count_cues(said, PRICE_CUES))
        reason(reasons, &score, "price intent", ADD_PRICE_INTENT);
    if (out->has_financial_value)
        reason(reasons, &score, "service matched", ADD_SERVICE_MATCHED);
    if (strcmp(polarity, "positive") == 0)
        reason(reasons, &score, "positive sentiment", ADD_POSITIVE);
    else if (strcmp(polarity, "negative") == 0)
        reason(reasons, &score, "negative sentiment", ADD_NEGATIVE);
    const char *urgency = urgency_level(out->sentiment_urgency);
    if (strcmp(urgency, "high") == 0)
        reason(reasons, &score, "high urgency", ADD_URGENCY_HIGH);
    else if (strcmp(urgency, "medium") == 0)
        reason(reasons, &score, "medium urgency", ADD_URGENCY_MEDIUM);
    bool not_interested = count_cues(said, NOT_INTERESTED_CUES) > 0;
    if (not_interested)
        reason(reasons, &score, "not interested", ADD_NOT_INTERESTED);
    if (!in->booked && count_cues(said, CANCEL_CUES))
        reason(reasons, &score, "cancellation", ADD_CANCELLATION);
    out->lead_score = score < 0 ? 0 : score > 100 ? 100 : score;
    out->lead_tier = analytics_tier(out->lead_score);
    out->lead_status = in->booked ? "booked" : not_interested ? "lost" : "contacted";
    out->reasons_json = cJSON_PrintUnformatted(reasons);
    if (!out->reasons_json)
        abort();
    cJSON_Delete(reasons);
    free(said);
    free(everything);
}

void analytics_result_free(analytics_result *r)
{
    if (!r)
        return;
    free(r->reasons_json);
    memset(r, 0, sizeof *r);
}
