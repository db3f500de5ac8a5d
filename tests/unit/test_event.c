/* JSON escaping of any byte, the event writer (fields, truncation at a field
 * boundary that still closes valid JSON), UTC timestamps, log templates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fabguard/event.h"
#include "fabguard/event_read.h"
#include "fabguard/json.h"
#include "unit.h"

/* Minimal JSON validator for what the writer emits (objects, arrays,
 * strings, numbers, literals): 1 when the whole text is one valid value. */
static const char *skip_ws(const char *p) { while (*p == ' ' || *p == '\n') p++; return p; }
static const char *value(const char *p, int depth);
static const char *string(const char *p)
{
    if (*p++ != '"') return NULL;
    while (*p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c == '\0' || c < 0x20) return NULL;
        if (c == '\\') {
            p++;
            if (*p == 'u') { int i; for (i = 1; i <= 4; i++) if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i]) return NULL; p += 5; continue; }
            if (!strchr("\"\\/bfnrt", *p) || !*p) return NULL;
        }
        p++;
    }
    return p + 1;
}
static const char *value(const char *p, int depth)
{
    p = skip_ws(p);
    if (depth > 32) return NULL;
    if (*p == '"') return string(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        int obj = *p == '{';
        p = skip_ws(p + 1);
        if (*p == close) return p + 1;
        for (;;) {
            if (obj) { p = string(skip_ws(p)); if (!p) return NULL; p = skip_ws(p); if (*p++ != ':') return NULL; }
            p = value(p, depth + 1); if (!p) return NULL;
            p = skip_ws(p);
            if (*p == ',') { p++; continue; }
            if (*p == close) return p + 1;
            return NULL;
        }
    }
    if (*p == '-' || (*p >= '0' && *p <= '9')) { p++; while ((*p >= '0' && *p <= '9') || *p == '.') p++; return p; }
    if (!strncmp(p, "true", 4)) return p + 4;
    if (!strncmp(p, "false", 5)) return p + 5;
    if (!strncmp(p, "null", 4)) return p + 4;
    return NULL;
}
static int valid_json(const char *text)
{
    const char *end = value(text, 0);
    return end != NULL && *skip_ws(end) == '\0';
}

static char *esc(const char *s, size_t n)
{
    static char buf[4096];
    fg_sbuf_t sb;
    fg_sb_init(&sb, buf, sizeof(buf));
    fg_json_strn(&sb, s, n);
    return buf;
}

START_TEST(json_escapes_every_byte)
{
    char in[1], expect[16];
    int  c;
    for (c = 0; c < 256; c++) {
        char *out;
        in[0] = (char)c;
        out = esc(in, 1);
        ck_assert_msg(valid_json(out), "byte %d -> %s", c, out);
        if (c == '"') ck_assert_str_eq(out, "\"\\\"\"");
        else if (c == '\\') ck_assert_str_eq(out, "\"\\\\\"");
        else if (c == '\n') ck_assert_str_eq(out, "\"\\n\"");
        else if (c < 0x20 && c != '\t' && c != '\r') { snprintf(expect, sizeof(expect), "\"\\u%04x\"", c); ck_assert_str_eq(out, expect); }
        else if (c >= 0x80) { snprintf(expect, sizeof(expect), "\"\\u00%02x\"", c); ck_assert_str_eq(out, expect); }
    }
}
END_TEST

START_TEST(json_utf8_kept_invalid_escaped)
{
    ck_assert_str_eq(esc("m\xc3\xa9moire \xe2\x80\x94 \xf0\x9f\x9a\x80", 17), "\"m\xc3\xa9moire \xe2\x80\x94 \xf0\x9f\x9a\x80\"");
    ck_assert_str_eq(esc("\xc0\xaf", 2), "\"\\u00c0\\u00af\"");            /* overlong '/' */
    ck_assert_str_eq(esc("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\""); /* surrogate */
    ck_assert_str_eq(esc("\xf4\x90\x80\x80", 4), "\"\\u00f4\\u0090\\u0080\\u0080\""); /* > U+10FFFF */
    ck_assert_str_eq(esc("a\xe2\x80", 3), "\"a\\u00e2\\u0080\"");           /* truncated */
    ck_assert_str_eq(esc("a\0b", 3), "\"a\\u0000b\"");
    ck_assert(valid_json(esc("\x7f\x01\xff", 3)));
}
END_TEST

START_TEST(sbuf_never_overflows)
{
    char      buf[8];
    fg_sbuf_t sb;
    fg_sb_init(&sb, buf, sizeof(buf));
    fg_sb_puts(&sb, "0123456789");
    ck_assert_str_eq(buf, "0123456");
    ck_assert(sb.truncated);
    fg_sb_init(&sb, buf, sizeof(buf));
    fg_sb_putl(&sb, -1234567);
    ck_assert_str_eq(buf, "-123456");
    fg_sb_init(&sb, buf, sizeof(buf));
    fg_sb_printf(&sb, "%s", "abcdefghij");
    ck_assert_str_eq(buf, "abcdefg");
}
END_TEST

static fg_event_origin_t origin(void)
{
    fg_event_origin_t o;
    o.ts.tv_sec  = 1795503021;   /* 2026-11-24T06:50:21Z */
    o.ts.tv_nsec = 123000000;
    o.host       = "node7";
    o.pid        = 4242;
    o.prog       = "python3";
    o.fork_parent = 0;
    return o;
}

START_TEST(event_has_design_fields)
{
    fg_event_t        ev;
    fg_lane_t         lanes[1] = { { "tcp", "eth0", "" } };
    fg_event_origin_t o = origin();
    char              buf[2048];
    size_t            n;

    fg_event_init(&ev, "ucx", "endpoint", "violation");
    ev.rule   = "ucx.forbid_transports";
    ev.lanes  = lanes;
    ev.nlanes = 1;
    ev.detail = "lane 1 uses tcp on eth0";
    n = fg_event_format(&ev, &o, buf, sizeof(buf));
    ck_assert_uint_eq(n, strlen(buf));
    ck_assert_str_eq(buf, "{\"ts\":\"2026-11-24T06:50:21.123Z\",\"host\":\"node7\",\"pid\":4242,"
                          "\"prog\":\"python3\",\"lib\":\"ucx\",\"event\":\"endpoint\","
                          "\"verdict\":\"violation\",\"rule\":\"ucx.forbid_transports\","
                          "\"lanes\":[{\"transport\":\"tcp\",\"device\":\"eth0\"}],"
                          "\"detail\":\"lane 1 uses tcp on eth0\"}\n");
}
END_TEST

START_TEST(event_nccl_fields_fork_parent_extra)
{
    fg_event_t        ev;
    fg_kv_t           kv[2] = { { "net", "IB", 0 }, { "counts", "{\"a\":1}", 1 } };
    fg_event_origin_t o = origin();
    char              buf[2048];

    o.fork_parent = 77;
    fg_event_init(&ev, "nccl", "comm", "ok");
    ev.comm = "0x5a1f"; ev.rank = 3; ev.nranks = 8; ev.extra = kv; ev.nextra = 2;
    fg_event_format(&ev, &o, buf, sizeof(buf));
    ck_assert(strstr(buf, "\"fork_parent\":77,\"comm\":\"0x5a1f\",\"rank\":3,\"nranks\":8,\"net\":\"IB\",\"counts\":{\"a\":1}}") != NULL);
    ck_assert(valid_json(buf));
}
END_TEST

/* rails: optional gpu/nic fields, absent unless set, read back by report */
START_TEST(event_gpu_nic_fields_round_trip)
{
    fg_event_t        ev;
    fg_event_rec_t    rec;
    fg_event_origin_t o = origin();
    char              buf[2048];
    size_t            n;

    fg_event_init(&ev, "nccl", "comm", "ok");
    ev.comm = "0x5a1f";
    n = fg_event_format(&ev, &o, buf, sizeof(buf));
    ck_assert(strstr(buf, "\"gpu\"") == NULL && strstr(buf, "\"nic\"") == NULL);
    ck_assert_int_eq(fg_event_read_line(buf, n, &rec), FG_READ_OK);
    ck_assert_str_eq(rec.gpu, "");
    ev.gpu = "0000:36:00.0";
    ev.nic = "mlx5_0,mlx5_3";
    n = fg_event_format(&ev, &o, buf, sizeof(buf));
    ck_assert(strstr(buf, ",\"comm\":\"0x5a1f\",\"gpu\":\"0000:36:00.0\",\"nic\":\"mlx5_0,mlx5_3\"}") != NULL);
    ck_assert(valid_json(buf));
    ck_assert_int_eq(fg_event_read_line(buf, n, &rec), FG_READ_OK);
    ck_assert_str_eq(rec.gpu, "0000:36:00.0");
    ck_assert_str_eq(rec.nic, "mlx5_0,mlx5_3");
}
END_TEST

START_TEST(event_truncation_always_valid_json)
{
    fg_event_t        ev;
    fg_lane_t         lanes[3] = { { "tcp", "eth0", "am" }, { "rc_mlx5", "mlx5_0:1", "rma_bw#0" }, { "posix", "memory", "" } };
    fg_event_origin_t o = origin();
    char              full[4096], buf[4096];
    size_t            len, cap;

    o.prog = "prog\"with\\odd\nname\xff";
    fg_event_init(&ev, "ucx", "endpoint", "violation");
    ev.rule = "ucx.forbid_transports"; ev.lanes = lanes; ev.nlanes = 3;
    ev.detail = "a detail that is long enough to be cut somewhere in the middle of it";
    len = fg_event_format(&ev, &o, full, sizeof(full));
    ck_assert(valid_json(full));
    for (cap = 4; cap <= len + 1; cap++) {
        size_t n = fg_event_format(&ev, &o, buf, cap);
        ck_assert_uint_lt(n, cap);
        if (n == 0) continue;                       /* required keys did not fit */
        ck_assert_int_eq(buf[n - 1], '\n');
        buf[n - 1] = '\0';
        ck_assert_msg(valid_json(buf), "cap %zu: %s", cap, buf);
        ck_assert(strstr(buf, "\"verdict\":\"violation\"") != NULL);
    }
}
END_TEST

START_TEST(utc_timestamps)
{
    char            b[40];
    struct timespec t = { 0, 0 };
    fg_format_utc_ms(&t, b, sizeof(b));
    ck_assert_str_eq(b, "1970-01-01T00:00:00.000Z");
    t.tv_sec = 951782400; t.tv_nsec = 999999999;     /* leap day 2000 */
    fg_format_utc_ms(&t, b, sizeof(b));
    ck_assert_str_eq(b, "2000-02-29T00:00:00.999Z");
    t.tv_sec = 4107542399; t.tv_nsec = 5000000;      /* 2100-02-28, not a leap year */
    fg_format_utc_ms(&t, b, sizeof(b));
    ck_assert_str_eq(b, "2100-02-28T23:59:59.005Z");
}
END_TEST

START_TEST(templates)
{
    fg_template_vars_t v = { "node7", 4242, "python3", 1795503021, "alice" };
    const char        *why = NULL;
    char               out[256];

    ck_assert_int_eq(fg_template_expand("/var/log/fabguard/%h.%p.%e.%u.jsonl", &v, out, sizeof(out), &why), 0);
    ck_assert_str_eq(out, "/var/log/fabguard/node7.4242.python3.alice.jsonl");
    ck_assert_int_eq(fg_template_expand("/l/%t-100%%", &v, out, sizeof(out), &why), 0);
    ck_assert_str_eq(out, "/l/2026-11-24-06:50:21-100%");
    v.prog = "../../etc/passwd"; v.user = "a/b"; v.host = ".hidden";
    ck_assert_int_eq(fg_template_expand("/l/%e/%u/%h", &v, out, sizeof(out), &why), 0);
    ck_assert_str_eq(out, "/l/_._.._etc_passwd/a_b/_hidden");
    ck_assert_int_eq(fg_template_expand("/l/%q", &v, out, sizeof(out), &why), -1);
    ck_assert(strstr(why, "unknown %-sequence") != NULL);
    ck_assert_int_eq(fg_template_expand("/l/%", &v, out, sizeof(out), &why), -1);
    ck_assert(strstr(why, "lone '%'") != NULL);
    ck_assert_int_eq(fg_template_expand("/a/very/long/%h/%h/%h/%h", &v, out, 16, &why), -1);
    ck_assert(strstr(why, "too long") != NULL);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("event");
    TCase *t = tcase_create("event");
    tcase_add_test(t, json_escapes_every_byte);
    tcase_add_test(t, json_utf8_kept_invalid_escaped);
    tcase_add_test(t, sbuf_never_overflows);
    tcase_add_test(t, event_has_design_fields);
    tcase_add_test(t, event_nccl_fields_fork_parent_extra);
    tcase_add_test(t, event_truncation_always_valid_json);
    tcase_add_test(t, event_gpu_nic_fields_round_trip);
    tcase_add_test(t, utc_timestamps);
    tcase_add_test(t, templates);
    suite_add_tcase(s, t);
    return s;
}
