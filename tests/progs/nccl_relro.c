/* After the first wrapped NCCL call: libnccl's own getenv slots point at
 * the shim, its GNU_RELRO pages are read-only again, and every other
 * object (this program) still reaches libc's getenv.
 * Prints "slots S/T relro RO|RW main libc|other". */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fabguard/nccl_abi.h"

#ifndef FG_HAVE_NCCL_H
ncclResult_t ncclGetUniqueId(ncclUniqueId *id);
#endif

typedef struct { uintptr_t base, relro; const ElfW(Dyn) *dyn; int found; } lib_t;

static int find(struct dl_phdr_info *i, size_t n, void *arg)
{
    lib_t *l = arg;
    int    k;
    (void)n;
    if (i->dlpi_name == NULL || strstr(i->dlpi_name, "libnccl") == NULL) return 0;
    l->base = i->dlpi_addr;
    for (k = 0; k < i->dlpi_phnum; k++) {
        if (i->dlpi_phdr[k].p_type == PT_GNU_RELRO) l->relro = i->dlpi_addr + i->dlpi_phdr[k].p_vaddr;
        if (i->dlpi_phdr[k].p_type == PT_DYNAMIC) l->dyn = (const void *)(i->dlpi_addr + i->dlpi_phdr[k].p_vaddr);
    }
    l->found = 1;
    return 1;
}

static const char *perms_of(uintptr_t a)
{
    static char p[8];
    char        line[512];
    FILE       *f = fopen("/proc/self/maps", "r");
    strcpy(p, "?");
    while (f && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && a >= lo && a < hi) break;
        strcpy(p, "?");
    }
    if (f) fclose(f);
    return p;
}

int main(void)
{
    ncclUniqueId     id;
    lib_t            l = { 0, 0, NULL, 0 };
    const ElfW(Dyn) *d;
    const ElfW(Sym) *sym = NULL;
    const char      *str = NULL;
    const ElfW(Rela) *rel[2] = { NULL, NULL };
    size_t           nrel[2] = { 0, 0 }, k, i;
    int              total = 0, ours = 0;
    void            *libc_getenv = dlsym(RTLD_NEXT, "getenv");
    Dl_info          di;

    ncclGetUniqueId(&id);
    dl_iterate_phdr(find, &l);
    if (!l.found || l.dyn == NULL) return 2;
    for (d = l.dyn; d->d_tag != DT_NULL; d++) {
        uintptr_t v = d->d_un.d_ptr < l.base ? d->d_un.d_ptr + l.base : d->d_un.d_ptr;
        if (d->d_tag == DT_SYMTAB) sym = (const void *)v;
        if (d->d_tag == DT_STRTAB) str = (const void *)v;
        if (d->d_tag == DT_JMPREL) rel[0] = (const void *)v;
        if (d->d_tag == DT_RELA) rel[1] = (const void *)v;
        if (d->d_tag == DT_PLTRELSZ) nrel[0] = d->d_un.d_val / sizeof(ElfW(Rela));
        if (d->d_tag == DT_RELASZ) nrel[1] = d->d_un.d_val / sizeof(ElfW(Rela));
    }
    for (k = 0; k < 2; k++) {
        for (i = 0; rel[k] && i < nrel[k]; i++) {
            size_t s = ELF64_R_SYM(rel[k][i].r_info);
            void  *v;
            if (s == 0 || strcmp(str + sym[s].st_name, "getenv") != 0) continue;
            total++;
            v = *(void **)(l.base + rel[k][i].r_offset);
            if (dladdr(v, &di) && di.dli_fname && strstr(di.dli_fname, "libfabguard")) ours++;
        }
    }
    printf("slots %d/%d relro %s main %s\n", ours, total,
           l.relro && strcmp(perms_of(l.relro), "r--p") == 0 ? "RO" : "RW",
           (void *)getenv == libc_getenv || dlsym(RTLD_DEFAULT, "getenv") == libc_getenv ? "libc" : "other");
    return 0;
}
