/* Error values, the fixed-capacity string builder, small string helpers. */
#include "fabguard/common.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void fg_error_set(fg_error_t *err, const char *where, unsigned line,
                  const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return;
    }
    fg_strlcpy(err->where, where ? where : "", sizeof(err->where));
    err->line = line;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
    va_end(ap);
}

size_t fg_error_format(const fg_error_t *err, char *buf, size_t cap)
{
    int n;

    if (err->line > 0) {
        n = snprintf(buf, cap, "%s:%u: %s", err->where, err->line, err->reason);
    } else {
        n = snprintf(buf, cap, "%s: %s", err->where, err->reason);
    }
    if (n < 0) {
        return 0;
    }
    return ((size_t)n < cap) ? (size_t)n : (cap ? cap - 1 : 0);
}

void fg_sb_init(fg_sbuf_t *sb, char *buf, size_t cap)
{
    sb->buf       = buf;
    sb->len       = 0;
    sb->cap       = cap;
    sb->truncated = 0;
    if (cap > 0) {
        buf[0] = '\0';
    }
}

void fg_sb_putn(fg_sbuf_t *sb, const char *s, size_t n)
{
    size_t room;

    if (sb->cap == 0) {
        sb->truncated = 1;
        return;
    }
    room = sb->cap - 1 - sb->len;
    if (n > room) {
        n             = room;
        sb->truncated = 1;
    }
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void fg_sb_putc(fg_sbuf_t *sb, char c)
{
    fg_sb_putn(sb, &c, 1);
}

void fg_sb_puts(fg_sbuf_t *sb, const char *s)
{
    fg_sb_putn(sb, s, strlen(s));
}

void fg_sb_putl(fg_sbuf_t *sb, long v)
{
    char          tmp[24];
    size_t        i = sizeof(tmp);
    unsigned long u = (v < 0) ? 0UL - (unsigned long)v : (unsigned long)v;

    do {
        tmp[--i] = (char)('0' + (u % 10));
        u /= 10;
    } while (u != 0);
    if (v < 0) {
        tmp[--i] = '-';
    }
    fg_sb_putn(sb, tmp + i, sizeof(tmp) - i);
}

void fg_sb_printf(fg_sbuf_t *sb, const char *fmt, ...)
{
    va_list ap;
    size_t  room;
    int     n;

    if (sb->cap == 0) {
        sb->truncated = 1;
        return;
    }
    room = sb->cap - sb->len;
    va_start(ap, fmt);
    n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->buf[sb->len] = '\0';
        sb->truncated    = 1;
        return;
    }
    if ((size_t)n >= room) {
        sb->len       = sb->cap - 1;
        sb->truncated = 1;
    } else {
        sb->len += (size_t)n;
    }
}

int fg_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n;

    if (cap == 0) {
        return -1;
    }
    n = strlen(src);
    if (n >= cap) {
        memcpy(dst, src, cap - 1);
        dst[cap - 1] = '\0';
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

int fg_edit_distance(const char *a, const char *b)
{
    enum { MAXL = 64 };
    int    row[MAXL + 1];
    size_t la = strlen(a), lb = strlen(b), i, j;

    if (la > MAXL || lb > MAXL) {
        return MAXL;
    }
    for (j = 0; j <= lb; j++) {
        row[j] = (int)j;
    }
    for (i = 1; i <= la; i++) {
        int diag = row[0];
        row[0]   = (int)i;
        for (j = 1; j <= lb; j++) {
            int up   = row[j];
            int cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
            int best = diag + cost;
            if (row[j] + 1 < best) {
                best = row[j] + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag   = up;
        }
    }
    return row[lb];
}

uint64_t fg_fnv1a_byte(uint64_t h, unsigned char c)
{
    return (h ^ c) * 1099511628211ULL;
}

uint64_t fg_fnv1a(uint64_t h, const char *s)
{
    for (s = s ? s : ""; *s != '\0'; s++) h = fg_fnv1a_byte(h, (unsigned char)*s);
    return h;
}

int fg_parse_bool(const char *v, int *val)
{
    static const char *const yes[] = { "y", "yes", "on", "1", "true" };
    static const char *const no[]  = { "n", "no", "off", "0", "false" };
    size_t                   i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0) { *val = 1; return 1; }
        if (strcasecmp(v, no[i]) == 0) { *val = 0; return 1; }
    }
    return 0;
}
