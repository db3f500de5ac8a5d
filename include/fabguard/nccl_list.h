#ifndef FABGUARD_NCCL_LIST_H
#define FABGUARD_NCCL_LIST_H

/* NCCL's interface/HCA list grammar (NCCL src/misc/utils.cc parseStringList,
 * matchIfList): optional leading '^' (exclude) then '=' (exact), items
 * "name[:port]", prefix match otherwise. 1 when `name`/`port` is selected. */
int fg_nccl_list_selects(const char *spec, const char *name, int port);

#endif
