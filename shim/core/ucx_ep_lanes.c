#include "fabguard/ucx_ep_lanes.h"

#include <stdlib.h>
#include <string.h>

#include "fabguard/ucx_abi.h"
#include "fabguard/ucx_text.h"

static int has_query(const fg_ucx_ep_api_t *api)
{
    return api->ep_query != NULL &&
           (api->major > FG_UCP_QUERY_MIN_MAJOR ||
            (api->major == FG_UCP_QUERY_MIN_MAJOR && api->minor >= FG_UCP_QUERY_MIN_MINOR));
}

static int from_query(const fg_ucx_ep_api_t *api, void *ep, fg_lane_set_t *out)
{
    fg_ucp_transport_entry_t entries[FG_MAX_LANES];
    fg_ucp_ep_attr_t         attr;
    unsigned                 i;

    memset(&attr, 0, sizeof(attr));
    attr.field_mask             = FG_UCP_EP_ATTR_FIELD_TRANSPORTS;
    attr.transports.entries     = entries;
    attr.transports.num_entries = FG_MAX_LANES;
    attr.transports.entry_size  = sizeof(entries[0]);
    if (api->ep_query(ep, &attr) != 0) {   /* UCS_OK */
        return -1;
    }
    for (i = 0; i < attr.transports.num_entries && i < FG_MAX_LANES; i++) {
        fg_lane_set_add(out, entries[i].transport_name, entries[i].device_name, "");
    }
    return 0;
}

static int from_print_info(const fg_ucx_ep_api_t *api, void *ep, fg_lane_set_t *out)
{
    char      *text = NULL;
    size_t     len  = 0;
    FILE      *f;
    fg_error_t err;
    int        rc;

    if (api->ep_print_info == NULL || (f = open_memstream(&text, &len)) == NULL) {
        return -1;
    }
    api->ep_print_info(ep, f);
    fclose(f);
    rc = fg_ucx_lanes_from_print_info(text, len, out, &err);
    free(text);
    return rc;
}

int fg_ucx_ep_lanes_from(const fg_ucx_ep_api_t *api, void *ep, fg_lane_set_t *out,
                         const char **source)
{
    out->n  = 0;
    *source = "ucp_ep_query";
    if (has_query(api) && from_query(api, ep, out) == 0) {
        return 0;
    }
    out->n  = 0;
    *source = "print_info";
    return from_print_info(api, ep, out);
}

int fg_ucx_ep_lanes(const fg_ucx_ep_api_t *api, void *ep, fg_lane_set_t *out)
{
    const char *source;

    return fg_ucx_ep_lanes_from(api, ep, out, &source);
}
