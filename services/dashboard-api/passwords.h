/*
 * passwords: hashing and checking sign-in passwords with libxcrypt's
 * yescrypt ("$y$", the default of Debian's own /etc/shadow).
 *
 * Cost: yescrypt's cost factor 5 (libxcrypt's default) takes ~18 ms and
 * 16 MiB here, per hash; AUTH_PASSWORD_COST chooses another (1..11). A hash
 * keeps its own setting, so hashes made at an older cost still verify.
 *
 * No enumeration by timing: a sign-in for an email nobody has is checked
 * against a hash of a random password made at the same cost
 * (passwords_check_dummy), so it takes as long as a wrong password.
 */
#ifndef DASHBOARD_PASSWORDS_H
#define DASHBOARD_PASSWORDS_H

#include <stdbool.h>
#include <stddef.h>

/* libxcrypt's longest hash string. */
#define PASSWORDS_HASH_MAX 384

#define PASSWORDS_DEFAULT_COST 5

/* Sets the cost of new hashes and makes the dummy hash (before any worker
 * starts). Returns 0, or -1 (logged) when libcrypt cannot hash. */
int passwords_init(unsigned long cost);

/* Hashes password (len bytes; must hold no NUL) with a fresh random salt
 * into out. Returns 0, or -1 (logged) on libcrypt's failure. */
int passwords_hash(const char *password, size_t len, char out[PASSWORDS_HASH_MAX]);

/* Whether password matches hash (a string from passwords_hash). Compares in
 * constant time; any malformed hash is a mismatch. */
bool passwords_check(const char *password, size_t len, const char *hash);

/* Spends the time of passwords_check on a hash of nothing anyone knows;
 * always false. */
bool passwords_check_dummy(const char *password, size_t len);

#endif
