/*
 * Unit tests for services/credential-vault/keyring.c: keys are parsed
 * strictly, a key id names a key without revealing it, and a sealed
 * credential opens only for its own org, provider and key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "keyring.h"

#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define ORG_1 "11111111-1111-4111-8111-111111111111"
#define ORG_2 "22222222-2222-4222-8222-222222222222"
#define PLAIN "{\"authToken\":\"secret\"}"

static void test_keys_are_parsed_strictly(void **state)
{
    keyring k;
    const char *why = NULL;
    assert_int_equal(keyring_parse(KEY_A, NULL, &k, &why), 0);
    assert_false(k.has_previous);
    assert_int_equal(keyring_parse(KEY_A, "", &k, &why), 0);
    assert_int_equal(keyring_parse(KEY_B, KEY_A, &k, &why), 0);
    assert_true(k.has_previous);
    assert_int_equal(keyring_parse(NULL, NULL, &k, &why), -1);
    assert_non_null(strstr(why, "not set"));
    assert_int_equal(keyring_parse("", NULL, &k, &why), -1);
    assert_int_equal(keyring_parse("abc", NULL, &k, &why), -1);
    assert_non_null(strstr(why, "64 hex digits"));
    assert_int_equal(keyring_parse(KEY_A "00", NULL, &k, &why), -1);
    assert_int_equal(keyring_parse("g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", NULL, &k, &why), -1);
    assert_int_equal(keyring_parse(KEY_A, "short", &k, &why), -1);
    assert_non_null(strstr(why, "ENCRYPTION_KEY_PREVIOUS"));
    assert_int_equal(keyring_parse(KEY_A, KEY_A, &k, &why), -1);
    assert_non_null(strstr(why, "same key"));
}

static void test_key_ids_name_keys(void **state)
{
    keyring a, b;
    const char *why;
    assert_int_equal(keyring_parse(KEY_A, NULL, &a, &why), 0);
    assert_int_equal(keyring_parse(KEY_B, NULL, &b, &why), 0);
    assert_int_equal(strlen(a.current.id), KEYRING_ID_LEN);
    assert_string_not_equal(a.current.id, b.current.id);
    /* Upper-case hex is the same key. */
    keyring upper;
    assert_int_equal(keyring_parse("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF", NULL, &upper, &why), 0);
    assert_string_equal(upper.current.id, a.current.id);
    /* The id is not a prefix of the key. */
    assert_null(strstr(KEY_A, a.current.id));
}

static void test_sealed_opens_only_for_its_org_provider_and_key(void **state)
{
    keyring k;
    const char *why;
    assert_int_equal(keyring_parse(KEY_A, NULL, &k, &why), 0);
    vx_buf sealed = VX_BUF_INIT;
    keyring_seal(&k, ORG_1, "twilio", (const uint8_t *)PLAIN, strlen(PLAIN), &sealed);
    assert_int_equal(sealed.len, strlen(PLAIN) + VX_AEAD_OVERHEAD);
    assert_null(memmem(sealed.data, sealed.len, "secret", 6));
    uint8_t *plain = NULL;
    size_t len = 0;
    assert_int_equal(keyring_open(&k, ORG_1, "twilio", k.current.id, (uint8_t *)sealed.data, sealed.len, &plain, &len), KEYRING_OK);
    assert_int_equal(len, strlen(PLAIN));
    assert_string_equal((char *)plain, PLAIN);
    free(plain);
    /* Another org, another provider, a relabelled key id, a flipped bit: nothing. */
    assert_int_equal(keyring_open(&k, ORG_2, "twilio", k.current.id, (uint8_t *)sealed.data, sealed.len, &plain, &len),
                     KEYRING_UNREADABLE);
    assert_null(plain);
    assert_int_equal(keyring_open(&k, ORG_1, "google_calendar", k.current.id, (uint8_t *)sealed.data, sealed.len, &plain, &len),
                     KEYRING_UNREADABLE);
    assert_int_equal(keyring_open(&k, ORG_1, "twilio", "0000000000000000", (uint8_t *)sealed.data, sealed.len, &plain, &len),
                     KEYRING_UNKNOWN_KEY);
    sealed.data[sealed.len - 1] ^= 1;
    assert_int_equal(keyring_open(&k, ORG_1, "twilio", k.current.id, (uint8_t *)sealed.data, sealed.len, &plain, &len),
                     KEYRING_UNREADABLE);
    assert_int_equal(keyring_open(&k, ORG_1, "twilio", k.current.id, (uint8_t *)sealed.data, 10, &plain, &len), KEYRING_UNREADABLE);
    vx_buf_free(&sealed);
}

static void test_the_previous_key_still_opens_during_rotation(void **state)
{
    keyring old, rotating, after;
    const char *why;
    assert_int_equal(keyring_parse(KEY_A, NULL, &old, &why), 0);
    assert_int_equal(keyring_parse(KEY_B, KEY_A, &rotating, &why), 0);
    assert_int_equal(keyring_parse(KEY_B, NULL, &after, &why), 0);
    vx_buf sealed = VX_BUF_INIT;
    keyring_seal(&old, ORG_1, "twilio", (const uint8_t *)PLAIN, strlen(PLAIN), &sealed);
    uint8_t *plain = NULL;
    size_t len = 0;
    assert_int_equal(keyring_open(&rotating, ORG_1, "twilio", old.current.id, (uint8_t *)sealed.data, sealed.len, &plain, &len),
                     KEYRING_OK);
    free(plain);
    assert_int_equal(keyring_open(&after, ORG_1, "twilio", old.current.id, (uint8_t *)sealed.data, sealed.len, &plain, &len),
                     KEYRING_UNKNOWN_KEY);
    /* State keys follow the keys. */
    uint8_t s1[32], s2[32];
    keyring_state_key(&old, s1);
    assert_true(keyring_previous_state_key(&rotating, s2));
    assert_memory_equal(s1, s2, 32);
    assert_false(keyring_previous_state_key(&after, s2));
    vx_buf_free(&sealed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_are_parsed_strictly),
        cmocka_unit_test(test_key_ids_name_keys),
        cmocka_unit_test(test_sealed_opens_only_for_its_org_provider_and_key),
        cmocka_unit_test(test_the_previous_key_still_opens_during_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
