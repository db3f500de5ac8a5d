/* Test program: calls ucp_mem_map found through the global scope. Against a
 * libucp that lacks it, the shim's wrapper is what dlsym finds: it must
 * return an error, not crash or recurse. Prints "absent" or the status. */
#include <dlfcn.h>
#include <stdio.h>
#include <ucp/api/ucp.h>

int main(void)
{
    ucs_status_t (*mem_map)(ucp_context_h, const ucp_mem_map_params_t *, ucp_mem_h *);
    ucp_mem_h memh;

    *(void **)&mem_map = dlsym(RTLD_DEFAULT, "ucp_mem_map");
    if (mem_map == NULL) {
        printf("absent\n");
        return 0;
    }
    printf("status %d\n", (int)mem_map(NULL, NULL, &memh));
    return 0;
}
