/* Test double of libucp for the UCX >= 1.14 query path, which no package on
 * these machines provides (Debian 12 ships 1.13.1). It reports version 1.19
 * and answers ucp_ep_query(UCP_EP_ATTR_FIELD_TRANSPORTS) exactly as UCX's
 * header defines it (openucx/ucx v1.19 src/ucp/api/ucp.h ucp_ep_attr_t with
 * user_data; src/ucp/api/ucp_def.h ucp_transport_entry_t /
 * ucp_transports_t; filled by entry_size stride and the CM lane with device
 * "" as src/ucp/core/ucp_ep.c ucp_ep_query_transport does). Its
 * ucp_ep_print_info prints a lane the query never reports, so a test can
 * tell which path the shim used.
 * Lanes come from FG_UCP_DOUBLE_LANES="tl/dev,tl/dev" (default
 * "rc_mlx5/mlx5_0:1,cuda_ipc/cuda"); a device "-" makes a CM lane.
 * Only what tests/progs/ucx_ep.c and the shim call is implemented; it has
 * no ucp_mem_map (faults.sh relies on that; libucp_memmap.c is this double
 * plus it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <ucp/api/ucp.h>

/* v1.19 layouts, written out here so a mistake in fabguard's own
 * declaration (include/fabguard/ucx_abi.h) is not mirrored by the double */
typedef struct {
    const char *transport_name;
    const char *device_name;
} v119_transport_entry_t;
typedef struct {
    v119_transport_entry_t *entries;
    unsigned                num_entries;
    size_t                  entry_size;
} v119_transports_t;
typedef struct {
    uint64_t                field_mask;
    char                    name[32];
    struct sockaddr_storage local_sockaddr;
    struct sockaddr_storage remote_sockaddr;
    v119_transports_t       transports;
    void                   *user_data;
} v119_ep_attr_t;
#define V119_EP_ATTR_FIELD_TRANSPORTS (1ULL << 3)

struct ucp_config { char tls[64]; };
struct ucp_context { int unused; };
struct ucp_worker { int unused; };
struct ucp_ep { int unused; };

static char lanes_tl[16][32], lanes_dev[16][64];
static unsigned nlanes;

static void load_lanes(void)
{
    const char *spec = getenv("FG_UCP_DOUBLE_LANES");
    char        buf[1024], *tok, *save = NULL;

    snprintf(buf, sizeof(buf), "%s", spec ? spec : "rc_mlx5/mlx5_0:1,cuda_ipc/cuda");
    nlanes = 0;
    for (tok = strtok_r(buf, ",", &save); tok && nlanes < 16; tok = strtok_r(NULL, ",", &save)) {
        char *slash = strchr(tok, '/');
        if (slash == NULL) continue;
        *slash = '\0';
        snprintf(lanes_tl[nlanes], sizeof(lanes_tl[0]), "%s", tok);
        snprintf(lanes_dev[nlanes], sizeof(lanes_dev[0]), "%s",
                 strcmp(slash + 1, "-") == 0 ? "" : slash + 1);
        nlanes++;
    }
}

void ucp_get_version(unsigned *major, unsigned *minor, unsigned *release)
{
    *major = 1; *minor = 19; *release = 0;
}
ucs_status_t ucp_config_read(const char *p, const char *f, ucp_config_t **c)
{
    (void)p; (void)f;
    *c = calloc(1, sizeof(**c));
    snprintf((*c)->tls, sizeof((*c)->tls), "%s", getenv("UCX_TLS") ? getenv("UCX_TLS") : "all");
    return UCS_OK;
}
void ucp_config_release(ucp_config_t *c) { free(c); }
ucs_status_t ucp_config_modify(ucp_config_t *c, const char *n, const char *v)
{
    if (strcmp(n, "TLS") == 0) snprintf(c->tls, sizeof(c->tls), "%s", v);
    return UCS_OK;
}
void ucp_config_print(const ucp_config_t *c, FILE *f, const char *t, ucs_config_print_flags_t fl)
{
    (void)t; (void)fl;
    fprintf(f, "UCX_NET_DEVICES=all\nUCX_TLS=%s\nUCX_RNDV_SCHEME=auto\n", c->tls);
}
ucs_status_t ucp_init_version(unsigned a, unsigned b, const ucp_params_t *p,
                              const ucp_config_t *c, ucp_context_h *ctx)
{
    (void)a; (void)b; (void)p; (void)c;
    load_lanes();
    *ctx = calloc(1, sizeof(**ctx));
    return UCS_OK;
}
void ucp_cleanup(ucp_context_h ctx) { free(ctx); }
void ucp_context_print_info(const ucp_context_h ctx, FILE *f)
{
    unsigned i;
    (void)ctx;
    for (i = 0; i < nlanes; i++) {
        if (lanes_dev[i][0])
            fprintf(f, "#      resource %-2u :  md %-2u dev %-2u flags -- %s/%s\n", i, i, i, lanes_tl[i], lanes_dev[i]);
    }
}
ucs_status_t ucp_worker_create(ucp_context_h c, const ucp_worker_params_t *p, ucp_worker_h *w)
{
    (void)c; (void)p;
    *w = calloc(1, sizeof(**w));
    return UCS_OK;
}
void ucp_worker_destroy(ucp_worker_h w) { free(w); }
ucs_status_t ucp_worker_get_address(ucp_worker_h w, ucp_address_t **a, size_t *l)
{
    (void)w;
    *a = malloc(8); *l = 8;
    return UCS_OK;
}
void ucp_worker_release_address(ucp_worker_h w, ucp_address_t *a) { (void)w; free(a); }
unsigned ucp_worker_progress(ucp_worker_h w) { (void)w; return 0; }
ucs_status_t ucp_ep_create(ucp_worker_h w, const ucp_ep_params_t *p, ucp_ep_h *ep)
{
    (void)w; (void)p;
    *ep = calloc(1, sizeof(**ep));
    return UCS_OK;
}
ucs_status_ptr_t ucp_ep_close_nbx(ucp_ep_h ep, const ucp_request_param_t *p)
{
    (void)p;
    free(ep);
    return NULL;
}
ucs_status_t ucp_request_check_status(void *r) { (void)r; return UCS_OK; }
void ucp_request_free(void *r) { (void)r; }
void ucp_ep_print_info(ucp_ep_h ep, FILE *f)
{
    (void)ep;
    fprintf(f, "#\n# UCP endpoint \n#\n#                 lane[0]:  0:printinfo/notquery.0 md[0]  -> md[0]/x am\n#\n");
}
ucs_status_t ucp_ep_query(ucp_ep_h ep, ucp_ep_attr_t *attr_in)
{
    v119_ep_attr_t *attr = (v119_ep_attr_t *)(void *)attr_in;
    unsigned        i;
    (void)ep;
    if (attr->field_mask & V119_EP_ATTR_FIELD_TRANSPORTS) {
        for (i = 0; i < nlanes && i < attr->transports.num_entries; i++) {
            v119_transport_entry_t *e = (v119_transport_entry_t *)(void *)
                ((char *)attr->transports.entries + i * attr->transports.entry_size);
            e->transport_name = lanes_tl[i];
            e->device_name    = lanes_dev[i];
        }
        attr->transports.num_entries = i;
    }
    return UCS_OK;
}
