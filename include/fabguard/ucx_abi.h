/* ABI facts of UCX versions newer than the installed headers (Debian ships
 * 1.13.1). Used only when the RUNNING UCX (ucp_get_version) has them.
 * Source: openucx/ucx v1.14.0 src/ucp/api/ucp.h (ucp_ep_attr_t,
 * UCP_EP_ATTR_FIELD_TRANSPORTS = UCS_BIT(3)) and src/ucp/api/ucp_def.h
 * (ucp_transport_entry_t, ucp_transports_t, UCP_ENTITY_NAME_MAX = 32);
 * src/ucp/core/ucp_ep.c ucp_ep_query_transport() fills entries by
 * entry_size stride, the CM lane with device "". */
#ifndef FABGUARD_UCX_ABI_H
#define FABGUARD_UCX_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define FG_UCP_EP_ATTR_FIELD_TRANSPORTS (1ULL << 3)
#define FG_UCP_ENTITY_NAME_MAX          32
#define FG_UCP_QUERY_MIN_MAJOR          1
#define FG_UCP_QUERY_MIN_MINOR          14

typedef struct {
    const char *transport_name;
    const char *device_name;
} fg_ucp_transport_entry_t;

typedef struct {
    fg_ucp_transport_entry_t *entries;
    unsigned                  num_entries;
    size_t                    entry_size;
} fg_ucp_transports_t;

/* ucp_ep_attr_t as of 1.14 (1.16 appends `void *user_data`; UCX reads only
 * the fields named in field_mask, so the 1.14 prefix is valid for all). */
typedef struct {
    uint64_t                field_mask;
    char                    name[FG_UCP_ENTITY_NAME_MAX];
    struct sockaddr_storage local_sockaddr;
    struct sockaddr_storage remote_sockaddr;
    fg_ucp_transports_t     transports;
    void                   *user_data;
} fg_ucp_ep_attr_t;

#endif
