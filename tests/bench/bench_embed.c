/*
 * bench_embed: what rag-search's built-in embedder (embed/use_lite.c, USE
 * lite) costs on one core — per query (a caller's short question, embedded
 * while the caller waits) and per chunk (~500 characters of a document,
 * embedded in the background), p50 and p99 in microseconds, one text per
 * call and, for chunks, 16 per call; the same with the portable kernels where
 * the AVX2 ones run; and what the loaded model takes in memory (its own count
 * and the process's resident growth) and how long it takes to load. Wall
 * time and the thread's CPU time are both printed: on a machine busy with
 * other work the second is what a call costs. The model
 * folder is RAG_MODEL_DIR, default the build's (build/models/use-lite-v1).
 * Prints figures; never fails on them.
 * Run by tests/bench/run.sh (`make bench`; BENCH_ONLY=embed runs it alone).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed/spm.h"
#include "embed/use_lite.h"
#include "vx_time.h"

static const char *const questions[] = {
    "Do you take walk-ins today?",
    "What time do you open on Saturday?",
    "I'd like to book a cleaning for next Tuesday morning.",
    "Can I reschedule my appointment with Dr. Patel?",
    "How much is a teeth whitening?",
    "Is there parking near the clinic?",
    "Do you accept Blue Cross insurance?",
    "My son has a fever, should I bring him in?",
    "I need to cancel my 3:30 appointment.",
    "Are you open on Christmas Eve?",
    "What's the address?",
    "How long does a check-up usually take?",
};

static const char *const paragraphs[] = {
    "Our clinic offers general dentistry, cosmetic treatments, orthodontics and emergency care. New patients are welcome, "
    "and we accept most major insurance plans including Delta Dental, Aetna, Cigna and MetLife. If you do not have "
    "insurance, ask about our membership plan, which covers two cleanings a year, all routine x-rays and a 20% discount on "
    "any other treatment, with no waiting period. Children under twelve are seen by Dr. Okafor, our pediatric dentist, on "
    "Tuesday and Thursday afternoons and on the first Saturday of each month.",
    "Cancellation policy: please give us at least 24 hours' notice if you need to cancel or reschedule. Appointments "
    "cancelled with less notice, or missed without notice, may be charged a $50 fee. We understand emergencies happen, so "
    "call the front desk as early as you can and we will do our best to find you another time that works for you and for "
    "your family. Late arrivals of more than fifteen minutes may have to be rebooked so that the patients after you are "
    "not kept waiting.",
    "Parking is free in the garage behind the building on Elm Street; take a ticket at the gate and bring it to reception "
    "to be validated. Street parking is metered until 6 pm on weekdays. The clinic is a five-minute walk from the Central "
    "Station bus stop (lines 12, 14 and 31), and there is a bike rack by the main entrance, next to the pharmacy door. "
    "The building has step-free access from the garage, a lift to every floor and an accessible restroom on the ground "
    "floor by the waiting room.",
    "After your extraction: bite gently on the gauze for 30 to 45 minutes. Do not rinse, spit or drink through a straw for "
    "24 hours. Eat soft foods and avoid hot drinks until the numbness wears off. Take ibuprofen 400 mg every 6 hours as "
    "needed for pain, unless your doctor told you otherwise. Call us if the bleeding does not stop or you get a fever. "
    "Brush your other teeth as usual from the next day, gently around the socket, and keep your follow-up visit in a week.",
};

#define N_Q (sizeof questions / sizeof *questions)
#define N_P (sizeof paragraphs / sizeof *paragraphs)

/* This thread's CPU time: what a call costs when the machine is busy too. */
static int64_t cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Makes `calls` calls of `batch` texts each (texts taken in turn, after three
 * warm-up calls) and prints p50/p99 per text. */
static void run(embedder *e, const char *label, const char *const *texts, size_t n, size_t batch, int calls)
{
    int64_t *us = calloc((size_t)calls, sizeof *us), *cpu = calloc((size_t)calls, sizeof *cpu);
    float *out = calloc(batch * USE_LITE_DIM, sizeof *out);
    const char **in = calloc(batch, sizeof *in);
    if (us == NULL || cpu == NULL || out == NULL || in == NULL)
        abort();
    char why[256];
    for (int i = -3; i < calls; i++) {
        for (size_t b = 0; b < batch; b++)
            in[b] = texts[((size_t)(i + 3) * batch + b) % n];
        int64_t start = vx_monotonic_us(), cpu_start = cpu_us();
        if (e->embed(e, in, batch, out, why, sizeof why) != EMBED_OK) {
            fprintf(stderr, "bench_embed: %s\n", why);
            exit(1);
        }
        if (i >= 0) {
            us[i] = vx_monotonic_us() - start;
            cpu[i] = cpu_us() - cpu_start;
        }
    }
    qsort(us, (size_t)calls, sizeof *us, cmp_i64);
    qsort(cpu, (size_t)calls, sizeof *cpu, cmp_i64);
    double b = (double)batch;
    printf("  %-30s p50 %7.0f us  p99 %7.0f us  (CPU time p50 %7.0f us  p99 %7.0f us; %d calls)\n", label,
           (double)us[calls / 2] / b, (double)us[(calls * 99) / 100] / b, (double)cpu[calls / 2] / b,
           (double)cpu[(calls * 99) / 100] / b, calls);
    free(cpu);
    free(in);
    free(out);
    free(us);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * 4;
}

static double mean_tokens(const spm *s, const char *const *texts, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += spm_encode(s, texts[i], strlen(texts[i]), NULL, 0);
    return (double)total / (double)n;
}

int main(void)
{
    const char *dir = getenv("RAG_MODEL_DIR");
    if (dir == NULL || dir[0] == '\0')
        dir = USE_LITE_TEST_DIR;
    char why[512] = "", path[4096];
    long rss_before = rss_kib();
    int64_t start = vx_monotonic_us();
    embedder *e = use_lite_open(dir, why, sizeof why);
    int64_t load_us = vx_monotonic_us() - start;
    if (e == NULL) {
        fprintf(stderr, "bench_embed: %s\n", why);
        return 1;
    }
    long rss_after = rss_kib();
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    spm *s = spm_load(path, why, sizeof why);
    if (s == NULL) {
        fprintf(stderr, "bench_embed: %s\n", why);
        return 1;
    }
    size_t chunk_chars = 0;
    for (size_t i = 0; i < N_P; i++)
        chunk_chars += strlen(paragraphs[i]);
    const char *kernels = use_lite_kernels(e);
    printf("embed: rag-search's built-in embedder (%s, %d-d), one core, %s kernels\n", e->model, e->dim, kernels);
    printf("  model: %.1f MiB held (the process grew %.1f MiB), loaded in %.0f ms\n", (double)use_lite_memory(e) / (1 << 20),
           (double)(rss_after - rss_before) / 1024, (double)load_us / 1000);
    printf("  a query is a short question (%.1f tokens on average), a chunk ~%zu characters (%.1f tokens)\n",
           mean_tokens(s, questions, N_Q), chunk_chars / N_P, mean_tokens(s, paragraphs, N_P));
    run(e, "per query (one per call)", questions, N_Q, 1, 400);
    run(e, "per chunk (one per call)", paragraphs, N_P, 1, 100);
    run(e, "per chunk (16 per call)", paragraphs, N_P, 16, 10);
    /* The other kernels this CPU runs, for comparison. */
    for (int k = KERNELS_INT16; k >= KERNELS_PORTABLE; k--) {
        kernels_kind kind = (kernels_kind)k;
        if (strcmp(kernels_name(kind), kernels) == 0 || use_lite_set_kernels(e, kind) == NULL)
            continue;
        char label[64];
        snprintf(label, sizeof label, "per query, %s kernels", kernels_name(kind));
        run(e, label, questions, N_Q, 1, 200);
        snprintf(label, sizeof label, "per chunk, %s kernels", kernels_name(kind));
        run(e, label, paragraphs, N_P, 1, 40);
    }
    spm_destroy(s);
    embedder_destroy(e);
    return 0;
}
