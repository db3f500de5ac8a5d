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
