/* Test program linked to a library whose constructor creates a UCX
 * endpoint; prints the status that constructor saw. */
#include <stdio.h>
extern int fg_ctor_status;
int main(void)
{
    printf("ctor status %d\n", fg_ctor_status);
    return fg_ctor_status == 0 ? 0 : 1;
}
