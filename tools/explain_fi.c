/* explain on libfabric's own text: fi_info output (what fi_getinfo offers
 * on this node, in its order) and FI_LOG_LEVEL lines (which providers had
 * nothing to offer, and why). An application that takes fi_getinfo's first
 * answer opens the first candidate: that one is judged with the shim's
 * rules; the others are listed with whether the policy allows them. */
#include <stdio.h>
#include <string.h>

#include "fabguard/json.h"
#include "fabguard/libfabric_text.h"
#include "fabguard/sysread.h"
#include "cli.h"
#include "explain.h"

int explain_looks_like_fi(const char *text, size_t len)
{
    return fg_fi_text_is(text, len);
}

static int allowed(const fg_policy_t *pol, const fg_ifset_t *mgmt, const fg_fi_obs_t *c)
{
    fg_findings_t f;
    memset(&f, 0, sizeof(f));
    fg_judge_libfabric(pol, mgmt, c, FG_FI_RULES_ALL, &f);
    return f.n == 0;
}

static void put_json(const fg_fi_text_t *t, const fg_policy_t *pol, const fg_ifset_t *mgmt,
                     const fg_findings_t *f, FILE *out)
{
    static char buf[1 << 17];
    fg_sbuf_t   sb;
    size_t      i;
    int         first;

    fg_sb_init(&sb, buf, sizeof(buf));
    fg_sb_puts(&sb, "{\"libfabric\":{\"candidates\":[");
    for (i = 0; i < t->n; i++) {
        const fg_fi_obs_t *c = &t->cand[i];
        first = 1;
        fg_sb_puts(&sb, i ? ",{" : "{");
        fg_json_kv_str(&sb, &first, "provider", c->provider);
        fg_json_kv_str(&sb, &first, "fabric", c->fabric[0] ? c->fabric : NULL);
        fg_json_kv_str(&sb, &first, "domain", c->domain[0] ? c->domain : NULL);
        fg_json_kv_str(&sb, &first, "ep_type", c->ep_type[0] ? c->ep_type : NULL);
        fg_json_key(&sb, &first, "hmem");
        fg_sb_puts(&sb, c->hmem < 0 ? "null" : c->hmem ? "true" : "false");
        fg_json_kv_bool(&sb, &first, "allowed", allowed(pol, mgmt, c));
        fg_sb_putc(&sb, '}');
    }
    fg_sb_puts(&sb, "],\"no_answer\":[");
    for (i = 0; i < t->nquiet; i++) {
        first = 1;
        fg_sb_puts(&sb, i ? ",{" : "{");
        fg_json_kv_str(&sb, &first, "provider", t->quiet[i]);
        fg_json_kv_str(&sb, &first, "why", t->why[i][0] ? t->why[i] : NULL);
        fg_sb_putc(&sb, '}');
    }
    fg_sb_puts(&sb, "]");
    first = 0;
    fg_json_kv_long(&sb, &first, "log_lines", (long)t->log_lines);
    fg_sb_puts(&sb, "},\"violations\":[");
    first = 1;
    fg_findings_json(&sb, f->v, f->n, NULL, &first);
    fg_sb_puts(&sb, "]}");
    fprintf(out, "%s\n", buf);
}

static void put_text(const char *name, const fg_fi_text_t *t, const fg_policy_t *pol,
                     const fg_ifset_t *mgmt, const fg_findings_t *f, FILE *out)
{
    size_t i, nallowed = 0, first_allowed = (size_t)-1;

    fprintf(out, "%s: libfabric, %zu candidate%s%s", name, t->n, t->n == 1 ? "" : "s",
            t->n ? " (fi_info)" : "");
    if (t->log_lines) {
        fprintf(out, ", %zu log line%s", t->log_lines, t->log_lines == 1 ? "" : "s");
    }
    fputc('\n', out);
    for (i = 0; i < t->n; i++) {
        if (allowed(pol, mgmt, &t->cand[i])) {
            if (nallowed++ == 0) first_allowed = i;
        }
    }
    if (t->n > 0) {
        const fg_fi_obs_t *c = &t->cand[0];
        fprintf(out, "  first (what fi_getinfo's first answer opens): %s fabric %s domain %s %s\n",
                c->provider, c->fabric[0] ? c->fabric : "?", c->domain[0] ? c->domain : "?",
                c->ep_type[0] ? c->ep_type : "");
        if (first_allowed == (size_t)-1) {
            fprintf(out, "  allowed by the policy: none\n");
        } else {
            c = &t->cand[first_allowed];
            fprintf(out, "  allowed by the policy: %zu (first: %s domain %s)\n", nallowed,
                    c->provider, c->domain[0] ? c->domain : "?");
        }
    }
    for (i = 0; i < t->nquiet; i++) {
        fprintf(out, "  no answer from %s%s%s\n", t->quiet[i], t->why[i][0] ? ": " : "", t->why[i]);
    }
    for (i = 0; i < f->n; i++) {
        cli_finding_line(out, "  ", &f->v[i], NULL, 1);
    }
    if (f->n == 0) {
        fprintf(out, "  verdict: ok\n");
    }
}

int explain_fi(const char *name, const char *text, size_t len,
               const fg_policy_t *pol, int json, FILE *out)
{
    static fg_fi_text_t t;
    fg_findings_t       f;
    fg_ifset_t          mgmt;

    fg_fi_text_parse(text, len, &t);
    memset(&f, 0, sizeof(f));
    memset(&mgmt, 0, sizeof(mgmt));
    fg_mgmt_ifaces(pol, NULL, &mgmt);
    if (t.n > 0) {
        fg_judge_libfabric(pol, &mgmt, &t.cand[0], FG_FI_RULES_ALL, &f);
    }
    if (json) {
        put_json(&t, pol, &mgmt, &f, out);
    } else {
        put_text(name, &t, pol, &mgmt, &f, out);
    }
    return f.n ? FG_EXIT_VIOLATION : FG_EXIT_OK;
}
