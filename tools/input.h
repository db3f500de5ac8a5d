/* Reading CLI inputs safely: regular files or stdin only, bounded size,
 * NUL bytes refused, every error naming the path. */
#ifndef FG_TOOLS_INPUT_H
#define FG_TOOLS_INPUT_H
#include <stddef.h>
#include "fabguard/common.h"

#define FG_INPUT_MAX (256UL * 1024 * 1024)   /* cap on one input: 256 MiB */

/* Reads path ("-" = stdin) into a malloc'd, NUL-terminated buffer.
 * Returns 0, or -1 with err naming path and reason. */
int fg_input_read(const char *path, char **text_p, size_t *len_p,
                  fg_error_t *err);
#endif
