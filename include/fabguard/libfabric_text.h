/* libfabric's own text, for `fabguard explain`: fi_info output (default
 * and -v), and FI_LOG_LEVEL=info/warn lines
 * ("libfabric:PID:TS:[util:]PROV:SUBSYS:FUNC():LINE<level> message").
 * Pure: text in, facts out. */
#ifndef FABGUARD_LIBFABRIC_TEXT_H
#define FABGUARD_LIBFABRIC_TEXT_H

#include <stddef.h>
#include "fabguard/libfabric.h"

#define FG_FI_MAX_CANDIDATES 128
#define FG_FI_MAX_NOTES      16

typedef struct {
    size_t      n;                          /* fi_info entries, in order */
    fg_fi_obs_t cand[FG_FI_MAX_CANDIDATES];
    size_t      dropped;                    /* entries beyond the cap */
    size_t      log_lines;                  /* libfabric:… log lines seen */
    /* providers that answered fi_getinfo with nothing ("provider X
     * returned -61") and why, when the log says it */
    size_t      nquiet;
    char        quiet[FG_FI_MAX_NOTES][64];
    char        why[FG_FI_MAX_NOTES][128];
} fg_fi_text_t;

/* Does the text hold fi_info output or libfabric log lines? */
int fg_fi_text_is(const char *text, size_t len);
void fg_fi_text_parse(const char *text, size_t len, fg_fi_text_t *out);

#endif
