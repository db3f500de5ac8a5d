/* JSON string escaping that is correct for any byte sequence. */
#include "fabguard/json.h"

#include <string.h>

static const char fg_hex[] = "0123456789abcdef";

static void json_escape_byte(fg_sbuf_t *sb, unsigned char c)
{
    char u[6] = { '\\', 'u', '0', '0', fg_hex[c >> 4], fg_hex[c & 15] };
    fg_sb_putn(sb, u, sizeof(u));
}

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
    size_t       len, i;
    unsigned int cp;

    if (s[0] < 0x80) {
        return 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        cp  = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        cp  = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        cp  = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* reject overlong forms, surrogates and values past U+10FFFF */
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

void fg_json_strn(fg_sbuf_t *sb, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t               i = 0, run;

    fg_sb_putc(sb, '"');
    while (i < n) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            fg_sb_putc(sb, '\\');
            fg_sb_putc(sb, (char)c);
            i++;
        } else if (c == '\n') {
            fg_sb_puts(sb, "\\n");
            i++;
        } else if (c == '\t') {
            fg_sb_puts(sb, "\\t");
            i++;
        } else if (c == '\r') {
            fg_sb_puts(sb, "\\r");
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            json_escape_byte(sb, c);
            i++;
        } else if (c < 0x80) {
            fg_sb_putc(sb, (char)c);
            i++;
        } else if ((run = utf8_valid_len(s + i, n - i)) > 0) {
            fg_sb_putn(sb, (const char *)s + i, run);
            i += run;
        } else {
            json_escape_byte(sb, c);   /* invalid UTF-8: keep the byte value */
            i++;
        }
    }
    fg_sb_putc(sb, '"');
}

void fg_json_str(fg_sbuf_t *sb, const char *s)
{
    if (s == NULL) {
        fg_sb_puts(sb, "null");
        return;
    }
    fg_json_strn(sb, s, strlen(s));
}

void fg_json_key(fg_sbuf_t *sb, int *first, const char *key)
{
    if (!*first) {
        fg_sb_putc(sb, ',');
    }
    *first = 0;
    fg_json_str(sb, key);
    fg_sb_putc(sb, ':');
}

void fg_json_kv_str(fg_sbuf_t *sb, int *first, const char *key, const char *val)
{
    fg_json_key(sb, first, key);
    fg_json_str(sb, val);
}

void fg_json_kv_long(fg_sbuf_t *sb, int *first, const char *key, long val)
{
    fg_json_key(sb, first, key);
    fg_sb_putl(sb, val);
}

void fg_json_kv_bool(fg_sbuf_t *sb, int *first, const char *key, int val)
{
    fg_json_key(sb, first, key);
    fg_sb_puts(sb, val ? "true" : "false");
}
