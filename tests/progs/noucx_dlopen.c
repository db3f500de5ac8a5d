/* Test program that does not link UCX: it dlopens a plugin RTLD_LOCAL (as
 * Python and NIXL do) and runs it. usage: noucx_dlopen PLUGIN.so [PLUGIN2.so] */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int i, rc = 0;

    for (i = 1; i < argc; i++) {
        void *h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
        int (*run)(void);
        if (h == NULL) {
            printf("dlopen failed: %s\n", dlerror());
            return 2;
        }
        *(void **)&run = dlsym(h, "fg_plugin_run");
        if (run == NULL) {
            return 2;
        }
        {
            int st = run();
            printf("plugin %d status %d\n", i, st);
            rc |= st != 0;
        }
    }
    return rc;
}
