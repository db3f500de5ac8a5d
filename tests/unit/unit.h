/* Each tests/unit/test_*.c defines unit_suite(); main.c runs it. */
#ifndef FG_TESTS_UNIT_H
#define FG_TESTS_UNIT_H
#include <check.h>
Suite *unit_suite(void);
#endif
