/* Reading back what a process could not see: the summary's "unobserved"
 * list and the "unobserved" event (report counts both as not checked). */
#include "unit.h"

#include <string.h>
#include "fabguard/event_read.h"
#include "fabguard/nixl_env.h"

static fg_event_rec_t rd(const char *line)
{
    fg_event_rec_t e;

    ck_assert_int_eq(fg_event_read_line(line, strlen(line), &e), FG_READ_OK);
    return e;
}

#define HEAD "{\"ts\":\"2026-12-01T04:00:00.000Z\",\"host\":\"n1\",\"pid\":7,\"prog\":\"w\","

START_TEST(summary_unobserved_list)
{
    ck_assert_int_eq(rd(HEAD "\"lib\":\"fabguard\",\"event\":\"summary\",\"verdict\":\"info\","
                        "\"counts\":{\"endpoints\":0},\"unobserved\":[\"libucp.so.0\"]}").unobserved, 1);
    ck_assert_int_eq(rd(HEAD "\"lib\":\"fabguard\",\"event\":\"summary\",\"verdict\":\"info\","
                        "\"unobserved\":[]}").unobserved, 0);
    ck_assert_int_eq(rd(HEAD "\"lib\":\"fabguard\",\"event\":\"summary\",\"verdict\":\"info\","
                        "\"unobserved\":[ ]}").unobserved, 0);
    ck_assert_int_eq(rd(HEAD "\"lib\":\"fabguard\",\"event\":\"summary\",\"verdict\":\"info\"}").unobserved, 0);
    /* a string is not a list of libraries */
    ck_assert_int_eq(rd(HEAD "\"lib\":\"fabguard\",\"event\":\"summary\",\"verdict\":\"info\","
                        "\"unobserved\":\"x\"}").unobserved, 0);
}
END_TEST

START_TEST(unobserved_event)
{
    fg_event_rec_t e = rd(HEAD "\"lib\":\"fabguard\",\"event\":\"unobserved\",\"verdict\":\"info\","
                          "\"cause\":\"no_audit\",\"detail\":\"LD_AUDIT lacks libfabguard-audit.so\"}");

    ck_assert_str_eq(e.event, "unobserved");
    ck_assert_str_eq(e.detail, "LD_AUDIT lacks libfabguard-audit.so");
    ck_assert_int_eq(e.unobserved, 0);
}
END_TEST

START_TEST(unobserved_list_malformed)
{
    const char *bad = HEAD "\"lib\":\"fabguard\",\"event\":\"summary\",\"verdict\":\"info\","
                           "\"unobserved\":[\"libucp.so.0\"}";
    fg_event_rec_t e;

    ck_assert_int_eq(fg_event_read_line(bad, strlen(bad), &e), FG_READ_BAD_JSON);
}
END_TEST

/* fabguard warns exactly when NIXL 1.4 would load its plugin RTLD_DEEPBIND */
START_TEST(nixl_deepbind_as_nixl_reads_it)
{
    const char *on[]  = { "1", "y", "YES", "On", "true", "enable", "", "2", "maybe" };
    const char *off[] = { "0", "n", "No", "OFF", "false", "Disable" };
    size_t      i;

    ck_assert_int_eq(fg_nixl_deepbind_requested(NULL), 0);
    for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
        ck_assert_msg(fg_nixl_deepbind_requested(on[i]), "'%s' enables it", on[i]);
    }
    for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
        ck_assert_msg(!fg_nixl_deepbind_requested(off[i]), "'%s' disables it", off[i]);
    }
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("event_unobserved");
    TCase *t = tcase_create("read");

    tcase_add_test(t, summary_unobserved_list);
    tcase_add_test(t, unobserved_event);
    tcase_add_test(t, unobserved_list_malformed);
    tcase_add_test(t, nixl_deepbind_as_nixl_reads_it);
    suite_add_tcase(s, t);
    return s;
}
