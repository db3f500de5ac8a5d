/* The verdict: format the finding line with its rule, write the event, the
 * stderr line once per distinct finding, and act per mode. Takes the policy
 * and state from core; calls only report and act below it. */
#include "verdict.h"
#include "act.h"
#include "core.h"
#include "count.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

/* "ucx.forbid_transports=tcp" for a rule that is a policy key. */
static void rule_with_value(const char *rule, char *buf, size_t cap)
{
    const fg_key_info_t *keys;
    size_t               n, i;
    char                 name[64], value[256];

    keys = fg_policy_keys(&n);
    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s.%s", keys[i].section, keys[i].name);
        if (strcmp(name, rule) == 0) {
            fg_policy_value_text(fg_core_policy(), keys[i].key, value, sizeof(value));
            snprintf(buf, cap, "%s=%s", rule, value);
            return;
        }
    }
    fg_strlcpy(buf, rule, cap);
}

static size_t format_violation(const fg_event_t *ev, const fg_finding_t *f,
                               char *buf, size_t cap)
{
    char      rule[320];
    fg_sbuf_t sb;

    rule_with_value(f->rule, rule, sizeof(rule));
    fg_sb_init(&sb, buf, cap - 1);
    fg_sb_printf(&sb, "fabguard: VIOLATION %s %s %s (%s)", ev->lib, ev->event,
                 f->detail, rule);
    if (f->fix[0] != '\0') {
        fg_sb_printf(&sb, " \xe2\x80\x94 %s", f->fix);
    }
    fg_sb_putc(&sb, '\n');
    if (sb.truncated) {
        buf[sb.len++] = '\n';
    }
    return sb.len;
}

static fg_outcome_t act(const char *msg, size_t len)
{
    fg_action_t a = fg_core_policy()->on_violation;

    if (fg_core_state() == FG_STATE_FAIL_CLOSED) {
        fg_core_broken(NULL, &a);
    }
    switch (a) {
    case FG_ACT_ABORT:
        fg_act_abort(msg, len);
    case FG_ACT_EXIT:
        fg_act_exit();
    case FG_ACT_FAIL:
    default:
        return FG_GO_FAIL;
    }
}

/* Written unless a flood of identical lines is being counted instead. */
static void report_admitted(const fg_event_t *ev)
{
    if (fg_report_admit(ev)) {
        fg_report_event(ev);
    } else {
        fg_count(FG_COUNT_SUPPRESSED);
    }
}

fg_outcome_t fg_verdict_report_and_act(fg_event_t *ev, const fg_findings_t *f)
{
    const fg_policy_t *policy = fg_core_policy();
    char               all[4096], line[1024], key[700];
    size_t             i, used = 0;

    if (f->n == 0) {
        ev->verdict = "ok";
        ev->rule    = NULL;
        report_admitted(ev);
        return FG_GO_ON;
    }
    for (i = 0; i < f->n; i++) {
        size_t n = format_violation(ev, &f->v[i], line, sizeof(line));
        fg_count(FG_COUNT_VIOLATIONS);
        ev->verdict = "violation";
        ev->rule    = f->v[i].rule;
        ev->detail  = f->v[i].detail;
        report_admitted(ev);
        snprintf(key, sizeof(key), "%s|%s|%s|%s", ev->lib, ev->event,
                 f->v[i].rule, f->v[i].detail);
        /* one stderr line per distinct finding per process; the abort
         * message carries every finding of the call that ends the process */
        if (policy->mode >= FG_MODE_WARN && fg_report_first_time(key) &&
            !(policy->mode == FG_MODE_ENFORCE && policy->on_violation == FG_ACT_ABORT)) {
            fg_report_stderr_line(line, n);
        }
        if (used + n < sizeof(all)) {
            memcpy(all + used, line, n);
            used += n;
        }
    }
    if (policy->mode != FG_MODE_ENFORCE) {
        return FG_GO_ON;
    }
    return act(all, used);
}

void fg_verdict_info(const char *lib, const char *event, const char *detail)
{
    fg_event_t ev;

    fg_event_init(&ev, lib, event, "info");
    ev.detail = detail;
    fg_report_event(&ev);
}

fg_outcome_t fg_verdict_fail_closed(const char *lib, const char *what)
{
    fg_event_t  ev;
    const char *broken_msg;
    fg_action_t broken_action;
    char        line[1000];
    int         n;

    fg_core_broken(&broken_msg, &broken_action);
    fg_event_init(&ev, "fabguard", "policy", "violation");
    ev.rule   = "fabguard.policy";
    ev.detail = broken_msg;
    fg_report_event(&ev);   /* usually nowhere: the log path is in the policy */
    n = snprintf(line, sizeof(line),
                 "fabguard: VIOLATION %s %s refused: %s (enforce mode fails closed) "
                 "\xe2\x80\x94 fix the policy (check it with `fabguard policy FILE`)\n",
                 lib, what, broken_msg);
    if (n < 0) {
        n = 0;
    }
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
    }
    fg_count(FG_COUNT_VIOLATIONS);
    if (broken_action != FG_ACT_ABORT) {
        fg_report_stderr_line(line, (size_t)n);
    }
    return act(line, (size_t)n);
}
