/* libfabric rules (design: policy [libfabric] + fabguard.management_ifaces)
 * and the aws-ofi-nccl "Selected provider" line. Provider names are
 * libfabric's fabric_attr->prov_name: a utility provider layered on a core
 * one reads "core;util" ("tcp;ofi_rxm", "udp;ofi_rxd"). */
#include "fabguard/libfabric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Calls fn on each ';' layer of a provider name until it returns 1. */
static int any_layer(const char *provider, int (*fn)(const char *, const void *),
                     const void *arg)
{
    char        layer[64];
    const char *p = provider, *end;
    size_t      n;

    while (*p != '\0') {
        end = strchr(p, ';');
        n   = end ? (size_t)(end - p) : strlen(p);
        if (n < sizeof(layer)) {
            memcpy(layer, p, n);
            layer[n] = '\0';
            if (fn(layer, arg)) {
                return 1;
            }
        }
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    return 0;
}

static int layer_is_socket(const char *layer, const void *arg)
{
    static const char *const sock[] = { "tcp", "sockets", "udp", "net" };
    size_t i;

    (void)arg;
    for (i = 0; i < sizeof(sock) / sizeof(sock[0]); i++) {
        if (strcmp(layer, sock[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int fg_fi_provider_is_socket(const char *provider)
{
    return any_layer(provider, layer_is_socket, NULL);
}

static int layer_in_list(const char *layer, const void *arg)
{
    return fg_list_match(arg, layer);
}

int fg_fi_provider_match(const fg_list_t *list, const char *provider)
{
    return fg_list_match(list, provider) || any_layer(provider, layer_in_list, list);
}

const char *fg_fi_ep_type_name(int ep_type)
{
    /* enum fi_ep_type (rdma/fabric.h): UNSPEC, MSG, DGRAM, RDM, SOCK_STREAM, SOCK_DGRAM */
    static const char *const n[] = { "unspec", "msg", "dgram", "rdm", "sock_stream", "sock_dgram" };
    return (ep_type >= 0 && ep_type < 6) ? n[ep_type] : "?";
}

static const char *provider_fix(const char *provider)
{
    if (fg_fi_provider_is_socket(provider)) {
        return "the RDMA provider was not usable: check that /dev/infiniband is in the "
               "pod and `fi_info -p efa` (or verbs) lists a device, and set "
               "FI_PROVIDER=efa so a fallback fails loudly";
    }
    return "set FI_PROVIDER to an allowed provider (`fi_info -l` lists them)";
}

static void judge_mgmt(const fg_ifset_t *mgmt, const fg_fi_obs_t *obs,
                       fg_findings_t *out)
{
    const char *via;
    char        fix[256];

    if (mgmt == NULL || obs->domain[0] == '\0') {
        return;
    }
    if (fg_fi_provider_is_socket(obs->provider) && fg_ifset_contains(mgmt, obs->domain)) {
        snprintf(fix, sizeof(fix),
                 "bind it to the data NIC (FI_TCP_IFACE / FI_SOCKETS_IFACE), or "
                 "make the RDMA provider usable; never %s", obs->domain);
        fg_findings_add(out, "fabguard.management_ifaces", fix,
                        "provider %s uses domain %s (management NIC)",
                        obs->provider, obs->domain);
        return;
    }
    /* an RDMA domain ("mlx5_0") that is a RoCE port of the management NIC */
    via = fg_ifset_via(mgmt, obs->domain);
    if (via == NULL) {
        /* verbs/efa domains are the device, with a "-dgram"/"-rdm"/"-xrc"
         * suffix for some endpoint types; the set holds "dev:port" */
        char port[140];
        snprintf(port, sizeof(port), "%.*s:1", (int)strcspn(obs->domain, "-"), obs->domain);
        via = fg_ifset_via(mgmt, port);
    }
    if (via != NULL) {
        snprintf(fix, sizeof(fix),
                 "choose a domain of the data fabric (FI_VERBS_IFACE / the "
                 "application's domain), not %s (RoCE on %s)", obs->domain, via);
        fg_findings_add(out, "fabguard.management_ifaces", fix,
                        "provider %s uses domain %s (RoCE port of %s, the management NIC)",
                        obs->provider, obs->domain, via);
    }
}

void fg_judge_libfabric(const fg_policy_t *pol, const fg_ifset_t *mgmt,
                        const fg_fi_obs_t *obs, unsigned rules,
                        fg_findings_t *out)
{
    char allowed[160], fix[256];

    if ((rules & FG_FI_RULES_PROVIDER) && obs->provider[0] != '\0' &&
        fg_fi_provider_match(&pol->libfabric.forbid_providers, obs->provider)) {
        fg_findings_add(out, "libfabric.forbid_providers", provider_fix(obs->provider),
                        "provider %s (fabric %s%s%s)", obs->provider,
                        obs->fabric[0] ? obs->fabric : "?",
                        obs->domain[0] ? ", domain " : "", obs->domain);
    }
    if ((rules & FG_FI_RULES_DOMAIN) && obs->domain[0] != '\0' && !fg_list_empty(&pol->libfabric.allow_domains) &&
        !fg_list_match(&pol->libfabric.allow_domains, obs->domain)) {
        fg_policy_value_text(pol, FG_KEY_LIBFABRIC_ALLOW_DOMAINS, allowed, sizeof(allowed));
        snprintf(fix, sizeof(fix), "open a domain matching %s (FI_PROVIDER, FI_*_IFACE)",
                 allowed);
        fg_findings_add(out, "libfabric.allow_domains", fix,
                        "provider %s uses domain %s, outside allow_domains",
                        obs->provider[0] ? obs->provider : "?", obs->domain);
    }
    if (rules & FG_FI_RULES_DOMAIN) {
        judge_mgmt(mgmt, obs, out);
    }
    if ((rules & FG_FI_RULES_HMEM) && pol->libfabric.hmem == FG_GDR_REQUIRE && obs->hmem == 0) {
        fg_findings_add(out, "libfabric.hmem",
                        "request FI_HMEM in the hints and use a provider that offers it "
                        "(efa with FI_EFA_USE_DEVICE_RDMA=1, verbs with nvidia_peermem)",
                        "provider %s domain %s was opened without FI_HMEM (GPU memory "
                        "goes through host copies)", obs->provider[0] ? obs->provider : "?",
                        obs->domain[0] ? obs->domain : "?");
    }
}

/* Copies one token ending at a char of `stops` (or the end); returns the end. */
static const char *token(const char *p, const char *stops, char *out, size_t cap)
{
    size_t n = strcspn(p, stops);

    if (n >= cap) {
        n = cap - 1;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return p + strcspn(p, stops);
}

int fg_fi_ofi_nccl_selected(const char *line, fg_fi_obs_t *obs, long *nics)
{
    static const char key[] = "NET/OFI Selected ";
    const char *p = strstr(line, key), *f;

    if (p == NULL) {
        return 0;
    }
    p += sizeof(key) - 1;
    if (strncasecmp(p, "provider is ", 12) != 0) {
        return 0;
    }
    p += 12;
    memset(obs, 0, sizeof(*obs));
    obs->hmem = -1;
    *nics     = -1;
    p = token(p, " ,\r\n", obs->provider, sizeof(obs->provider));
    if (obs->provider[0] == '\0') {
        return 0;
    }
    if (strncmp(p, ", fabric is ", 12) == 0) {
        p = token(p + 12, " \r\n", obs->fabric, sizeof(obs->fabric));
    }
    f = strstr(p, "(found ");
    if (f != NULL) {
        char *end;
        long  v = strtol(f + 7, &end, 10);
        if (end != f + 7 && strncmp(end, " nic", 4) == 0) {
            *nics = v;
        }
    }
    return 1;
}

int fg_judge_ofi_nccl_line(const fg_policy_t *pol, const fg_ifset_t *mgmt,
                           const char *line, fg_fi_obs_t *obs, fg_findings_t *out)
{
    long nics;

    if (!fg_fi_ofi_nccl_selected(line, obs, &nics)) {
        return 0;
    }
    fg_judge_libfabric(pol, mgmt, obs, FG_FI_RULES_ALL, out);
    return 1;
}
