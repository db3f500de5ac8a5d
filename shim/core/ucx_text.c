/* UCX endpoint text -> lanes.
 * Format: UCX src/ucp/core/ucp_ep.c, ucp_ep_print_info() ->
 * ucp_ep_config_lane_info_str(): one line per lane,
 *   "#                 lane[1]:  0:tcp/eth0.0 md[0]   -> md[0]/tcp/sysdev[255] rma_bw#1 wireup"
 * i.e. "lane[N]:", the resource index, "tl/dev.path", "md[M]", the remote
 * part after "->", then the usages (am, am_bw#k, rma, rma_bw#k, amo, tag,
 * wireup, keepalive, rkey_ptr). The connection-manager lane prints as
 *   "#                 lane[0]: cm rdmacm"   (no device: not a data lane).
 * The same lane strings appear in UCX debug logs (ucp_ep_config_info /
 * "ep_cfg[N]" lines), so the parser looks for "lane[" anywhere in a line. */
#include "fabguard/ucx_text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copy a token [s, e) into out (cut to cap). */
static void copy_token(const char *s, const char *e, char *out, size_t cap)
{
    size_t n = (size_t)(e - s);

    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }
    return p;
}

static const char *token_end(const char *p, const char *end)
{
    while (p < end && !isspace((unsigned char)*p)) {
        p++;
    }
    return p;
}

/* Usages: the words after the remote "md[..]/tl/..." part. */
static void parse_usage(const char *p, const char *end, char *out, size_t cap)
{
    const char *arrow = NULL, *q;
    fg_sbuf_t   sb;

    for (q = p; q + 1 < end; q++) {
        if (q[0] == '-' && q[1] == '>') {
            arrow = q + 2;
            break;
        }
    }
    fg_sb_init(&sb, out, cap);
    if (arrow == NULL) {
        return;
    }
    q = token_end(skip_space(arrow, end), end);   /* skip the remote md/tl */
    for (;;) {
        const char *s = skip_space(q, end), *e = token_end(s, end);
        if (s >= end || e == s) {
            break;
        }
        if (sb.len > 0) {
            fg_sb_putc(&sb, ' ');
        }
        fg_sb_putn(&sb, s, (size_t)(e - s));
        q = e;
    }
}

/* One line holding "lane[N]:"; returns 1 when a lane was added. */
static int parse_lane_line(const char *line, const char *end, fg_lane_set_t *out)
{
    const char *p = line, *tok, *tok_end, *slash, *dot;
    char        tl[32], dev[64], usage[64];

    while (p + 5 <= end && memcmp(p, "lane[", 5) != 0) {
        p++;
    }
    if (p + 5 > end) {
        return 0;
    }
    p = memchr(p, ']', (size_t)(end - p));
    if (p == NULL || p + 1 >= end || p[1] != ':') {
        return 0;
    }
    p   = skip_space(p + 2, end);
    tok = p;
    tok_end = token_end(tok, end);
    if (tok_end - tok == 2 && memcmp(tok, "cm", 2) == 0) {   /* "cm rdmacm" */
        tok     = skip_space(tok_end, end);
        tok_end = token_end(tok, end);
        if (tok == tok_end) {
            return 0;
        }
        copy_token(tok, tok_end, tl, sizeof(tl));
        return fg_lane_set_add(out, tl, "", "wireup") == 0;
    }
    /* "0:tcp/eth0.0": drop the resource index */
    while (p < tok_end && isdigit((unsigned char)*p)) {
        p++;
    }
    if (p < tok_end && *p == ':') {
        tok = p + 1;
    }
    slash = memchr(tok, '/', (size_t)(tok_end - tok));
    if (slash == NULL || slash == tok) {
        return 0;
    }
    /* device ends at its path index ".0"; device names may hold '.' too
     * (e.g. "eth0.100" VLANs), so cut at the LAST dot followed by digits */
    dot = tok_end;
    {
        const char *q;
        for (q = tok_end - 1; q > slash; q--) {
            if (*q == '.') {
                const char *d = q + 1;
                while (d < tok_end && isdigit((unsigned char)*d)) d++;
                if (d == tok_end && q + 1 < tok_end) {
                    dot = q;
                }
                break;
            }
            if (!isdigit((unsigned char)*q)) {
                break;
            }
        }
    }
    copy_token(tok, slash, tl, sizeof(tl));
    copy_token(slash + 1, dot, dev, sizeof(dev));
    parse_usage(tok_end, end, usage, sizeof(usage));
    return fg_lane_set_add(out, tl, dev, usage) == 0;
}

int fg_ucx_lanes_from_print_info(const char *text, size_t len,
                                 fg_lane_set_t *out, fg_error_t *err)
{
    const char *p = text, *end = text + len;
    int         block = 0;

    out->n = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *line_end;
        line_end = nl ? nl : end;
        if (memmem(p, (size_t)(line_end - p), "UCP endpoint", 12) != NULL ||
            memmem(p, (size_t)(line_end - p), "lane[", 5) != NULL) {
            block = 1;
        }
        parse_lane_line(p, line_end, out);
        p = nl ? nl + 1 : end;
    }
    if (!block) {
        fg_error_set(err, "ucp_ep_print_info", 0, "no UCP endpoint block in the text");
        return -1;
    }
    return 0;
}

/* UCX_PROTO_INFO=y tables (UCX >= 1.12, src/ucp/proto/proto_debug.c
 * ucp_proto_select_info_str / ucp_proto_table_row): rows framed by '|', the
 * last column naming the lanes as "tl/dev", possibly shared:
 *   "|  8516..inf | rendezvous zero-copy | 52% on tcp/lo and 48% on tcp/eth0 |" */
static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == ':' || c == '.';
}

int fg_ucx_lanes_from_proto_info(const char *text, size_t len, fg_lane_set_t *out)
{
    const char *p = text, *end = text + len;
    int         found = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
        const char *last = NULL, *q, *bar2 = NULL;
        for (q = le - 1; q >= p; q--) {            /* the last "| … |" cell */
            if (*q == '|') {
                if (bar2 == NULL) { bar2 = q; } else { last = q; break; }
            }
        }
        if (last != NULL && bar2 != NULL && memchr(p, '|', (size_t)(le - p)) != last) {
            for (q = last + 1; q < bar2; q++) {
                const char *s = q, *slash, *e;
                if (!isalpha((unsigned char)*q) || (q > last + 1 && is_name_char(q[-1]))) continue;
                for (slash = s; slash < bar2 && (isalnum((unsigned char)*slash) || *slash == '_'); slash++) {}
                if (slash >= bar2 || *slash != '/' || slash == s) continue;
                for (e = slash + 1; e < bar2 && is_name_char(*e); e++) {}
                if (e > slash + 1) {
                    char tl[32], dev[64];
                    size_t i, dup = 0;
                    copy_token(s, slash, tl, sizeof(tl));
                    copy_token(slash + 1, e, dev, sizeof(dev));
                    for (i = 0; i < out->n; i++) {
                        dup |= !strcmp(out->lane[i].transport, tl) && !strcmp(out->lane[i].device, dev);
                    }
                    if (!dup && fg_lane_set_add(out, tl, dev, "proto") == 0) found++;
                }
                q = e;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return found;
}

/* ---- configurations from any UCX text (see ucx_text.h) ------------------- */

#define FG_UCX_LINE_MAX 16384

void fg_ucx_text_init(fg_ucx_text_t *t)
{
    memset(t, 0, sizeof(*t));
    t->table = -1;
}

void fg_ucx_text_free(fg_ucx_text_t *t)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        free(t->cfg[i].lane);
    }
    free(t->cfg);
    free(t->res);
    free(t->hash);
    fg_ucx_text_init(t);
}

static int grow_arr(void **arr, size_t *cap, size_t n, size_t size)
{
    size_t ncap;
    void  *p;

    if (n < *cap) {
        return 0;
    }
    ncap = *cap ? *cap * 2 : 4;
    if ((p = realloc(*arr, ncap * size)) == NULL) {
        return -1;
    }
    *arr = p;
    *cap = ncap;
    return 0;
}

static size_t key_hash(const char *proc, const char *name)
{
    size_t h = 5381;

    while (*proc) h = h * 33 + (unsigned char)*proc++;
    h = h * 33 + '|';
    while (*name) h = h * 33 + (unsigned char)*name++;
    return h;
}

static int cfg_rehash(fg_ucx_text_t *t)
{
    size_t cap = t->hashcap ? t->hashcap * 2 : 64, i;
    long  *h   = malloc(cap * sizeof(*h));

    if (h == NULL) {
        return -1;
    }
    for (i = 0; i < cap; i++) h[i] = -1;
    for (i = 0; i < t->n; i++) {
        size_t b = key_hash(t->cfg[i].proc, t->cfg[i].name) & (cap - 1);
        while (h[b] >= 0) b = (b + 1) & (cap - 1);
        h[b] = (long)i;
    }
    free(t->hash);
    t->hash    = h;
    t->hashcap = cap;
    return 0;
}

/* The configuration (proc, name), created on first sight; -1 on OOM. */
static long cfg_get(fg_ucx_text_t *t, const char *proc, const char *name)
{
    fg_ucx_config_t *c;
    size_t           b;

    if (t->hashcap > 0) {
        for (b = key_hash(proc, name) & (t->hashcap - 1); t->hash[b] >= 0; b = (b + 1) & (t->hashcap - 1)) {
            c = &t->cfg[t->hash[b]];
            if (strcmp(c->proc, proc) == 0 && strcmp(c->name, name) == 0) {
                return t->hash[b];
            }
        }
    }
    if (grow_arr((void **)&t->cfg, &t->cap, t->n, sizeof(*t->cfg)) < 0) {
        return -1;
    }
    if ((t->n + 1) * 2 > t->hashcap && cfg_rehash(t) < 0) {
        return -1;
    }
    c = &t->cfg[t->n];
    memset(c, 0, sizeof(*c));
    fg_strlcpy(c->proc, proc, sizeof(c->proc));
    fg_strlcpy(c->name, name, sizeof(c->name));
    for (b = key_hash(proc, name) & (t->hashcap - 1); t->hash[b] >= 0; b = (b + 1) & (t->hashcap - 1)) {}
    t->hash[b] = (long)t->n;
    return (long)t->n++;
}

static int has_word(const char *list, const char *w)
{
    size_t n = strlen(w);
    const char *p = list;

    while ((p = strstr(p, w)) != NULL) {
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ')) {
            return 1;
        }
        p += n;
    }
    return 0;
}

/* Add lane tl/dev with operation op to a configuration (merging usages). */
static int cfg_add_lane(fg_ucx_text_t *t, long ci, const char *tl, const char *dev, const char *op)
{
    fg_ucx_config_t *c = &t->cfg[ci];
    size_t           i;
    fg_lane_t       *l = NULL;

    for (i = 0; i < c->n && l == NULL; i++) {
        if (strcmp(c->lane[i].transport, tl) == 0 && strcmp(c->lane[i].device, dev) == 0) {
            l = &c->lane[i];
        }
    }
    if (l == NULL) {
        if (grow_arr((void **)&c->lane, &c->cap, c->n, sizeof(*c->lane)) < 0) {
            return -1;
        }
        l = &c->lane[c->n++];
        memset(l, 0, sizeof(*l));
        fg_strlcpy(l->transport, tl, sizeof(l->transport));
        fg_strlcpy(l->device, dev, sizeof(l->device));
    }
    if (op[0] != '\0' && !has_word(l->usage, op) && strlen(l->usage) + strlen(op) + 2 < sizeof(l->usage)) {
        if (l->usage[0] != '\0') strcat(l->usage, " ");
        strcat(l->usage, op);
    }
    return 0;
}

int fg_ucx_lane_is_data(const fg_lane_t *lane)
{
    const char *p = lane->usage;

    if (*p == '\0') {
        return 1;
    }
    while (*p) {
        size_t n = strcspn(p, " ");
        if (!((n == 2 && !strncmp(p, "ka", 2)) || (n == 9 && !strncmp(p, "keepalive", 9)) ||
              (n == 6 && !strncmp(p, "wireup", 6)) || (n == 2 && !strncmp(p, "cm", 2)))) {
            return 1;
        }
        p += n;
        while (*p == ' ') p++;
    }
    return 0;
}

static int add_resource(fg_ucx_text_t *t, const char *tl, size_t tln, const char *dev, size_t devn)
{
    char   a[32], b[64];
    size_t i;

    copy_token(tl, tl + tln, a, sizeof(a));
    copy_token(dev, dev + devn, b, sizeof(b));
    for (i = 0; i < t->nres; i++) {
        if (!strcmp(t->res[i].transport, a) && !strcmp(t->res[i].device, b)) return 0;
    }
    if (grow_arr((void **)&t->res, &t->capres, t->nres, sizeof(*t->res)) < 0) {
        return -1;
    }
    memset(&t->res[t->nres], 0, sizeof(t->res[0]));
    fg_strlcpy(t->res[t->nres].transport, a, sizeof(t->res[0].transport));
    fg_strlcpy(t->res[t->nres].device, b, sizeof(t->res[0].device));
    t->nres++;
    return 0;
}

/* "tl/dev" at s (tl: [a-z0-9_]); returns its end or NULL. A path suffix
 * ("/path0", ".0") is cut from the device. */
static const char *tl_dev(const char *s, const char *end, char *tl, size_t tlcap, char *dev, size_t devcap)
{
    const char *slash = s, *e;

    if (s >= end || !isalpha((unsigned char)*s)) return NULL;
    while (slash < end && (isalnum((unsigned char)*slash) || *slash == '_')) slash++;
    if (slash >= end || *slash != '/' || slash == s) return NULL;
    for (e = slash + 1; e < end && (is_name_char(*e) || *e == '/'); e++) {}
    if (e == slash + 1) return NULL;
    copy_token(s, slash, tl, tlcap);
    copy_token(slash + 1, e, dev, devcap);
    {
        char *p = strstr(dev, "/path");
        if (p != NULL) *p = '\0';
    }
    return e;
}

/* The log prefix: "[ts] [host:pid:tid] file.c:N UCX LEVEL " (all optional,
 * also "[host:pid :tid]"); sets proc, returns the message. */
static char *strip_prefix(char *s, char *proc, size_t cap, int *ucx)
{
    char *p = s, *q;

    *ucx    = 0;
    proc[0] = '\0';
    while (*p == ' ' || *p == '\t' || *p == '>') p++;   /* markdown quotes */
    if (*p == '[' && isdigit((unsigned char)p[1]) && (q = strchr(p, ']')) != NULL && memchr(p, '.', (size_t)(q - p))) {
        p = q + 1;                                      /* "[1713927611.038973]" */
        while (*p == ' ') p++;
    }
    if (*p == '[' && (q = strchr(p, ']')) != NULL) {    /* "[host:pid:tid]" */
        char *c1 = memchr(p, ':', (size_t)(q - p)), *c2;
        if (c1 != NULL && (c2 = memchr(c1 + 1, ':', (size_t)(q - c1 - 1))) != NULL) {
            char *pe = c2;
            while (pe > c1 + 1 && pe[-1] == ' ') pe--;
            if (pe > c1 + 1) {
                size_t n = (size_t)(pe - p - 1);
                copy_token(p + 1, p + 1 + n, proc, cap);
                p = q + 1;
            }
        }
    }
    /* "ucp_worker.c:1783 UCX  INFO  " */
    if (((q = strstr(p, "UCX ")) != NULL || (q = strstr(p, "UCXPY ")) != NULL) && q - p < 60 &&
        (q == p || q[-1] == ' ')) {
        char *l = q + (q[3] == 'P' ? 6 : 4);
        while (*l == ' ') l++;
        if (isupper((unsigned char)*l)) {
            while (isupper((unsigned char)*l)) l++;
            while (*l == ' ') l++;
            *ucx = 1;
            return l;
        }
    }
    return p;
}

static const char *table_op(const char *desc)
{
    if (strstr(desc, "tagged message")) return "tag";
    if (strstr(desc, "remote memory")) return "rma";
    if (strstr(desc, "atomic")) return "amo";
    if (strstr(desc, "active message")) return "am";
    if (strstr(desc, "stream")) return "stream";
    return "";
}

/* Config name and scope from "<ctx> <scope> cfg#N" / "<ctx> ep_cfg[N]" in
 * [s, e); returns where the name ends in s, or NULL. */
static const char *cfg_name(const char *s, const char *e, char *name, size_t cap, char *scope, size_t scap)
{
    const char *c = NULL, *ne, *w, *ctx = NULL, *ctxe = NULL;
    char        tmp[96];
    size_t      i;

    scope[0] = '\0';
    for (i = 0; s + i + 4 <= e; i++) {
        if (!strncmp(s + i, "cfg#", 4) && (s + i == s || s[i - 1] == ' ')) { c = s + i; break; }
        if (s + i + 7 <= e && !strncmp(s + i, "ep_cfg[", 7)) { c = s + i; break; }
    }
    if (c == NULL) return NULL;
    if (c[0] == 'c') {
        for (ne = c + 4; ne < e && isdigit((unsigned char)*ne); ne++) {}
    } else {
        ne = memchr(c, ']', (size_t)(e - c));
        if (ne == NULL) return NULL;
        ne++;
    }
    /* words before: [ctx] [scope] */
    w = c;
    while (w > s && w[-1] == ' ') w--;
    if (w > s) {
        const char *ws = w;
        while (ws > s && ws[-1] != ' ' && ws[-1] != '|' && ws[-1] != ']') ws--;
        if ((w - ws == 4 && !strncmp(ws, "self", 4)) || (w - ws == 10 && !strncmp(ws, "intra-node", 10)) ||
            (w - ws == 10 && !strncmp(ws, "inter-node", 10))) {
            copy_token(ws, w, scope, scap);
            w = ws;
            while (w > s && w[-1] == ' ') w--;
            ws = w;
            while (ws > s && ws[-1] != ' ' && ws[-1] != '|' && ws[-1] != ']') ws--;
        }
        if (ws < w && w[-1] != ':') {
            ctx  = ws;
            ctxe = w;
        }
    }
    tmp[0] = '\0';
    if (ctx != NULL) {
        copy_token(ctx, ctxe, tmp, sizeof(tmp));
        fg_strlcpy(name, tmp, cap);
        fg_strlcpy(name + strlen(name), " ", cap - strlen(name));
        copy_token(c, ne, tmp, sizeof(tmp));
        fg_strlcpy(name + strlen(name), tmp, cap - strlen(name));
    } else {
        copy_token(c, ne, name, cap);
    }
    return ne;
}

static int feed_table_row(fg_ucx_text_t *t, const char *proc, const char *s)
{
    const char *e = s + strlen(s), *bars[64];
    size_t      nb = 0;
    const char *p;

    for (p = s; p < e && nb < 64; p++) {
        if (*p == '|') bars[nb++] = p;
    }
    while (e > s && (e[-1] == ' ' || e[-1] == '\r')) e--;
    if (nb < 3 || bars[nb - 1] != e - 1) {
        return 0;
    }
    {   /* header: "| <ctx> cfg#N | description |" */
        char name[96], scope[16], desc[160];
        if (cfg_name(bars[0] + 1, bars[1], name, sizeof(name), scope, sizeof(scope)) != NULL) {
            long ci = cfg_get(t, proc, name);
            if (ci < 0) return -1;
            if (scope[0]) fg_strlcpy(t->cfg[ci].scope, scope, sizeof(t->cfg[ci].scope));
            copy_token(bars[1] + 1, bars[2], desc, sizeof(desc));
            fg_strlcpy(t->table_op, table_op(desc), sizeof(t->table_op));
            t->table = ci;
            return 0;
        }
    }
    if (t->table < 0 || nb != 4) {   /* a row of another table (ucx_perftest …) */
        t->table = -1;
        return 0;
    }
    {   /* row: "| range | protocol | lanes |" */
        char        proto[160], op[16], tl[32], dev[64];
        const char *q;
        copy_token(bars[nb - 3] + 1, bars[nb - 2], proto, sizeof(proto));
        fg_strlcpy(op, t->table_op, sizeof(op));
        if (strstr(proto, "software emulation") != NULL && op[0] != '\0' && strcmp(op, "am") != 0) {
            if (strlen(op) + 4 <= sizeof(op)) strcat(op, "_am");
        }
        for (q = bars[nb - 2] + 1; q < bars[nb - 1]; q++) {
            const char *end2;
            if (q > bars[nb - 2] + 1 && is_name_char(q[-1])) continue;
            if ((end2 = tl_dev(q, bars[nb - 1], tl, sizeof(tl), dev, sizeof(dev))) != NULL) {
                if (cfg_add_lane(t, t->table, tl, dev, op) < 0) return -1;
                q = end2;
            }
        }
    }
    return 0;
}

/* "tag(a/b c/d) rma(e/f);" groups after a config name. */
static int feed_groups(fg_ucx_text_t *t, long ci, const char *s)
{
    const char *p = s;

    while ((p = strchr(p, '(')) != NULL) {
        const char *w = p, *close = strchr(p, ')');
        char        op[16], tl[32], dev[64];
        while (w > s && (isalpha((unsigned char)w[-1]) || w[-1] == '_')) w--;
        if (close == NULL) break;
        copy_token(w, p, op, sizeof(op));
        for (p++; p < close;) {
            const char *e2;
            while (p < close && *p == ' ') p++;
            if ((e2 = tl_dev(p, close, tl, sizeof(tl), dev, sizeof(dev))) != NULL) {
                if (cfg_add_lane(t, ci, tl, dev, op) < 0) return -1;
                p = e2;
            } else {
                while (p < close && *p != ' ') p++;
            }
        }
        p = close + 1;
    }
    return 0;
}

/* A lane dump line ("lane[N]: idx:tl/dev.path md[M] -> remote usages"). */
static int feed_lane(fg_ucx_text_t *t, const char *proc, const char *s)
{
    const char *lp = strstr(s, "lane["), *rb, *tok, *tend, *q;
    char        name[96], tl[32], dev[64];
    long        ci;

    if (lp == NULL || (rb = strchr(lp, ']')) == NULL || rb[1] != ':') {
        return 0;
    }
    if ((q = strstr(s, "ep 0x")) != NULL && q < lp) {   /* "ep 0x7f…: lane[0]:" */
        const char *e = q + 3;
        while (isxdigit((unsigned char)*e) || *e == 'x') e++;
        copy_token(q, e, name, sizeof(name));
    } else {
        snprintf(name, sizeof(name), "ep#%ld", t->ep_block > 0 ? t->ep_block - 1 : 0);
    }
    tok = rb + 2;
    while (*tok == ' ') tok++;
    tend = tok;
    while (*tend && *tend != ' ') tend++;
    if ((ci = cfg_get(t, proc, name)) < 0) return -1;
    if (tend - tok == 2 && !strncmp(tok, "cm", 2)) {   /* "cm rdmacm": control only */
        const char *c2 = tend, *c2e;
        while (*c2 == ' ') c2++;
        for (c2e = c2; *c2e && *c2e != ' '; c2e++) {}
        if (c2e > c2) {
            copy_token(c2, c2e, tl, sizeof(tl));
            return cfg_add_lane(t, ci, tl, "", "cm");
        }
        return 0;
    }
    q = tok;
    while (q < tend && isdigit((unsigned char)*q)) q++;
    if (q < tend && *q == ':') tok = q + 1;
    if (tl_dev(tok, tend, tl, sizeof(tl), dev, sizeof(dev)) == NULL) {
        return 0;
    }
    {   /* ".0" path index: cut at the last dot followed by digits only */
        char *dot = strrchr(dev, '.');
        if (dot != NULL && dot[1] != '\0' && strspn(dot + 1, "0123456789") == strlen(dot + 1)) *dot = '\0';
    }
    if (cfg_add_lane(t, ci, tl, dev, "") < 0) return -1;
    if ((q = strstr(tend, "->")) == NULL) {
        return 0;
    }
    q += 2;
    while (*q == ' ') q++;
    while (*q && *q != ' ') q++;   /* the remote md/tl */
    while (*q) {                   /* usages, skipping "seg 4294967295" */
        const char *w = q, *we;
        char        word[32];
        while (*w == ' ') w++;
        for (we = w; *we && *we != ' '; we++) {}
        if (we == w) break;
        copy_token(w, we, word, sizeof(word));
        {
            char *hash = strchr(word, '#');
            if (hash != NULL) *hash = '\0';
        }
        if (word[0] != '\0' && strspn(word, "abcdefghijklmnopqrstuvwxyz_") == strlen(word) && strcmp(word, "seg") != 0) {
            if (cfg_add_lane(t, ci, tl, dev, word) < 0) return -1;
        }
        q = we;
    }
    return 0;
}

/* ucx_info -d and context resources. Returns 1 when the line was one. */
static int feed_resources(fg_ucx_text_t *t, const char *s)
{
    const char *p = s, *q;

    while (*p == '#' || *p == ' ') p++;
    if (!strncmp(p, "Transport:", 10)) {
        p += 10;
        while (*p == ' ') p++;
        copy_token(p, p + strcspn(p, " \r"), t->transport, sizeof(t->transport));
        return 1;
    }
    if (!strncmp(p, "Device:", 7) && t->transport[0] != '\0') {
        p += 7;
        while (*p == ' ') p++;
        if (*p != '\0') add_resource(t, t->transport, strlen(t->transport), p, strcspn(p, " \r"));
        return 1;
    }
    if (!strncmp(p, "Memory domain:", 14) || !strncmp(p, "Connection manager:", 19)) {
        t->transport[0] = '\0';   /* a CM is no data transport */
        return 1;
    }
    if (!strncmp(p, "resource ", 9) && (q = strstr(p, "-- ")) != NULL) {
        char tl[32], dev[64];
        q += 3;
        if (tl_dev(q, q + strcspn(q, " \r"), tl, sizeof(tl), dev, sizeof(dev)) != NULL) {
            add_resource(t, tl, strlen(tl), dev, strlen(dev));
        }
        return 1;
    }
    return 0;
}

int fg_ucx_text_feed(fg_ucx_text_t *t, const char *line, size_t len)
{
    char        buf[FG_UCX_LINE_MAX], proc[96], name[96], scope[16];
    char       *s, *b;
    const char *ne;
    int         ucx;
    long        ci;

    if (len >= sizeof(buf)) len = sizeof(buf) - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    s        = strip_prefix(buf, proc, sizeof(proc), &ucx);
    t->ucx_lines += ucx;
    for (b = s; *b == '#' || *b == ' '; b++) {}   /* "# | … |" tables of ucx_info */
    if (*b == '|' || *b == '+') {
        t->ucx_lines++;
        return *b == '|' ? feed_table_row(t, proc, b) : 0;
    }
    t->table = -1;
    if (!strncmp(s, "Version ", 8)) {
        copy_token(s + 8, s + 8 + strcspn(s + 8, " "), t->version, sizeof(t->version));
        return 0;
    }
    if (strstr(b, "UCP endpoint") != NULL) {
        t->ep_block++;
        t->ucx_lines++;
        return 0;
    }
    if (strstr(b, "lane[") != NULL) {
        t->ucx_lines++;
        return feed_lane(t, proc, b);
    }
    if ((ne = cfg_name(s, s + strlen(s), name, sizeof(name), scope, sizeof(scope))) != NULL) {
        if (strchr(ne, '(') == NULL && *ne != ':') {
            return 0;   /* a cfg name in prose, not a configuration line */
        }
        if ((ci = cfg_get(t, proc, name)) < 0) return -1;
        if (scope[0]) fg_strlcpy(t->cfg[ci].scope, scope, sizeof(t->cfg[ci].scope));
        t->ucx_lines++;
        return feed_groups(t, ci, ne);
    }
    if (feed_resources(t, s)) {
        t->ucx_lines++;
    }
    return 0;
}
