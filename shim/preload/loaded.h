/* Loaded objects by file name (loaded.c). */
#ifndef FG_SHIM_LOADED_H
#define FG_SHIM_LOADED_H

#include <stddef.h>

#define FG_HIDDEN __attribute__((visibility("hidden")))

/* Is an object whose file name contains `needle` loaded? Its file name in
 * name_out (for coverage). */
FG_HIDDEN int fg_loaded_object_matching(const char *needle, char *name_out,
                                        size_t cap);

#endif
