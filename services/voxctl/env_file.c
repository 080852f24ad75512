/*
 * env_file: reading the state folder's env file without a shell (see
 * env_file.h for what is read when).
 *
 * The parser accepts the subset of shell assignment syntax that
 * deploy/local/infra.sh and run.sh write (printf %q output, plain quoted
 * values) and refuses everything whose value a shell would compute: what
 * voxctl reads is then exactly what a shell sourcing the file would get.
 */
#include "env_file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Characters that end or change a bare shell word, or start an expansion. */
static bool is_special(char c)
{
    return c != '\0' && strchr("$`;&|<>()", c) != NULL;
}

/* Parses the value starting at *pp into out (room for strlen(*pp) + 1 bytes).
 * Returns false when the value is not a plain one; on success *pp points
 * just after it. */
static bool parse_value(const char **pp, char *out)
{
    const char *p = *pp;
    size_t n = 0;
    /* A leading ~ would be expanded to a home folder. */
    if (*p == '~')
        return false;
    while (*p != '\0' && !is_blank(*p)) {
        char c = *p++;
        if (c == '\'') {
            while (*p != '\0' && *p != '\'')
                out[n++] = *p++;
            if (*p != '\'')
                return false;
            p++;
        } else if (c == '"') {
            while (*p != '\0' && *p != '"') {
                if (*p == '$' || *p == '`')
                    return false;
                if (*p == '\\' && p[1] != '\0' && strchr("\"\\$`", p[1]) != NULL)
                    p++;
                out[n++] = *p++;
            }
            if (*p != '"')
                return false;
            p++;
        } else if (c == '\\') {
            if (*p == '\0')
                return false;
            out[n++] = *p++;
        } else if (is_special(c)) {
            return false;
        } else {
            out[n++] = c;
        }
    }
    out[n] = '\0';
    *pp = p;
    return true;
}

vxctl_env_file_line vxctl_env_file_parse_line(const char *line, char **name, char **value)
{
    *name = NULL;
    *value = NULL;
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    char *copy = strndup(line, len);
    if (copy == NULL)
        abort();
    const char *p = copy;
    while (is_blank(*p))
        p++;
    if (*p == '\0' || *p == '#') {
        free(copy);
        return VXCTL_ENV_FILE_SKIP;
    }
    if (strncmp(p, "export", 6) == 0 && is_blank(p[6])) {
        p += 6;
        while (is_blank(*p))
            p++;
    }
    if (!is_name_start(*p)) {
        free(copy);
        return VXCTL_ENV_FILE_BAD;
    }
    const char *start = p;
    while (is_name_char(*p))
        p++;
    *name = strndup(start, (size_t)(p - start));
    if (*name == NULL)
        abort();
    if (*p != '=') {
        free(copy);
        return VXCTL_ENV_FILE_BAD;
    }
    p++;
    char *v = malloc(strlen(p) + 1);
    if (v == NULL)
        abort();
    bool ok = parse_value(&p, v);
    if (ok) {
        /* Nothing may follow but blanks and a comment (no second command). */
        while (is_blank(*p))
            p++;
        ok = *p == '\0' || *p == '#';
    }
    free(copy);
    if (!ok) {
        free(v);
        return VXCTL_ENV_FILE_BAD;
    }
    *value = v;
    return VXCTL_ENV_FILE_ASSIGN;
}

/* Removes the last path component of path in place; false when there is none
 * left (no '/' or only the root). Returns the removed component in *last. */
static bool strip_last(char *path, const char **last)
{
    char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path)
        return false;
    *slash = '\0';
    *last = slash + 1;
    return true;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool vxctl_env_file_checkout_of(const char *exe_path, char *out, size_t out_len)
{
    char dir[PATH_MAX];
    if (exe_path == NULL || exe_path[0] != '/' || (size_t)snprintf(dir, sizeof(dir), "%s", exe_path) >= sizeof(dir))
        return false;
    /* <checkout>/build/<variant>/bin/<program>: four components to strip. */
    const char *program, *bin, *variant, *build;
    if (!strip_last(dir, &program) || !strip_last(dir, &bin) || !strip_last(dir, &variant) || !strip_last(dir, &build))
        return false;
    if (strcmp(bin, "bin") != 0 || strcmp(build, "build") != 0 || program[0] == '\0' || variant[0] == '\0')
        return false;
    char probe[PATH_MAX + 32];
    snprintf(probe, sizeof(probe), "%s/migrations", dir);
    if (!is_dir(probe))
        return false;
    snprintf(probe, sizeof(probe), "%s/deploy/local/run.sh", dir);
    if (!is_file(probe))
        return false;
    return (size_t)snprintf(out, out_len, "%s", dir) < out_len;
}

bool vxctl_env_file_own_checkout(char *out, size_t out_len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0 || (size_t)n >= sizeof(exe) - 1)
        return false;
    exe[n] = '\0';
    return vxctl_env_file_checkout_of(exe, out, out_len);
}

bool vxctl_env_file_path(const char *state_dir, const char *checkout, char *out, size_t out_len)
{
    int n;
    if (state_dir != NULL && state_dir[0] != '\0')
        n = snprintf(out, out_len, "%s/env", state_dir);
    else if (checkout != NULL)
        n = snprintf(out, out_len, "%s/.run/env", checkout);
    else
        return false;
    return n > 0 && (size_t)n < out_len;
}

static bool is_set(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0';
}

const char *vxctl_env_file_first_set(const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (is_set(names[i]))
            return names[i];
    }
    return NULL;
}

/* The index of name in names[0..n), or -1. */
static long index_of(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0)
            return (long)i;
    }
    return -1;
}

vxctl_env_file_status vxctl_env_file_apply(const char *path, const char *const *names, size_t n, char *loaded, size_t loaded_len)
{
    if (loaded != NULL && loaded_len > 0)
        loaded[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return VXCTL_ENV_FILE_MISSING;
        fprintf(stderr, "voxctl: warning: cannot read %s: %s\n", path, strerror(errno));
        return VXCTL_ENV_FILE_ERROR;
    }
    char **values = calloc(n > 0 ? n : 1, sizeof(*values));
    if (values == NULL)
        abort();
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *name, *value;
        vxctl_env_file_line kind = vxctl_env_file_parse_line(line, &name, &value);
        long i = name != NULL ? index_of(names, n, name) : -1;
        if (kind == VXCTL_ENV_FILE_ASSIGN && i >= 0) {
            free(values[i]);
            values[i] = value;
            value = NULL;
        } else if (kind == VXCTL_ENV_FILE_BAD && i >= 0) {
            fprintf(stderr, "voxctl: warning: %s:%ld: the value of %s is not a plain value (a shell would expand it); ignored\n",
                    path, lineno, name);
        }
        free(name);
        free(value);
    }
    bool failed = ferror(f) != 0;
    free(line);
    fclose(f);
    if (failed) {
        fprintf(stderr, "voxctl: warning: cannot read %s\n", path);
        for (size_t i = 0; i < n; i++)
            free(values[i]);
        free(values);
        return VXCTL_ENV_FILE_ERROR;
    }
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (values[i] != NULL && values[i][0] != '\0' && !is_set(names[i])) {
            if (setenv(names[i], values[i], 1) != 0)
                abort();
            if (loaded != NULL && used < loaded_len) {
                int w = snprintf(loaded + used, loaded_len - used, "%s%s", used > 0 ? ", " : "", names[i]);
                if (w > 0)
                    used += (size_t)w;
            }
        }
        free(values[i]);
    }
    free(values);
    return VXCTL_ENV_FILE_OK;
}
