/* A strict, bounded JSON reader for event lines: objects, arrays, strings
 * (all escapes, \uXXXX incl. surrogate pairs), numbers, literals. Nothing is
 * allocated; depth and line length are capped. */
#include "fabguard/event_read.h"
#include "fabguard/common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p, *end;
    int         depth;
} rd_t;

static void ws(rd_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n')) r->p++;
}

static void put_utf8(char *out, size_t cap, size_t *n, unsigned cp)
{
    char   b[4];
    size_t k = 0, i;
    if (cp < 0x80) b[k++] = (char)cp;
    else if (cp < 0x800) { b[k++] = (char)(0xc0 | cp >> 6); b[k++] = (char)(0x80 | (cp & 0x3f)); }
    else if (cp < 0x10000) { b[k++] = (char)(0xe0 | cp >> 12); b[k++] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[k++] = (char)(0x80 | (cp & 0x3f)); }
    else { b[k++] = (char)(0xf0 | cp >> 18); b[k++] = (char)(0x80 | ((cp >> 12) & 0x3f)); b[k++] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[k++] = (char)(0x80 | (cp & 0x3f)); }
    for (i = 0; i < k && *n + 1 < cap; i++) out[(*n)++] = b[i];
}

static int hex4(const char *p, unsigned *v)
{
    int i;
    *v = 0;
    for (i = 0; i < 4; i++) {
        int c = p[i];
        *v <<= 4;
        if (c >= '0' && c <= '9') *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') *v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    return 0;
}

/* String into out (may be NULL to skip); cut to cap. */
static int string(rd_t *r, char *out, size_t cap)
{
    size_t n = 0;
    if (r->p >= r->end || *r->p != '"') return -1;
    r->p++;
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20) return -1;
        if (c == '\\') {
            unsigned cp;
            if (++r->p >= r->end) return -1;
            switch (*r->p) {
            case '"': case '\\': case '/': cp = (unsigned char)*r->p; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (r->end - r->p < 5 || hex4(r->p + 1, &cp) < 0) return -1;
                r->p += 4;
                if (cp >= 0xd800 && cp < 0xdc00 && r->end - r->p >= 7 && r->p[1] == '\\' && r->p[2] == 'u') {
                    unsigned lo;
                    if (hex4(r->p + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        r->p += 6;
                    }
                }
                break;
            default: return -1;
            }
            if (out) put_utf8(out, cap, &n, cp);
            r->p++;
            continue;
        }
        if (out && n + 1 < cap) out[n++] = (char)c;
        r->p++;
    }
    if (r->p >= r->end) return -1;
    r->p++;
    if (out && cap) out[n] = '\0';
    return 0;
}

static int value(rd_t *r, char *out, size_t cap);

static int number(rd_t *r, char *out, size_t cap)
{
    const char *s = r->p;
    if (r->p < r->end && *r->p == '-') r->p++;
    if (r->p >= r->end || !isdigit((unsigned char)*r->p)) return -1;
    while (r->p < r->end && (isdigit((unsigned char)*r->p) || strchr(".eE+-", *r->p))) r->p++;
    if (out && cap) {
        size_t n = (size_t)(r->p - s) < cap - 1 ? (size_t)(r->p - s) : cap - 1;
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return 0;
}

static int container(rd_t *r, char open, char close)
{
    if (++r->depth > FG_READ_DEPTH_MAX) return -1;
    r->p++;
    ws(r);
    if (r->p < r->end && *r->p == close) { r->p++; r->depth--; return 0; }
    for (;;) {
        ws(r);
        if (open == '{') {
            if (string(r, NULL, 0) < 0) return -1;
            ws(r);
            if (r->p >= r->end || *r->p++ != ':') return -1;
        }
        if (value(r, NULL, 0) < 0) return -1;
        ws(r);
        if (r->p >= r->end) return -1;
        if (*r->p == ',') { r->p++; continue; }
        if (*r->p == close) { r->p++; r->depth--; return 0; }
        return -1;
    }
}

static int value(rd_t *r, char *out, size_t cap)
{
    ws(r);
    if (r->p >= r->end) return -1;
    if (out && cap) out[0] = '\0';
    switch (*r->p) {
    case '"': return string(r, out, cap);
    case '{': return container(r, '{', '}');
    case '[': return container(r, '[', ']');
    case 't': if (r->end - r->p >= 4 && !memcmp(r->p, "true", 4)) { r->p += 4; return 0; } return -1;
    case 'f': if (r->end - r->p >= 5 && !memcmp(r->p, "false", 5)) { r->p += 5; return 0; } return -1;
    case 'n': if (r->end - r->p >= 4 && !memcmp(r->p, "null", 4)) { r->p += 4; return 0; } return -1;
    default: return number(r, out, cap);
    }
}

/* "lanes":[{"transport":..,"device":..},…] */
static int lanes(rd_t *r, fg_event_rec_t *rec)
{
    if (*r->p != '[') return value(r, NULL, 0);
    r->p++;
    ws(r);
    if (r->p < r->end && *r->p == ']') { r->p++; return 0; }
    for (;;) {
        char tl[32] = "", dev[64] = "";
        ws(r);
        if (r->p >= r->end || *r->p != '{') { if (value(r, NULL, 0) < 0) return -1; }
        else {
            r->p++;
            ws(r);
            if (r->p < r->end && *r->p == '}') r->p++;
            else for (;;) {
                char key[32];
                ws(r);
                if (string(r, key, sizeof(key)) < 0) return -1;
                ws(r);
                if (r->p >= r->end || *r->p++ != ':') return -1;
                ws(r);
                if (!strcmp(key, "transport")) { if (value(r, tl, sizeof(tl)) < 0) return -1; }
                else if (!strcmp(key, "device")) { if (value(r, dev, sizeof(dev)) < 0) return -1; }
                else if (value(r, NULL, 0) < 0) return -1;
                ws(r);
                if (r->p < r->end && *r->p == ',') { r->p++; continue; }
                if (r->p < r->end && *r->p == '}') { r->p++; break; }
                return -1;
            }
            if (rec->nlanes < FG_READ_LANES_MAX) {
                fg_strlcpy(rec->lane_tl[rec->nlanes], tl, sizeof(rec->lane_tl[0]));
                fg_strlcpy(rec->lane_dev[rec->nlanes], dev, sizeof(rec->lane_dev[0]));
                rec->nlanes++;
            }
        }
        ws(r);
        if (r->p < r->end && *r->p == ',') { r->p++; continue; }
        if (r->p < r->end && *r->p == ']') { r->p++; return 0; }
        return -1;
    }
}

static long num_of(const char *s) { return s[0] ? strtol(s, NULL, 10) : -1; }

/* "counts":{"endpoints":N,…} of the summary event */
static int counts(rd_t *r, fg_event_rec_t *rec)
{
    if (*r->p != '{') return value(r, NULL, 0);
    r->p++;
    for (;;) {
        char key[32], v[32];
        ws(r);
        if (r->p < r->end && *r->p == '}') { r->p++; return 0; }
        if (string(r, key, sizeof(key)) < 0) return -1;
        ws(r);
        if (r->p >= r->end || *r->p++ != ':') return -1;
        if (value(r, v, sizeof(v)) < 0) return -1;
        if (!strcmp(key, "endpoints")) rec->counts_endpoints = num_of(v);
        else if (!strcmp(key, "comms")) rec->counts_comms = num_of(v);
        else if (!strcmp(key, "violations")) rec->counts_violations = num_of(v);
        ws(r);
        if (r->p < r->end && *r->p == ',') r->p++;
    }
}

fg_read_status_t fg_event_read_line(const char *line, size_t len, fg_event_rec_t *rec)
{
    const char *brace = memchr(line, '{', len);
    rd_t        r;
    int         have = 0;

    memset(rec, 0, sizeof(*rec));
    rec->pid = rec->rank = rec->nranks = rec->fork_parent = -1;
    rec->counts_endpoints = rec->counts_comms = rec->counts_violations = -1;
    if (len > FG_READ_LINE_MAX) return FG_READ_TOO_LONG;
    if (brace == NULL) return FG_READ_NO_OBJECT;
    {
        size_t n = (size_t)(brace - line) < sizeof(rec->prefix) - 1 ? (size_t)(brace - line) : sizeof(rec->prefix) - 1;
        memcpy(rec->prefix, line, n);
        rec->prefix[n] = '\0';
    }
    r.p = brace + 1;
    r.end = line + len;
    r.depth = 1;
    for (;;) {
        char key[32], v[256];
        ws(&r);
        if (r.p < r.end && *r.p == '}') { r.p++; break; }
        if (string(&r, key, sizeof(key)) < 0) return FG_READ_BAD_JSON;
        ws(&r);
        if (r.p >= r.end || *r.p++ != ':') return FG_READ_BAD_JSON;
        ws(&r);
        if (r.p >= r.end) return FG_READ_BAD_JSON;
        if (!strcmp(key, "lanes")) { if (lanes(&r, rec) < 0) return FG_READ_BAD_JSON; }
        else if (!strcmp(key, "counts")) { if (counts(&r, rec) < 0) return FG_READ_BAD_JSON; }
        else if (!strcmp(key, "unobserved")) {
            const char *q = r.p + 1;
            while (q < r.end && (*q == ' ' || *q == '\t')) q++;
            rec->unobserved = *r.p == '[' && q < r.end && *q != ']';
            if (value(&r, NULL, 0) < 0) return FG_READ_BAD_JSON;
        }
        else {
            if (value(&r, v, sizeof(v)) < 0) return FG_READ_BAD_JSON;
#define TAKE(name, field, bit) else if (!strcmp(key, name)) { fg_strlcpy(rec->field, v, sizeof(rec->field)); have |= bit; }
            if (0) {}
            TAKE("gpu", gpu, 0) TAKE("nic", nic, 0)   /* rails */
            TAKE("ts", ts, 1) TAKE("host", host, 2) TAKE("prog", prog, 4) TAKE("lib", lib, 8)
            TAKE("event", event, 16) TAKE("verdict", verdict, 32) TAKE("rule", rule, 0)
            TAKE("detail", detail, 0) TAKE("comm", comm, 0)
            TAKE("provider", fi_provider, 0) TAKE("domain", fi_domain, 0) TAKE("fi_api", fi_api, 0)
            else if (!strcmp(key, "pid")) { rec->pid = num_of(v); have |= 64; }
            else if (!strcmp(key, "rank")) rec->rank = num_of(v);
            else if (!strcmp(key, "nranks")) rec->nranks = num_of(v);
            else if (!strcmp(key, "fork_parent")) rec->fork_parent = num_of(v);
#undef TAKE
        }
        ws(&r);
        if (r.p < r.end && *r.p == ',') { r.p++; continue; }
        if (r.p < r.end && *r.p == '}') { r.p++; break; }
        return FG_READ_BAD_JSON;
    }
    return have == 127 ? FG_READ_OK : FG_READ_NOT_EVENT;
}

const char *fg_read_status_name(fg_read_status_t s)
{
    static const char *const n[] = { "ok", "no JSON object", "malformed JSON", "not an event", "line too long" };
    return (unsigned)s < 5 ? n[s] : "?";
}
