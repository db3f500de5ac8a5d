/* NCCL's configuration files as NCCL reads them (src/misc/param.cc, 2.18 ..
 * 2.29: initEnv/setEnvFile). Order: the file named by NCCL_CONF_FILE when
 * set and non-empty, otherwise <home>/.nccl.conf with home from the passwd
 * entry of the real uid (getpwuid(getuid()), not $HOME); then
 * /etc/nccl.conf. Each line "NAME=VALUE" is applied with setenv(…, 0): a
 * variable already set (in the environment or by an earlier line or file)
 * keeps its value. Lines starting with '#' and lines without '=' are
 * skipped; the name is everything before the first '=' (no trimming), the
 * value everything after it up to the newline (a '\r' stays). */
#ifndef FABGUARD_NCCL_CONF_H
#define FABGUARD_NCCL_CONF_H

#include <stddef.h>

/* The value the file text gives `name` (its first line for it): 1 and the
 * value in out (cut to cap), or 0 when the text does not set it. */
int fg_nccl_conf_value(const char *text, size_t len, const char *name,
                       char *out, size_t cap);

#endif
