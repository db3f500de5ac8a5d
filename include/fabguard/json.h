/* JSON writing on top of fg_sbuf_t. Any byte is escaped correctly:
 * control characters as \u00XX, invalid UTF-8 bytes as \u00XX of the byte
 * (so the output is always valid JSON whatever a device or program name holds). */
#ifndef FABGUARD_JSON_H
#define FABGUARD_JSON_H

#include "fabguard/common.h"

void fg_json_str(fg_sbuf_t *sb, const char *s);            /* "…" ; NULL -> null */
void fg_json_strn(fg_sbuf_t *sb, const char *s, size_t n);
/* ,"key": — writes the comma unless *first, then clears *first. */
void fg_json_key(fg_sbuf_t *sb, int *first, const char *key);
void fg_json_kv_str(fg_sbuf_t *sb, int *first, const char *key, const char *val);
void fg_json_kv_long(fg_sbuf_t *sb, int *first, const char *key, long val);
void fg_json_kv_bool(fg_sbuf_t *sb, int *first, const char *key, int val);

#endif
