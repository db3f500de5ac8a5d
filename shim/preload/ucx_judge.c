/* Judging one endpoint (or endpoint configuration) and reporting it with
 * what it is about (design: Events): kind, id, lane source, UCX version,
 * peer, and on a violation the mode and the action taken. */
#include "ucx_judge.h"
#include "core.h"
#include "count.h"
#include "report.h"
#include "gpu.h"

#include "fabguard/judge.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

uint64_t fg_ucx_lanes_fingerprint(const fg_lane_set_t *lanes)
{
    uint64_t h = FG_FNV1A_BASIS;
    size_t   i;

    for (i = 0; i < lanes->n; i++) {
        h = fg_fnv1a_byte(fg_fnv1a(h, lanes->lane[i].transport), '/');
        h = fg_fnv1a_byte(fg_fnv1a(h, lanes->lane[i].device), ';');
    }
    return h | 1;
}

/* What enforcement does with a violation of this endpoint. */
static const char *action_of(const fg_ucx_ep_desc_t *d)
{
    const fg_policy_t *pol = fg_core_policy();

    if (pol->mode != FG_MODE_ENFORCE) {
        return "none";
    }
    switch (pol->on_violation) {
    case FG_ACT_ABORT: return "abort";
    case FG_ACT_EXIT:  return "exit";
    default:           return d->if_fail;
    }
}

static const char *mode_name(fg_mode_t m)
{
    return m == FG_MODE_ENFORCE ? "enforce" : m == FG_MODE_WARN ? "warn"
         : m == FG_MODE_LOG ? "log" : "off";
}

/* Thousands of endpoints with the same lanes: once report.c would only
 * count their identical events (FG_ADMIT_PER_KEY, 16), judging and
 * formatting them again buys nothing; they are counted exactly as the
 * full path would count them (cost: issue 12 item 8). */
#define FG_JUDGED_SLOTS  256
#define FG_JUDGED_REPEAT 64
static pthread_mutex_t judged_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    uint64_t     key;
    unsigned     count, nfind;
    fg_outcome_t out;
} judged[FG_JUDGED_SLOTS];

static uint64_t judge_key(const fg_lane_set_t *lanes, const fg_ucx_ep_desc_t *d)
{
    uint64_t h = fg_fnv1a(fg_ucx_lanes_fingerprint(lanes), d->kind);

    return (h ^ (uint64_t)d->not_final) | 1;
}

/* 1 when this judgment repeats a settled one: counted, *out set. */
static int judged_before(uint64_t key, fg_outcome_t *out)
{
    size_t   slot = (size_t)(key % FG_JUDGED_SLOTS);
    unsigned nfind = 0, i;
    int      hit   = 0;

    pthread_mutex_lock(&judged_lock);
    if (judged[slot].key == key && judged[slot].count >= FG_JUDGED_REPEAT) {
        hit   = 1;
        nfind = judged[slot].nfind;
        *out  = judged[slot].out;
    }
    pthread_mutex_unlock(&judged_lock);
    for (i = 0; hit && i < nfind; i++) {
        fg_count(FG_COUNT_VIOLATIONS);
        fg_count(FG_COUNT_SUPPRESSED);
    }
    if (hit && nfind == 0) {
        fg_count(FG_COUNT_SUPPRESSED);
    }
    return hit;
}

static void judged_note(uint64_t key, unsigned nfind, fg_outcome_t out)
{
    size_t slot = (size_t)(key % FG_JUDGED_SLOTS);

    pthread_mutex_lock(&judged_lock);
    if (judged[slot].key != key) {   /* a collision replaces the slot */
        judged[slot].key   = key;
        judged[slot].count = 0;
    }
    judged[slot].count++;
    judged[slot].nfind = nfind;
    judged[slot].out   = out;
    pthread_mutex_unlock(&judged_lock);
}

static fg_outcome_t judge_and_report(const fg_ucx_copy_t *c, const fg_lane_set_t *lanes,
                                     const fg_ucx_ep_desc_t *d, unsigned *nfind);

/* Judge an endpoint's lanes and report them with what they are about. */
fg_outcome_t fg_ucx_judge(const fg_ucx_copy_t *c, const fg_lane_set_t *lanes,
                          const fg_ucx_ep_desc_t *d)
{
    uint64_t     key = judge_key(lanes, d);
    unsigned     nfind = 0;
    fg_outcome_t out;

    if (!d->not_final && judged_before(key, &out)) {
        return out;
    }
    out = judge_and_report(c, lanes, d, &nfind);   /* abort/exit do not return */
    judged_note(key, nfind, out);
    return out;
}

static fg_outcome_t judge_and_report(const fg_ucx_copy_t *c, const fg_lane_set_t *lanes,
                                     const fg_ucx_ep_desc_t *d, unsigned *nfind)
{
    fg_findings_t f, adv;
    char          gpu[20] = "", nic[128] = "";
    fg_event_t    ev;
    fg_kv_t       kv[11];
    size_t        n = 0;

    memset(&f, 0, sizeof(f));
    fg_judge_ucx_lanes(fg_core_policy(), fg_core_mgmt(), lanes, &f);
    fg_gpu_judge_lanes(lanes, d->locality, &f);                 /* [topology] */
    fg_topo_split_advisories(fg_core_policy(), &f, &adv);
    *nfind  = (unsigned)(f.n + adv.n);
    kv[n++] = (fg_kv_t){ "when", d->when, 0 };
    kv[n++] = (fg_kv_t){ "kind", d->kind, 0 };
    kv[n++] = (fg_kv_t){ "ep_id", d->id, 0 };
    kv[n++] = (fg_kv_t){ "lane_source", d->source, 0 };
    kv[n++] = (fg_kv_t){ "ucx_version", c->version, 0 };
    if (d->peer != NULL && d->peer[0] != '\0') {
        kv[n++] = (fg_kv_t){ "peer", d->peer, 0 };
    }
    if (d->locality != NULL && d->locality[0] != '\0') {
        kv[n++] = (fg_kv_t){ "locality", d->locality, 0 };
    }
    if (f.n > 0) {
        kv[n++] = (fg_kv_t){ "mode", mode_name(fg_core_policy()->mode), 0 };
        kv[n++] = (fg_kv_t){ "action", d->not_final ? "none (lanes not final: judged again after wireup)"
                                                    : action_of(d), 0 };
    }
    fg_event_init(&ev, "ucx", "endpoint", "ok");
    if (fg_gpu_fields(lanes, gpu, sizeof(gpu), nic, sizeof(nic))) {
        ev.gpu = gpu;
        ev.nic = nic[0] ? nic : NULL;
    }
    ev.lanes  = lanes->lane;
    ev.nlanes = lanes->n;
    ev.extra  = kv;
    ev.nextra = n;
    if (f.n == 0 && adv.n > 0 && !d->not_final) {
        /* the right path, not just "not TCP": reported, never acted on */
        kv[n++]    = (fg_kv_t){ "advisory", adv.v[0].rule, 0 };
        ev.nextra  = n;
        ev.verdict = "info";
        ev.rule    = adv.v[0].rule;   /* report's rail table counts it */
        ev.detail  = adv.v[0].detail;
        fg_gpu_note_advisories(&adv);
        if (fg_report_admit(&ev)) {
            fg_report_event(&ev);
        }
        return FG_GO_ON;
    }
    if (d->not_final && f.n > 0) {
        /* wireup lanes of a client/server endpoint: evidence, not a verdict
         * (1.13 wires up over tcp/lo and then moves to shared memory) */
        ev.verdict = "info";
        ev.detail  = f.v[0].detail;
        if (fg_report_admit(&ev)) {
            fg_report_event(&ev);
        }
        return FG_GO_ON;
    }
    return fg_verdict_report_and_act(&ev, &f);
}

