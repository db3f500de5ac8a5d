/* Pure parsers of the values the kernel shows in /proc and /sys (read by
 * sysread.c and node_probe.c; fuzzed by tests/fuzz/fuzz_sysfs.c). */
#ifndef FABGUARD_SYSFS_TEXT_H
#define FABGUARD_SYSFS_TEXT_H

#include <stddef.h>

/* A sysfs attribute's value: its first line (cuts TEXT at the newline). */
void fg_sysfs_line(char *text);
/* /proc/modules text (kernel/module/procfs.c m_show: "name size refs …"):
 * 1 when a GPUDirect peer-memory module (nvidia_peermem, nv_peer_mem) is
 * listed, its name (the last listed) copied into NAME. */
int fg_modules_peermem(const char *text, char *name, size_t cap);
/* A GID table entry (ports/P/gids/I, "0000:…" groups) and its type
 * (gid_attrs/types/I, "RoCE v2"): empty/all-zero, link-local (fe80:), and
 * usable for RoCE v2 (populated, routable, v2). */
int fg_gid_is_zero(const char *gid);
int fg_gid_is_link_local(const char *gid);
int fg_gid_is_v2(const char *type);

#endif
