/* What UCX negotiated, asked of the copy without touching our handle
 * records: an endpoint's lanes, a context's configuration and resources,
 * the peer of a client/server endpoint. */
#include "ucx_observe.h"
#include "fabguard/common.h"
#include "fabguard/ucx_ep_lanes.h"
#include "fabguard/ucx_text.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *print_to_memory(void (*printer)(void *, FILE *), void *obj,
                             size_t *len)
{
    char *buf = NULL;
    FILE *f   = open_memstream(&buf, len);

    if (f == NULL) {
        return NULL;
    }
    printer(obj, f);
    fclose(f);
    return buf;
}

int fg_ucx_query_lanes(fg_ucx_copy_t *c, ucp_ep_h ep, fg_lane_set_t *lanes,
                       const char **source)
{
    fg_ucx_ep_api_t api;

    api.major         = c->major;
    api.minor         = c->minor;
    /* ucs_status_t is an int-sized enum: same ABI, via the generic type */
    api.ep_query      = (int (*)(void *, void *))(void (*)(void))c->ep_query;
    api.ep_print_info = (void (*)(void *, FILE *))c->ep_print_info;
    return fg_ucx_ep_lanes_from(&api, ep, lanes, source);
}

static int node_has_rdma(void)
{
    DIR           *d = opendir("/sys/class/infiniband");
    struct dirent *e;
    int            found = 0;

    if (d == NULL) {
        return 0;
    }
    while (!found && (e = readdir(d)) != NULL) {
        found = e->d_name[0] != '.';
    }
    closedir(d);
    return found;
}

static void config_print_cb(void *cfg, FILE *f);
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static fg_ucx_copy_t  *printing_copy;   /* under print_lock */

static void config_print_cb(void *cfg, FILE *f)
{
    printing_copy->config_print(cfg, f, NULL, UCS_CONFIG_PRINT_CONFIG);
}

void fg_ucx_context_info(fg_ucx_copy_t *c, const ucp_config_t *config,
                            ucp_context_h ctx, fg_ucx_context_info_t *info)
{
    ucp_config_t *own = NULL;
    size_t        len = 0;
    char         *text;
    const char   *gdr;

    memset(info, 0, sizeof(*info));
    if (config == NULL && c->config_read != NULL &&
        c->config_read(NULL, NULL, &own) == UCS_OK) {
        config = own;
    }
    if (config != NULL && c->config_print != NULL) {
        pthread_mutex_lock(&print_lock);
        printing_copy = c;
        text = print_to_memory(config_print_cb, (void *)config, &len);
        pthread_mutex_unlock(&print_lock);
        if (text != NULL) {
            fg_ucx_config_from_print(text, len, info);
            free(text);
        }
    }
    if (own != NULL && c->config_release != NULL) {
        c->config_release(own);
    }
    /* a transport-level key set in the environment does not print above */
    gdr = getenv("UCX_IB_GPU_DIRECT_RDMA");
    if (info->gpu_direct_rdma[0] == '\0' && gdr != NULL) {
        fg_strlcpy(info->gpu_direct_rdma, gdr, sizeof(info->gpu_direct_rdma));
    }
    if (c->context_print_info != NULL) {
        text = print_to_memory((void (*)(void *, FILE *))c->context_print_info,
                               ctx, &len);
        if (text != NULL) {
            fg_ucx_resources_from_print(text, len, &info->resources);
            free(text);
        }
    }
    info->node_has_rdma = node_has_rdma();
}

int fg_ucx_is_client_server(const ucp_ep_params_t *params)
{
    return params != NULL &&
           (params->field_mask & (UCP_EP_PARAM_FIELD_SOCK_ADDR |
                                  UCP_EP_PARAM_FIELD_CONN_REQUEST)) != 0;
}

unsigned fg_ucx_kind_of(const ucp_ep_params_t *params)
{
    if (params != NULL && (params->field_mask & UCP_EP_PARAM_FIELD_SOCK_ADDR)) {
        return 1;
    }
    if (params != NULL && (params->field_mask & UCP_EP_PARAM_FIELD_CONN_REQUEST)) {
        return 2;
    }
    return 0;
}

void fg_ucx_sockaddr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "";

    out[0] = '\0';
    if (sa == NULL) {
        return;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        snprintf(out, cap, "%s:%u", ip, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        snprintf(out, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
    }
}

/* The peer of a client (its sockaddr) or server (the connection request's
 * client address) endpoint; NULL for worker-address endpoints. */
const struct sockaddr *fg_ucx_peer_sockaddr(const fg_ucx_copy_t *c,
                                            const ucp_ep_params_t *params,
                                            struct sockaddr_storage *buf)
{
    ucp_conn_request_attr_t attr;

    if (params == NULL) {
        return NULL;
    }
    if (params->field_mask & UCP_EP_PARAM_FIELD_SOCK_ADDR) {
        return params->sockaddr.addr;
    }
    if ((params->field_mask & UCP_EP_PARAM_FIELD_CONN_REQUEST) &&
        c->conn_request_query != NULL) {
        memset(&attr, 0, sizeof(attr));
        attr.field_mask = UCP_CONN_REQUEST_ATTR_FIELD_CLIENT_ADDR;
        if (c->conn_request_query(params->conn_request, &attr) == UCS_OK) {
            *buf = attr.client_address;
            return (const struct sockaddr *)buf;
        }
    }
    return NULL;
}

void fg_ucx_peer_of(const fg_ucx_copy_t *c, const ucp_ep_params_t *params,
                    char *out, size_t cap)
{
    struct sockaddr_storage buf;

    fg_ucx_sockaddr_text(fg_ucx_peer_sockaddr(c, params, &buf), out, cap);
}

void fg_ucx_observe_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    print_lock = fresh;
}
