/*
 * The drift test: every tool reads exactly the arguments its schema at Vapi
 * declares (libcommon/vx_tool_catalog.c) — no argument read that the model
 * is never told about, no argument in the schema that tool-router never
 * reads.
 *
 * How: behaviourally. Every read of an argument goes through tool_arg
 * (services/tool-router/tool.h), which tells tool_arg_observe's observer
 * the tool's and the argument's names. The test runs every tool on real
 * PostgreSQL, in-process through dispatch_request like any Vapi message
 * (calendar_test.h), along the paths that read all of its arguments — the
 * tools read the database before some arguments (the org's time zone comes
 * before a local time can be read), so this needs the database — records
 * what each one asked for, absent or not, and compares that set with the
 * tool's properties in the catalog. Each run checks its answer, so a
 * scenario that stopped early fails as such, not as a missing argument.
 *
 * Behaviour alone cannot see a read that goes around tool_arg, so the test
 * also reads tool-router's sources (tests run from the repository's root)
 * and fails when any file but the framework's (tool.c, which reads; and
 * dispatch.c and vapi_message.c, which hand the arguments over) touches a
 * tool's arguments object (`->args`).
 *
 * Proves: for every tool of the catalog, the arguments read == the schema's
 * properties; nothing reads arguments behind tool_arg's back.
 */
#include "calendar_test.h"

#include <ftw.h>

#include "tool.h"

#define CALLER "+15550107000"

/* ------------------------------------------------------------ the recording */

static struct {
    char tool[64], arg[64];
} READS[128];
static size_t NREADS;

static void record(const char *tool_name, const char *arg_name)
{
    for (size_t i = 0; i < NREADS; i++)
        if (strcmp(READS[i].tool, tool_name) == 0 && strcmp(READS[i].arg, arg_name) == 0)
            return;
    VT_REQUIRE(NREADS < sizeof(READS) / sizeof(READS[0]), "too many argument reads to record");
    snprintf(READS[NREADS].tool, sizeof(READS[NREADS].tool), "%s", tool_name);
    snprintf(READS[NREADS].arg, sizeof(READS[NREADS].arg), "%s", arg_name);
    NREADS++;
}

static bool was_read(const char *tool_name, const char *arg_name)
{
    for (size_t i = 0; i < NREADS; i++)
        if (strcmp(READS[i].tool, tool_name) == 0 && strcmp(READS[i].arg, arg_name) == 0)
            return true;
    return false;
}

static int setup(void **state)
{
    tr_open_in_process("test_tool_schemas", false);
    tool_arg_observe(record);
    return 0;
}

static int teardown(void **state)
{
    tool_arg_observe(NULL);
    tr_close();
    return 0;
}

/* ------------------------------------------------------------ the runs */

/* Runs tool with args from CALLER; the answer must contain want (NULL: anything but the apology). */
static void run(const char *tool, const char *org, const char *args, const char *want)
{
    cal_said s = cal_run(tool, org, args, CALLER);
    if (want != NULL && strstr(s.text, want) == NULL)
        fail_msg("%s %s: answer \"%s\" lacks \"%s\" (the run did not take the path that reads every argument)", tool, args, s.text,
                 want);
    free(s.text);
}

/* Every tool, along the paths that read all of its arguments. */
static void run_every_tool(void)
{
    char org[37], d[11], args[400];
    new_org(org, NY, 30, 0, 60);
    every_day(org);
    local_date(NY, 7, d);

    run(VX_TOOL_LOOKUP_CALLER, org, "{\"searchKey\":\"Ida Read\",\"searchType\":\"name\"}", "couldn't find");

    snprintf(args, sizeof(args), "{\"date\":\"%s\",\"service\":\"Cleaning\"}", d);
    run(VX_TOOL_CHECK_AVAILABILITY, org, args, "9:00 AM");

    /* No service: read (and found absent) before the email, which an unknown service would never reach. */
    snprintf(args, sizeof(args), "{\"name\":\"Ida Read\",\"phone\":\"%s\",\"email\":\"ida@read.example\",\"start\":\"%sT10:00\"}",
             CALLER, d);
    run(VX_TOOL_BOOK_CLINIC_APPOINTMENT, org, args, "You're booked");

    /* By phone and current start (an id would skip them); the id is read, and found absent, first. */
    snprintf(args, sizeof(args), "{\"phone\":\"%s\",\"currentStart\":\"%sT10:00\",\"newStart\":\"%sT11:00\"}", CALLER, d, d);
    run(VX_TOOL_RESCHEDULE_APPOINTMENT, org, args, "Done: your");

    snprintf(args, sizeof(args), "{\"phone\":\"%s\",\"currentStart\":\"%sT11:00\"}", CALLER, d);
    run(VX_TOOL_CANCEL_APPOINTMENT, org, args, "is cancelled");

    run(VX_TOOL_TRANSFER_CALL, org, "{\"summary\":\"Wants to talk about a bill.\",\"department\":\"billing\"}",
        TR.config.say_no_transfer);

    /* No rag-search here: the question is read, then the fallback said. */
    run(VX_TOOL_GET_KNOWLEDGE_BASE, org, "{\"query\":\"where can I park\"}", TR.config.say_no_knowledge);
}

/* For every tool of the catalog: what it read == its schema's properties. */
static void test_every_tool_reads_exactly_its_schema(void **state)
{
    NREADS = 0;
    run_every_tool();
    vx_buf problems = VX_BUF_INIT;
    for (size_t i = 0; i < vx_tool_catalog_count(); i++) {
        const vx_tool_def *t = vx_tool_catalog_at(i);
        for (size_t k = 0; k < t->nargs; k++)
            if (!was_read(t->name, t->args[k].name))
                vx_buf_printf(&problems, "\n  %s: \"%s\" is in its schema but tool-router never reads it", t->name,
                              t->args[k].name);
    }
    for (size_t i = 0; i < NREADS; i++) {
        const vx_tool_def *t = vx_tool_catalog_find(READS[i].tool);
        if (t == NULL)
            vx_buf_printf(&problems, "\n  %s: not a tool of the catalog, but it read \"%s\"", READS[i].tool, READS[i].arg);
        else if (vx_tool_catalog_arg_find(t, READS[i].arg) == NULL)
            vx_buf_printf(&problems, "\n  %s: reads \"%s\", which its schema at Vapi lacks", READS[i].tool, READS[i].arg);
    }
    bool agree = problems.len == 0;
    if (!agree)
        print_error("tool-router and the tool catalog (libcommon/vx_tool_catalog.c) disagree:%s\n", problems.data);
    vx_buf_free(&problems);
    assert_true(agree);
    /* Every tool ran and read something: the comparison above covered them all. */
    for (size_t i = 0; i < vx_tool_catalog_count(); i++) {
        const vx_tool_def *t = vx_tool_catalog_at(i);
        bool any = false;
        for (size_t k = 0; k < NREADS; k++)
            any = any || strcmp(READS[k].tool, t->name) == 0;
        if (!any)
            fail_msg("%s never ran", t->name);
    }
}

/* ------------------------------------------------------------ nothing reads around tool_arg */

/* The files that may touch a tool's arguments object: the one reader and the two that hand it over. */
static const char *const FRAMEWORK[] = {"services/tool-router/tool.c", "services/tool-router/dispatch.c",
                                        "services/tool-router/vapi_message.c"};
static vx_buf BYPASSES;
static int SCANNED;

static int scan_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    size_t n = strlen(path);
    if (type != FTW_F || n < 2 || strcmp(path + n - 2, ".c") != 0)
        return 0;
    for (size_t i = 0; i < sizeof(FRAMEWORK) / sizeof(FRAMEWORK[0]); i++)
        if (strcmp(path, FRAMEWORK[i]) == 0)
            return 0;
    FILE *f = fopen(path, "r");
    VT_REQUIRE(f != NULL, "cannot read a tool-router source");
    SCANNED++;
    char line[1024];
    for (int no = 1; fgets(line, sizeof(line), f) != NULL; no++)
        if (strstr(line, "->args") != NULL)
            vx_buf_printf(&BYPASSES, "\n  %s:%d: %s", path, no, line);
    fclose(f);
    return 0;
}

static void test_nothing_reads_arguments_around_tool_arg(void **state)
{
    vx_buf_reset(&BYPASSES);
    SCANNED = 0;
    VT_REQUIRE(nftw("services/tool-router", scan_file, 16, FTW_PHYS) == 0, "tests run from the repository's root");
    assert_true(SCANNED > 20); /* the tools, calendar/, messages/, … were all read */
    bool clean = BYPASSES.len == 0;
    if (!clean)
        print_error("read arguments through tool_arg (tool.h), or the drift test cannot see them:%s\n", BYPASSES.data);
    vx_buf_free(&BYPASSES);
    assert_true(clean);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_tool_reads_exactly_its_schema),
        cmocka_unit_test(test_nothing_reads_arguments_around_tool_arg),
    };
    return cmocka_run_group_tests_name("tool_schemas", tests, setup, teardown);
}
