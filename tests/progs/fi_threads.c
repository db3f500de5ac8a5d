/* Many threads open libfabric objects at once (fi_getinfo, fi_fabric,
 * fi_domain, fi_endpoint on the given provider), as a multi-threaded
 * server does: the wrappers' table copies and events must hold up.
 * usage: fi_threads PROVIDER NTHREADS; prints "opened N of M". */
#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prov;
static pthread_barrier_t go;

static void *run(void *arg)
{
    struct fi_info    *hints = fi_allocinfo(), *info = NULL;
    struct fid_fabric *fabric = NULL;
    struct fid_domain *domain = NULL;
    struct fid_ep     *ep = NULL;
    long               ok = 0;

    (void)arg;
    pthread_barrier_wait(&go);
    if (hints == NULL) return (void *)0;
    hints->ep_attr->type          = FI_EP_RDM;
    hints->caps                   = FI_MSG;
    hints->mode                   = ~0ULL;
    hints->fabric_attr->prov_name = strdup(prov);
    if (fi_getinfo(FI_VERSION(1, 9), NULL, NULL, 0, hints, &info) == 0 &&
        fi_fabric(info->fabric_attr, &fabric, NULL) == 0 &&
        fi_domain(fabric, info, &domain, NULL) == 0 &&
        fi_endpoint(domain, info, &ep, NULL) == 0) {
        ok = 1;
    }
    fi_freeinfo(hints);
    if (info) fi_freeinfo(info);
    return (void *)ok;   /* objects left to exit (see fi_open.c) */
}

int main(int argc, char **argv)
{
    int       n = argc > 2 ? atoi(argv[2]) : 8, i;
    long      opened = 0;
    pthread_t t[256];

    prov = argc > 1 ? argv[1] : "shm";
    if (n < 1 || n > 256) return 2;
    pthread_barrier_init(&go, NULL, (unsigned)n);
    for (i = 0; i < n; i++) pthread_create(&t[i], NULL, run, NULL);
    for (i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        opened += (long)r;
    }
    printf("opened %ld of %d\n", opened, n);
    return opened == n ? 0 : 1;
}
