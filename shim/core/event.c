/* JSON Lines events (design: "Events"), the UTC timestamp, and the
 * UCX-style log file template. No allocation, no stdio on the event path:
 * the abort path formats its last event with these. */
#include "fabguard/event.h"
#include "fabguard/json.h"

#include <string.h>

void fg_event_init(fg_event_t *ev, const char *lib, const char *event,
                   const char *verdict)
{
    memset(ev, 0, sizeof(*ev));
    ev->lib     = lib;
    ev->event   = event;
    ev->verdict = verdict;
    ev->rank    = -1;
    ev->nranks  = -1;
}

/* Howard Hinnant's days-to-civil; pure arithmetic, async-signal-safe. */
static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
    long     era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp  = (5 * doy + 2) / 153;
    *d  = doy - (153 * mp + 2) / 5 + 1;
    *m  = mp < 10 ? mp + 3 : mp - 9;
    *y  = (long)yoe + era * 400 + (*m <= 2);
}

static void put2(fg_sbuf_t *sb, unsigned v, unsigned width)
{
    char     tmp[4];
    unsigned i;

    for (i = width; i > 0; i--) {
        tmp[i - 1] = (char)('0' + v % 10);
        v /= 10;
    }
    fg_sb_putn(sb, tmp, width);
}

static void format_civil(fg_sbuf_t *sb, time_t t, char date_sep, char tsep,
                         char time_sep)
{
    long     days = (long)(t / 86400), secs = (long)(t % 86400), y;
    unsigned m, d;

    if (secs < 0) {
        secs += 86400;
        days -= 1;
    }
    civil_from_days(days, &y, &m, &d);
    put2(sb, (unsigned)y, 4);
    fg_sb_putc(sb, date_sep);
    put2(sb, m, 2);
    fg_sb_putc(sb, date_sep);
    put2(sb, d, 2);
    fg_sb_putc(sb, tsep);
    put2(sb, (unsigned)(secs / 3600), 2);
    fg_sb_putc(sb, time_sep);
    put2(sb, (unsigned)(secs / 60 % 60), 2);
    fg_sb_putc(sb, time_sep);
    put2(sb, (unsigned)(secs % 60), 2);
}

void fg_format_utc_ms(const struct timespec *ts, char *buf, size_t cap)
{
    fg_sbuf_t sb;

    fg_sb_init(&sb, buf, cap);
    format_civil(&sb, ts->tv_sec, '-', 'T', ':');
    fg_sb_putc(&sb, '.');
    put2(&sb, (unsigned)(ts->tv_nsec / 1000000), 3);
    fg_sb_putc(&sb, 'Z');
}

static void put_lanes(fg_sbuf_t *sb, int *first, const fg_lane_t *lanes,
                      size_t n)
{
    size_t i;

    fg_json_key(sb, first, "lanes");
    fg_sb_putc(sb, '[');
    for (i = 0; i < n; i++) {
        int f = 1;
        if (i > 0) {
            fg_sb_putc(sb, ',');
        }
        fg_sb_putc(sb, '{');
        fg_json_kv_str(sb, &f, "transport", lanes[i].transport);
        fg_json_kv_str(sb, &f, "device", lanes[i].device);
        if (lanes[i].usage[0] != '\0') {
            fg_json_kv_str(sb, &f, "usage", lanes[i].usage);
        }
        fg_sb_putc(sb, '}');
    }
    fg_sb_putc(sb, ']');
}

/* Commit point: everything up to `good` is a complete set of fields. */
static int field_done(fg_sbuf_t *sb, size_t *good)
{
    if (sb->truncated) {
        return 0;
    }
    *good = sb->len;
    return 1;
}

size_t fg_event_format(const fg_event_t *ev, const fg_event_origin_t *origin,
                       char *buf, size_t cap)
{
    fg_sbuf_t sb;
    char      ts[32];
    size_t    good, i;
    int       first = 1;

    if (cap < 4) {
        return 0;
    }
    /* keep 2 bytes for the closing "}\n" */
    fg_sb_init(&sb, buf, cap - 2);
    fg_sb_putc(&sb, '{');
    fg_format_utc_ms(&origin->ts, ts, sizeof(ts));
    fg_json_kv_str(&sb, &first, "ts", ts);
    fg_json_kv_str(&sb, &first, "host", origin->host);
    fg_json_kv_long(&sb, &first, "pid", origin->pid);
    fg_json_kv_str(&sb, &first, "prog", origin->prog);
    fg_json_kv_str(&sb, &first, "lib", ev->lib);
    fg_json_kv_str(&sb, &first, "event", ev->event);
    fg_json_kv_str(&sb, &first, "verdict", ev->verdict);
    good = 0;
    if (!field_done(&sb, &good)) {
        goto out;   /* not even the required keys fit */
    }
    if (origin->fork_parent > 0) {
        fg_json_kv_long(&sb, &first, "fork_parent", origin->fork_parent);
        if (!field_done(&sb, &good)) goto out;
    }
    if (ev->rule != NULL) {
        fg_json_kv_str(&sb, &first, "rule", ev->rule);
        if (!field_done(&sb, &good)) goto out;
    }
    if (ev->comm != NULL) {
        fg_json_kv_str(&sb, &first, "comm", ev->comm);
        if (!field_done(&sb, &good)) goto out;
    }
    if (ev->rank >= 0) {
        fg_json_kv_long(&sb, &first, "rank", ev->rank);
        if (!field_done(&sb, &good)) goto out;
    }
    if (ev->nranks >= 0) {
        fg_json_kv_long(&sb, &first, "nranks", ev->nranks);
        if (!field_done(&sb, &good)) goto out;
    }
    if (ev->lanes != NULL) {
        put_lanes(&sb, &first, ev->lanes, ev->nlanes);
        if (!field_done(&sb, &good)) goto out;
    }
    if (ev->gpu != NULL) {
        fg_json_kv_str(&sb, &first, "gpu", ev->gpu);
        if (!field_done(&sb, &good)) goto out;
    }
    if (ev->nic != NULL) {
        fg_json_kv_str(&sb, &first, "nic", ev->nic);
        if (!field_done(&sb, &good)) goto out;
    }
    for (i = 0; i < ev->nextra; i++) {
        fg_json_key(&sb, &first, ev->extra[i].key);
        if (ev->extra[i].raw) {
            fg_sb_puts(&sb, ev->extra[i].value);
        } else {
            fg_json_str(&sb, ev->extra[i].value);
        }
        if (!field_done(&sb, &good)) goto out;
    }
    if (ev->detail != NULL) {
        fg_json_kv_str(&sb, &first, "detail", ev->detail);
        field_done(&sb, &good);
    }
out:
    if (good == 0) {
        return 0;
    }
    buf[good]     = '}';
    buf[good + 1] = '\n';
    buf[good + 2] = '\0';
    return good + 2;
}

/* A value expanded into a path must stay one path component. */
static void put_component(fg_sbuf_t *sb, const char *v)
{
    size_t i;

    if (v == NULL || v[0] == '\0') {
        fg_sb_puts(sb, "unknown");
        return;
    }
    for (i = 0; v[i] != '\0'; i++) {
        char c = v[i];
        if (c == '/' || (unsigned char)c < 0x20 || (i == 0 && c == '.')) {
            c = '_';
        }
        fg_sb_putc(sb, c);
    }
}

int fg_template_expand(const char *tmpl, const fg_template_vars_t *vars,
                       char *out, size_t cap, const char **err_reason)
{
    fg_sbuf_t   sb;
    const char *p;

    fg_sb_init(&sb, out, cap);
    for (p = tmpl; *p != '\0'; p++) {
        if (*p != '%') {
            fg_sb_putc(&sb, *p);
            continue;
        }
        p++;
        switch (*p) {
        case 'h': put_component(&sb, vars->host); break;
        case 'p': fg_sb_putl(&sb, vars->pid); break;
        case 'e': put_component(&sb, vars->prog); break;
        case 'u': put_component(&sb, vars->user); break;
        case 't': format_civil(&sb, vars->time, '-', '-', ':'); break;
        case '%': fg_sb_putc(&sb, '%'); break;
        case '\0':
            *err_reason = "template ends with a lone '%'";
            return -1;
        default:
            *err_reason = "unknown %-sequence in template (use %h %p %e %t %u %%)";
            return -1;
        }
    }
    if (sb.truncated) {
        *err_reason = "expanded path too long";
        return -1;
    }
    return 0;
}
