/*
 * text: clean UTF-8 from any bytes (see text.h).
 */
#include "ingest/text.h"

#include "vx_buf.h"
#include "vx_utf8.h"

#include <stdbool.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

char *text_clean(const char *in, size_t len, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)in;
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, ""); /* never NULL, even for no input */
    bool in_bad = false;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n = vx_utf8_seq_len(s + i, len - i);
        if (n == 0) {
            if (!in_bad)
                vx_buf_append(&b, replacement, 3);
            in_bad = true;
            i++;
            continue;
        }
        in_bad = false;
        if (n == 1) {
            if (c == '\r') {
                vx_buf_putc(&b, '\n');
                if (i + 1 < len && s[i + 1] == '\n')
                    i++;
            } else if (c == '\t') {
                vx_buf_putc(&b, ' ');
            } else if (c == '\n' || c == '\f' || (c >= 0x20 && c != 0x7F)) {
                vx_buf_putc(&b, (char)c);
            }
        } else if (n == 2 && c == 0xC2 && s[i + 1] < 0xA0) {
            /* C1 controls: dropped */
        } else if (n == 3 && c == 0xEF && s[i + 1] == 0xBB && s[i + 2] == 0xBF) {
            /* U+FEFF: dropped */
        } else {
            vx_buf_append(&b, s + i, n);
        }
        i += n;
    }
    *out_len = b.len;
    return vx_buf_steal(&b);
}

size_t text_chars(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}
