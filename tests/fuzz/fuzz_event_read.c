/* libFuzzer: event lines as `fabguard report` reads them. */
#include <stdint.h>
#include "fabguard/event_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fg_event_rec_t r;
    fg_event_read_line((const char *)data, size, &r);
    return 0;
}
