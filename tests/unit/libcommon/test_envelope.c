/*
 * test_envelope: the gateway's envelope signatures (libcommon/vx_envelope) —
 * keys, derivation per service, signing and verifying (replays: test_replay.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "vx_crypto.h"
#include "vx_envelope.h"

static const char MASTER_HEX[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static void master(uint8_t out[VX_ENVELOPE_KEY_LEN])
{
    assert_int_equal(vx_envelope_key_parse(MASTER_HEX, out), 0);
}

static void test_key_parse(void **state)
{
    uint8_t key[VX_ENVELOPE_KEY_LEN];
    assert_int_equal(vx_envelope_key_parse(MASTER_HEX, key), 0);
    assert_int_equal(key[0], 0x00);
    assert_int_equal(key[31], 0x1f);
    assert_int_equal(vx_envelope_key_parse(NULL, key), -1);
    assert_int_equal(vx_envelope_key_parse("", key), -1);
    assert_int_equal(vx_envelope_key_parse("00ff", key), -1); /* too short */
    char long_hex[sizeof(MASTER_HEX) + 2];
    snprintf(long_hex, sizeof(long_hex), "%s00", MASTER_HEX);
    assert_int_equal(vx_envelope_key_parse(long_hex, key), -1); /* too long */
    char bad[sizeof(MASTER_HEX)];
    memcpy(bad, MASTER_HEX, sizeof(bad));
    bad[10] = 'g';
    assert_int_equal(vx_envelope_key_parse(bad, key), -1); /* not hex */
}

static void test_service_keys_differ_and_are_stable(void **state)
{
    uint8_t m[VX_ENVELOPE_KEY_LEN], tools[32], tools_again[32], dashboard[32];
    master(m);
    vx_envelope_service_key(m, "tools", tools);
    vx_envelope_service_key(m, "tools", tools_again);
    vx_envelope_service_key(m, "dashboard", dashboard);
    assert_memory_equal(tools, tools_again, 32);
    assert_memory_not_equal(tools, dashboard, 32);
    assert_memory_not_equal(tools, m, 32);
    /* The derivation is the documented one, so operators can compute it too. */
    uint8_t expected[32];
    vx_hmac_sha256(m, sizeof(m), "voxanne-envelope-key-v1:tools", strlen("voxanne-envelope-key-v1:tools"), expected);
    assert_memory_equal(tools, expected, 32);
}

static void test_subject_service(void **state)
{
    char out[32];
    assert_int_equal(vx_envelope_subject_service("rpc.tools.tool", out, sizeof(out)), 0);
    assert_string_equal(out, "tools");
    assert_int_equal(vx_envelope_subject_service("rpc.dashboard.calls.list", out, sizeof(out)), 0);
    assert_string_equal(out, "dashboard");
    assert_int_equal(vx_envelope_subject_service("rpc.tools", out, sizeof(out)), -1);
    assert_int_equal(vx_envelope_subject_service("rpc.tools.", out, sizeof(out)), -1);
    assert_int_equal(vx_envelope_subject_service("rpc..x", out, sizeof(out)), -1);
    assert_int_equal(vx_envelope_subject_service("vapi.msg.x", out, sizeof(out)), -1);
    assert_int_equal(vx_envelope_subject_service("gateway.health", out, sizeof(out)), -1);
    assert_int_equal(vx_envelope_subject_service(NULL, out, sizeof(out)), -1);
    assert_int_equal(vx_envelope_subject_service("rpc.averyveryverylongservicename.x", out, 8), -1);
}

static void test_program_service(void **state)
{
    assert_string_equal(vx_envelope_program_service("tool-router"), "tools");
    assert_string_equal(vx_envelope_program_service("dashboard-api"), "dashboard");
    assert_string_equal(vx_envelope_program_service("webhook-ingest"), "ingest");
    assert_null(vx_envelope_program_service("gateway"));
    assert_null(vx_envelope_program_service(NULL));
}

static void test_sign_and_verify(void **state)
{
    uint8_t m[VX_ENVELOPE_KEY_LEN], key[32], other[32], mac[32];
    master(m);
    vx_envelope_service_key(m, "tools", key);
    vx_envelope_service_key(m, "dashboard", other);
    const char payload[] = "\x0a\x05hello\x12\x0erpc.tools.tool";
    char sig[VX_ENVELOPE_SIG_SIZE];
    vx_envelope_sign(key, "rpc.tools.tool", payload, sizeof(payload) - 1, sig);
    assert_int_equal(strlen(sig), VX_ENVELOPE_SIG_SIZE - 1);
    assert_memory_equal(sig, "v1=", 3);
    assert_true(vx_envelope_verify(key, "rpc.tools.tool", payload, sizeof(payload) - 1, sig, mac));

    /* Another key, another subject, another payload, a cut payload. */
    assert_false(vx_envelope_verify(other, "rpc.tools.tool", payload, sizeof(payload) - 1, sig, mac));
    assert_false(vx_envelope_verify(key, "rpc.tools.webhook", payload, sizeof(payload) - 1, sig, mac));
    char changed[sizeof(payload)];
    memcpy(changed, payload, sizeof(payload));
    changed[3] ^= 0x20;
    assert_false(vx_envelope_verify(key, "rpc.tools.tool", changed, sizeof(payload) - 1, sig, mac));
    assert_false(vx_envelope_verify(key, "rpc.tools.tool", payload, sizeof(payload) - 2, sig, mac));
    /* The subject and payload are kept apart: moving a byte across the boundary changes the MAC. */
    assert_false(vx_envelope_verify(key, "rpc.tools.tool\n", payload + 0, sizeof(payload) - 1, sig, mac));

    /* Malformed signatures. */
    assert_false(vx_envelope_verify(key, "rpc.tools.tool", payload, sizeof(payload) - 1, NULL, mac));
    assert_false(vx_envelope_verify(key, "rpc.tools.tool", payload, sizeof(payload) - 1, "", mac));
    assert_false(vx_envelope_verify(key, "rpc.tools.tool", payload, sizeof(payload) - 1, "v1=", mac));
    char upper[VX_ENVELOPE_SIG_SIZE];
    memcpy(upper, sig, sizeof(upper));
    upper[0] = 'V';
    assert_false(vx_envelope_verify(key, "rpc.tools.tool", payload, sizeof(payload) - 1, upper, mac));
    char longer[VX_ENVELOPE_SIG_SIZE + 2];
    snprintf(longer, sizeof(longer), "%s0", sig);
    assert_false(vx_envelope_verify(key, "rpc.tools.tool", payload, sizeof(payload) - 1, longer, mac));
    char flipped[VX_ENVELOPE_SIG_SIZE];
    memcpy(flipped, sig, sizeof(flipped));
    flipped[10] = flipped[10] == '0' ? '1' : '0';
    assert_false(vx_envelope_verify(key, "rpc.tools.tool", payload, sizeof(payload) - 1, flipped, mac));

    /* An empty payload signs too. */
    vx_envelope_sign(key, "rpc.tools.tool", NULL, 0, sig);
    assert_true(vx_envelope_verify(key, "rpc.tools.tool", NULL, 0, sig, mac));
}

static void test_signer(void **state)
{
    uint8_t m[VX_ENVELOPE_KEY_LEN], tools[32], mac[32];
    master(m);
    vx_envelope_service_key(m, "tools", tools);
    const char *services[] = {"dashboard", "tools", "tools"};
    vx_envelope_signer *s = vx_envelope_signer_create(m, services, 3);
    assert_non_null(s);
    char sig[VX_ENVELOPE_SIG_SIZE];
    assert_int_equal(vx_envelope_signer_sign(s, "rpc.tools.tool", "x", 1, sig), 0);
    assert_true(vx_envelope_verify(tools, "rpc.tools.tool", "x", 1, sig, mac));
    /* No key for a service it was not made for (the vault), nor for a non-rpc subject. */
    assert_int_equal(vx_envelope_signer_sign(s, "rpc.vault.get", "x", 1, sig), -1);
    assert_int_equal(vx_envelope_signer_sign(s, "vapi.msg.x", "x", 1, sig), -1);
    vx_envelope_signer_destroy(s);

    /* The gateway's: every service of the route table. */
    s = vx_envelope_signer_for_routes(m);
    assert_non_null(s);
    assert_int_equal(vx_envelope_signer_sign(s, "rpc.tools.webhook", "x", 1, sig), 0);
    assert_int_equal(vx_envelope_signer_sign(s, "rpc.dashboard.calls.list", "x", 1, sig), 0);
    vx_envelope_signer_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_parse),       cmocka_unit_test(test_service_keys_differ_and_are_stable),
        cmocka_unit_test(test_subject_service), cmocka_unit_test(test_program_service),
        cmocka_unit_test(test_sign_and_verify), cmocka_unit_test(test_signer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
