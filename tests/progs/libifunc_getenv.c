/* A library whose IFUNC resolver calls getenv while this library is being
 * relocated — before a preloaded object, which comes later in relocation
 * order, is. A preload that exported getenv was entered unrelocated here
 * (SIGSEGV before main). getenv is reached through its GOT data slot and
 * the IFUNC through a writable data pointer, so the loader binds the
 * former before it calls the resolver for the latter. */
#include <stdlib.h>

typedef char *(*getenv_fn)(const char *);
static int impl(void) { return 42; }
/* not instrumented: sanitizer code cannot run in a resolver (ASan crashes
 * there without fabguard) */
__attribute__((no_sanitize_address, no_sanitize_undefined))
static int (*resolve_probe(void))(void)
{
    getenv_fn volatile g = getenv;   /* address taken: GLOB_DAT */
    return g("FG_IFUNC_PROBE_NEVER_SET") == NULL ? impl : impl;
}
int fg_ifunc_probe(void) __attribute__((ifunc("resolve_probe")));
int (*fg_ifunc_ptr)(void) = fg_ifunc_probe;
