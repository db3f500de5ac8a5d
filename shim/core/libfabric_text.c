/* fi_info output and libfabric log lines -> facts (include/fabguard/
 * libfabric_text.h). Formats from libfabric's util/info.c (default:
 * "provider: P" then indented "fabric:", "domain:", "type:"; -v: a
 * "fi_info:" block with "caps: [ … ]" and fi_ep_attr/fi_domain_attr/
 * fi_fabric_attr sub-blocks) and src/log.c (the "libfabric:" prefix). */
#include "fabguard/libfabric_text.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *p;
    size_t      n;
} span_t;

static span_t trim(const char *p, size_t n)
{
    span_t s;
    while (n > 0 && (*p == ' ' || *p == '\t')) { p++; n--; }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r')) n--;
    s.p = p;
    s.n = n;
    return s;
}

static void put(char *dst, size_t cap, span_t v)
{
    size_t n = v.n < cap - 1 ? v.n : cap - 1;
    memcpy(dst, v.p, n);
    dst[n] = '\0';
}

/* "key: value" with the key exactly `key` (after indentation). */
static int keyed(span_t line, const char *key, span_t *val)
{
    size_t k = strlen(key);
    if (line.n < k + 1 || memcmp(line.p, key, k) != 0 || line.p[k] != ':') {
        return 0;
    }
    *val = trim(line.p + k + 1, line.n - k - 1);
    return 1;
}

static const char *ep_type_of(span_t v)
{
    static const struct { const char *fi, *name; } t[] = {
        { "FI_EP_MSG", "msg" }, { "FI_EP_RDM", "rdm" }, { "FI_EP_DGRAM", "dgram" },
        { "FI_EP_UNSPEC", "unspec" }, { "FI_EP_SOCK_STREAM", "sock_stream" },
        { "FI_EP_SOCK_DGRAM", "sock_dgram" } };
    size_t i;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (v.n == strlen(t[i].fi) && memcmp(v.p, t[i].fi, v.n) == 0) {
            return t[i].name;
        }
    }
    return "?";
}

static int contains(span_t s, const char *needle)
{
    size_t k = strlen(needle), i;
    for (i = 0; i + k <= s.n; i++) {
        if (memcmp(s.p + i, needle, k) == 0) return 1;
    }
    return 0;
}

int fg_fi_text_is(const char *text, size_t len)
{
    fg_fi_text_t *t;
    static fg_fi_text_t scratch;   /* large: not on the stack */
    t = &scratch;
    fg_fi_text_parse(text, len, t);
    return t->n > 0 || t->log_lines > 0;
}

static fg_fi_obs_t *new_cand(fg_fi_text_t *out)
{
    fg_fi_obs_t *c;
    if (out->n == FG_FI_MAX_CANDIDATES) {
        out->dropped++;
        return NULL;
    }
    c = &out->cand[out->n++];
    memset(c, 0, sizeof(*c));
    c->hmem = -1;
    return c;
}

static void note_quiet(fg_fi_text_t *out, const char *prov, const char *why)
{
    size_t i;
    for (i = 0; i < out->nquiet; i++) {
        if (strcmp(out->quiet[i], prov) == 0) {
            if (why[0] && !out->why[i][0]) fg_strlcpy(out->why[i], why, sizeof(out->why[i]));
            return;
        }
    }
    if (out->nquiet < FG_FI_MAX_NOTES) {
        fg_strlcpy(out->quiet[out->nquiet], prov, sizeof(out->quiet[0]));
        fg_strlcpy(out->why[out->nquiet], why, sizeof(out->why[0]));
        out->nquiet++;
    }
}

/* One "libfabric:PID:TS:…:PROV:SUBSYS:FUNC():LINE<level> msg" line. */
static void log_line(fg_fi_text_t *out, span_t line)
{
    static const char ret[] = "fi_getinfo: provider ";
    const char *lt = memchr(line.p, '<', line.n), *gt, *m;
    span_t      msg;
    char        prov[64], buf[256];

    out->log_lines++;
    if (lt == NULL || (gt = memchr(lt, '>', line.n - (size_t)(lt - line.p))) == NULL) {
        return;
    }
    msg = trim(gt + 1, line.n - (size_t)(gt + 1 - line.p));
    put(buf, sizeof(buf), msg);
    if (strncmp(buf, ret, sizeof(ret) - 1) == 0 && strstr(buf, " returned -61") != NULL) {
        m = buf + sizeof(ret) - 1;
        snprintf(prov, sizeof(prov), "%.*s", (int)strcspn(m, " "), m);
        note_quiet(out, prov, "");
        return;
    }
    /* the verbs provider's own reason: no device in this pod */
    if (strcmp(buf, "no RDMA devices found") == 0 && contains(line, "::verbs:")) {
        note_quiet(out, "verbs", "no RDMA devices found");
    } else if (contains(line, "::efa:") && (strstr(buf, "No EFA") != NULL ||
                                             strstr(buf, "Failed to") != NULL)) {
        note_quiet(out, "efa", buf);
    }
}

/* A provider that answered for one layering (tcp under ofi_rxm) may say
 * -61 for another (tcp under ofi_rxd): only one with no candidate at all
 * had nothing to offer. */
static int offered(const fg_fi_text_t *out, const char *prov)
{
    size_t i, k = strlen(prov);
    for (i = 0; i < out->n; i++) {
        const char *c = out->cand[i].provider, *hit = c;
        while ((hit = strstr(hit, prov)) != NULL) {
            if ((hit == c || hit[-1] == ';') && (hit[k] == '\0' || hit[k] == ';')) return 1;
            hit += k;
        }
    }
    return 0;
}

static void drop_offered(fg_fi_text_t *out)
{
    size_t i, j = 0;
    for (i = 0; i < out->nquiet; i++) {
        if (offered(out, out->quiet[i])) continue;
        if (i != j) {
            memcpy(out->quiet[j], out->quiet[i], sizeof(out->quiet[0]));
            memcpy(out->why[j], out->why[i], sizeof(out->why[0]));
        }
        j++;
    }
    out->nquiet = j;
}

void fg_fi_text_parse(const char *text, size_t len, fg_fi_text_t *out)
{
    const char  *p = text, *end = text + len;
    fg_fi_obs_t *c = NULL;
    char         section[32] = "";

    memset(out, 0, sizeof(*out));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t      n  = nl ? (size_t)(nl - p) : (size_t)(end - p);
        span_t      raw = { p, n }, line = trim(p, n), v;
        int         indented = n > 0 && (p[0] == ' ' || p[0] == '\t');
        const char *lf = raw.n >= 10 ? memchr(raw.p, 'l', raw.n) : NULL;

        p = nl ? nl + 1 : end;
        if (lf != NULL && (size_t)(end - lf) >= 10 && memcmp(lf, "libfabric:", 10) == 0) {
            log_line(out, (span_t){ lf, raw.n - (size_t)(lf - raw.p) });
            continue;
        }
        if (!indented && keyed(line, "provider", &v)) {          /* default format */
            if ((c = new_cand(out)) != NULL) put(c->provider, sizeof(c->provider), v);
            section[0] = '\0';
            continue;
        }
        if (!indented && line.n == 8 && memcmp(line.p, "fi_info:", 8) == 0) {   /* -v */
            c = new_cand(out);
            section[0] = '\0';
            continue;
        }
        if (c == NULL || !indented) {
            if (!indented) c = NULL;
            continue;
        }
        if (line.n > 0 && line.p[line.n - 1] == ':' && line.n < sizeof(section)) {
            put(section, sizeof(section), (span_t){ line.p, line.n - 1 });
            continue;
        }
        if (section[0] == '\0') {
            if (keyed(line, "fabric", &v)) put(c->fabric, sizeof(c->fabric), v);
            else if (keyed(line, "domain", &v)) put(c->domain, sizeof(c->domain), v);
            else if (keyed(line, "type", &v)) fg_strlcpy(c->ep_type, ep_type_of(v), sizeof(c->ep_type));
            else if (keyed(line, "caps", &v)) c->hmem = contains(v, "FI_HMEM");
        } else if (strcmp(section, "fi_fabric_attr") == 0) {
            if (keyed(line, "prov_name", &v)) put(c->provider, sizeof(c->provider), v);
            else if (keyed(line, "name", &v)) put(c->fabric, sizeof(c->fabric), v);
        } else if (strcmp(section, "fi_domain_attr") == 0) {
            if (keyed(line, "name", &v)) put(c->domain, sizeof(c->domain), v);
        } else if (strcmp(section, "fi_ep_attr") == 0) {
            if (keyed(line, "type", &v)) fg_strlcpy(c->ep_type, ep_type_of(v), sizeof(c->ep_type));
        }
    }
    drop_offered(out);
}
