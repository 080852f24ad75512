/*
 * Unit tests for services/credential-vault/oauth_state.c: a state names one
 * org, cannot be altered, expires after 10 minutes, and survives a key
 * rotation; anything else is refused without a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oauth_state.h"

#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define ORG_1 "11111111-1111-4111-8111-111111111111"
#define ORG_2 "22222222-2222-4222-8222-222222222222"
#define NOW   1767225600

static keyring ring(const char *current, const char *previous)
{
    keyring k;
    const char *why;
    assert_int_equal(keyring_parse(current, previous, &k, &why), 0);
    return k;
}

static oauth_state_status check(const keyring *k, const char *state, int64_t now, char org[37])
{
    int64_t exp;
    uint8_t mac[VX_SHA256_LEN];
    return oauth_state_check(k, state, now, org, &exp, mac);
}

static void test_a_state_names_its_org(void **state)
{
    keyring k = ring(KEY_A, NULL);
    char *s = oauth_state_make(&k, ORG_1, NOW);
    char org[37];
    assert_int_equal(check(&k, s, NOW, org), OAUTH_STATE_OK);
    assert_string_equal(org, ORG_1);
    assert_int_equal(check(&k, s, NOW + OAUTH_STATE_TTL_S, org), OAUTH_STATE_OK);
    assert_int_equal(check(&k, s, NOW + OAUTH_STATE_TTL_S + 1, org), OAUTH_STATE_EXPIRED);
    /* Two states for the same org differ (a nonce each). */
    char *t = oauth_state_make(&k, ORG_1, NOW);
    assert_string_not_equal(s, t);
    free(s);
    free(t);
}

static void test_altered_states_are_refused(void **state)
{
    keyring k = ring(KEY_A, NULL), other = ring(KEY_B, NULL);
    char *s = oauth_state_make(&k, ORG_1, NOW);
    char org[37];
    char *swapped = strdup(s);
    memcpy(swapped + 3, ORG_2, 36);
    assert_int_equal(check(&k, swapped, NOW, org), OAUTH_STATE_INVALID);
    char *later = strdup(s);
    later[3 + 36 + 1] = later[3 + 36 + 1] == '9' ? '8' : '9'; /* the expiry's first digit */
    assert_int_equal(check(&k, later, NOW, org), OAUTH_STATE_INVALID);
    assert_int_equal(check(&other, s, NOW, org), OAUTH_STATE_INVALID);
    const char *junk[] = {"",
                          "v1",
                          "v1.",
                          "v2." ORG_1 ".1.AA.AA",
                          "v1." ORG_1 ".x.AA.AA",
                          "v1." ORG_1 ".1.AA",
                          "v1.not-a-uuid-at-all-but-36-chars-long.1.AA.AA",
                          "v1." ORG_1 ".1.AA.AA.AA",
                          "v1." ORG_1 ".99999999999999.AA.AA"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        assert_int_equal(check(&k, junk[i], NOW, org), OAUTH_STATE_INVALID);
    assert_int_equal(check(&k, NULL, NOW, org), OAUTH_STATE_INVALID);
    free(swapped);
    free(later);
    free(s);
}

static void test_states_survive_a_rotation(void **state)
{
    keyring old = ring(KEY_A, NULL), rotating = ring(KEY_B, KEY_A), after = ring(KEY_B, NULL);
    char *s = oauth_state_make(&old, ORG_1, NOW);
    char org[37];
    assert_int_equal(check(&rotating, s, NOW, org), OAUTH_STATE_OK);
    assert_int_equal(check(&after, s, NOW, org), OAUTH_STATE_INVALID);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_state_names_its_org),
        cmocka_unit_test(test_altered_states_are_refused),
        cmocka_unit_test(test_states_survive_a_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
