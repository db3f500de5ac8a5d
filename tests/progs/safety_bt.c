/* safety_bt LIB: dlopen LIB (libsafety_bt.so, maybe stripped) and call its
 * fg_bt_run, whose hidden helper makes the intercepted UCX call. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) : NULL;
    int (*run)(int) = h ? (int (*)(int))dlsym(h, "fg_bt_run") : NULL;

    if (run == NULL) {
        fprintf(stderr, "safety_bt: cannot load %s\n", argc > 1 ? argv[1] : "(none)");
        return 2;
    }
    printf("safety_bt: %d\n", run(1));
    return 0;
}
