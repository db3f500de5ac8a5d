/* Shared basics: error values and a fixed-capacity string builder.
 * Nothing here allocates, so the builder is usable on the abort path. */
#ifndef FABGUARD_COMMON_H
#define FABGUARD_COMMON_H

#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

#define FG_VERSION "0.1.0"

#if defined(__GNUC__)
#define FG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FG_PRINTF(a, b)
#endif

/* An error travels as a value up to the one place that reports it.
 * where: file name, "environment", or another source; line 0 = no line. */
typedef struct {
    char     where[256];
    unsigned line;
    char     reason[512];
} fg_error_t;

void fg_error_set(fg_error_t *err, const char *where, unsigned line,
                  const char *fmt, ...) FG_PRINTF(4, 5);
/* "where:line: reason" (or "where: reason" when line is 0). */
size_t fg_error_format(const fg_error_t *err, char *buf, size_t cap);

/* Fixed-capacity builder: never overflows, remembers truncation. */
typedef struct {
    char  *buf;
    size_t len;
    size_t cap;
    int    truncated;
} fg_sbuf_t;

void fg_sb_init(fg_sbuf_t *sb, char *buf, size_t cap);
void fg_sb_putc(fg_sbuf_t *sb, char c);
void fg_sb_puts(fg_sbuf_t *sb, const char *s);
void fg_sb_putn(fg_sbuf_t *sb, const char *s, size_t n);
/* Async-signal-safe integer formatting (no stdio). */
void fg_sb_putl(fg_sbuf_t *sb, long v);
void fg_sb_printf(fg_sbuf_t *sb, const char *fmt, ...) FG_PRINTF(2, 3);

/* Bounded copy that always terminates; returns 0, or -1 if truncated. */
int fg_strlcpy(char *dst, const char *src, size_t cap);

/* Levenshtein distance, for did-you-mean hints (short strings only). */
int fg_edit_distance(const char *a, const char *b);

/* 64-bit FNV-1a: the one hash for dedup keys and fingerprints. Start from
 * FG_FNV1A_BASIS; a NULL string hashes as "". Async-signal-safe. */
#define FG_FNV1A_BASIS 14695981039346656037ULL
uint64_t fg_fnv1a(uint64_t h, const char *s);
uint64_t fg_fnv1a_byte(uint64_t h, unsigned char c);

/* A configuration boolean as UCX (src/ucs/config/parser.c
 * ucs_config_sscanf_bool) and libfabric spell it, any case: y/yes/on/1/true
 * or n/no/off/0/false. 1 and *val set when V is one, else 0. */
int fg_parse_bool(const char *v, int *val);

#endif
