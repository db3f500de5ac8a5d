/* Links libifunc_getenv.so (its IFUNC resolver calls getenv at load). */
#include <stdio.h>

extern int (*fg_ifunc_ptr)(void);

int main(void)
{
    printf("ifunc %d\n", fg_ifunc_ptr());
    return 0;
}
