/*
 * libFuzzer harness for voxctl's env-file line parser: arbitrary bytes as one
 * line of `.run/env`. The parser must never crash, must keep its contract
 * (which out-parameters are set for which answer), must only ever return a
 * name a shell would accept, and what it reads must survive a round trip: a
 * value written back as NAME='value' parses to the same value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool shell_name(const char *s)
{
    if (s == NULL || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size NUL-terminated copy, so any over-read is reported. */
    char *line = malloc(size + 1);
    if (line == NULL)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    char *name = (char *)1, *value = (char *)1;
    vxctl_env_file_line kind = vxctl_env_file_parse_line(line, &name, &value);
    switch (kind) {
    case VXCTL_ENV_FILE_SKIP:
        if (name != NULL || value != NULL)
            abort();
        break;
    case VXCTL_ENV_FILE_BAD:
        if (value != NULL || (name != NULL && !shell_name(name)))
            abort();
        break;
    case VXCTL_ENV_FILE_ASSIGN: {
        if (!shell_name(name) || value == NULL)
            abort();
        if (strchr(value, '\'') == NULL && strchr(value, '\n') == NULL) {
            size_t n = strlen(name) + strlen(value) + 4;
            char *again = malloc(n);
            if (again == NULL)
                abort();
            snprintf(again, n, "%s='%s'", name, value);
            char *name2 = NULL, *value2 = NULL;
            if (vxctl_env_file_parse_line(again, &name2, &value2) != VXCTL_ENV_FILE_ASSIGN || strcmp(name, name2) != 0 ||
                strcmp(value, value2) != 0)
                abort();
            free(name2);
            free(value2);
            free(again);
        }
        break;
    }
    default:
        abort();
    }
    free(name);
    free(value);
    free(line);
    return 0;
}
