/* Runs one Check suite and prints the line tests/run.sh counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"

int main(int argc, char **argv)
{
    SRunner *sr = srunner_create(unit_suite());
    int      run, failed;
    const char *name = strrchr(argv[0], '/');

    (void)argc;
    srunner_run_all(sr, CK_NORMAL);
    run    = srunner_ntests_run(sr);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    printf("RESULT %s: %d passed, %d failed\n", name ? name + 1 : argv[0],
           run - failed, failed);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
