/* Process-wide counters (atomics: bumped from any thread, the abort path
 * included). */
#include "count.h"

#include <stdatomic.h>

static atomic_long counters[FG_COUNT_MAX];

void fg_count(fg_counter_t c)
{
    atomic_fetch_add(&counters[c], 1);
}

long fg_count_get(fg_counter_t c)
{
    return atomic_load(&counters[c]);
}

void fg_count_reset(void)
{
    int i;

    for (i = 0; i < FG_COUNT_MAX; i++) {
        atomic_store(&counters[i], 0);
    }
}
