/* Rewriting one object's own GOT slots for one imported symbol. Used to give
 * libnccl (and only libnccl) another getenv/fopen without exporting a libc
 * name from the shim: no other object's binding changes.
 *
 * The slots are found from the object's dynamic section as the loader left
 * it (DT_JMPREL/DT_PLTRELSZ for PLT slots, DT_RELA/DT_RELASZ for GOT data
 * slots, DT_SYMTAB/DT_STRTAB for names); nothing is dlopen'ed. A slot inside
 * PT_GNU_RELRO (a GLOB_DAT whose address the library takes) is made
 * writable for the store and read-only again. Fact, libnccl 2.28.9:
 * getenv has a JUMP_SLOT in .got.plt (lazy binding, writable) and a
 * GLOB_DAT in .got inside GNU_RELRO (`objdump -R`, `readelf -l`). */
#include "nccl_got.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct {
    const struct link_map *lm;
    uintptr_t              relro_lo, relro_hi;   /* absolute, 0 if none */
    uintptr_t              lo, hi;               /* extent of the PT_LOAD segments */
    int                    found;
} segs_t;

static int find_segs(struct dl_phdr_info *info, size_t size, void *arg)
{
    segs_t *s = arg;
    int     i;

    (void)size;
    if (info->dlpi_addr != s->lm->l_addr || info->dlpi_name == NULL || s->lm->l_name == NULL ||
        strcmp(info->dlpi_name, s->lm->l_name) != 0) {
        return 0;
    }
    s->lo = UINTPTR_MAX;
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        uintptr_t         a = info->dlpi_addr + p->p_vaddr;
        if (p->p_type == PT_GNU_RELRO) {
            s->relro_lo = a;
            s->relro_hi = a + p->p_memsz;
        } else if (p->p_type == PT_LOAD) {
            if (a < s->lo) s->lo = a;
            if (a + p->p_memsz > s->hi) s->hi = a + p->p_memsz;
        }
    }
    s->found = 1;
    return 1;
}

/* glibc relocates most d_ptr entries in place; where it does not (a
 * read-only .dynamic), the value is still a link-time address. */
static uintptr_t dyn_ptr(const struct link_map *lm, uintptr_t p)
{
    return p < lm->l_addr ? p + lm->l_addr : p;
}

typedef struct {
    const ElfW(Sym) *symtab;
    const char      *strtab;
    const ElfW(Rela) *rel[2];
    size_t           nrel[2];
} dyn_t;

static int read_dynamic(const struct link_map *lm, dyn_t *d)
{
    const ElfW(Dyn) *e;
    size_t           relasz = 0, pltsz = 0, relaent = sizeof(ElfW(Rela));
    long             pltrel = DT_RELA;

    memset(d, 0, sizeof(*d));
    if (lm == NULL || lm->l_ld == NULL) {
        return -1;
    }
    for (e = lm->l_ld; e->d_tag != DT_NULL; e++) {
        switch (e->d_tag) {
        case DT_SYMTAB:   d->symtab = (const ElfW(Sym) *)dyn_ptr(lm, e->d_un.d_ptr); break;
        case DT_STRTAB:   d->strtab = (const char *)dyn_ptr(lm, e->d_un.d_ptr); break;
        case DT_JMPREL:   d->rel[0] = (const ElfW(Rela) *)dyn_ptr(lm, e->d_un.d_ptr); break;
        case DT_PLTRELSZ: pltsz = e->d_un.d_val; break;
        case DT_PLTREL:   pltrel = (long)e->d_un.d_val; break;
        case DT_RELA:     d->rel[1] = (const ElfW(Rela) *)dyn_ptr(lm, e->d_un.d_ptr); break;
        case DT_RELASZ:   relasz = e->d_un.d_val; break;
        case DT_RELAENT:  relaent = e->d_un.d_val; break;
        default: break;
        }
    }
    if (d->symtab == NULL || d->strtab == NULL || pltrel != DT_RELA ||
        relaent != sizeof(ElfW(Rela))) {
        return -1;   /* REL-only architectures are not handled */
    }
    d->nrel[0] = d->rel[0] ? pltsz / sizeof(ElfW(Rela)) : 0;
    d->nrel[1] = d->rel[1] ? relasz / sizeof(ElfW(Rela)) : 0;
    return 0;
}

#if defined(__x86_64__)
#define SLOT_TYPE(t) ((t) == R_X86_64_JUMP_SLOT || (t) == R_X86_64_GLOB_DAT || (t) == R_X86_64_64)
#define PLT_TYPE(t)  ((t) == R_X86_64_JUMP_SLOT)
#elif defined(__aarch64__)
#define SLOT_TYPE(t) ((t) == R_AARCH64_JUMP_SLOT || (t) == R_AARCH64_GLOB_DAT || (t) == R_AARCH64_ABS64)
#define PLT_TYPE(t)  ((t) == R_AARCH64_JUMP_SLOT)
#else
#define SLOT_TYPE(t) 0
#define PLT_TYPE(t)  0
#endif

typedef int (*slot_fn)(void **slot, int plt, const segs_t *s, void *arg);

/* Calls fn for every slot of `lm` bound to `name` (addend 0). */
static int for_each_slot(const struct link_map *lm, const char *name, slot_fn fn, void *arg)
{
    dyn_t  d;
    segs_t s;
    size_t k, i;
    int    n = 0, r;

    memset(&s, 0, sizeof(s));
    s.lm = lm;
    if (read_dynamic(lm, &d) < 0) {
        return -1;
    }
    dl_iterate_phdr(find_segs, &s);
    if (!s.found) {
        return -1;
    }
    for (k = 0; k < 2; k++) {
        for (i = 0; i < d.nrel[k]; i++) {
            const ElfW(Rela) *rl = &d.rel[k][i];
            unsigned long     t  = ELF64_R_TYPE(rl->r_info);
            size_t            si = ELF64_R_SYM(rl->r_info);
            if (si == 0 || !SLOT_TYPE(t) || rl->r_addend != 0 ||
                strcmp(d.strtab + d.symtab[si].st_name, name) != 0) {
                continue;
            }
            r = fn((void **)(lm->l_addr + rl->r_offset), PLT_TYPE(t), &s, arg);
            if (r < 0) {
                return -1;
            }
            n += r;
        }
    }
    return n;
}

static int store(void **slot, int plt, const segs_t *s, void *arg)
{
    uintptr_t a = (uintptr_t)slot, page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = a & ~(page - 1);

    (void)plt;
    if (*slot == arg) {
        return 1;
    }
    if (a >= s->relro_lo && a < s->relro_hi) {
        /* read-only after relocation: open the one page for the store */
        if (mprotect((void *)lo, page, PROT_READ | PROT_WRITE) != 0) {
            return -1;
        }
        __atomic_store_n(slot, arg, __ATOMIC_RELEASE);
        mprotect((void *)lo, page, PROT_READ);
        return 1;
    }
    __atomic_store_n(slot, arg, __ATOMIC_RELEASE);
    return 1;
}

int fg_got_rewrite(const struct link_map *lm, const char *name, void *repl)
{
    return for_each_slot(lm, name, store, repl);
}

static int bound(void **slot, int plt, const segs_t *s, void *arg)
{
    uintptr_t v = (uintptr_t)__atomic_load_n(slot, __ATOMIC_ACQUIRE);
    int      *state = arg;

    if (plt) {
        /* a lazy PLT slot points back into its own object until first called */
        *state = (v >= s->lo && v < s->hi) ? (*state < 0 ? 0 : *state) : 1;
    }
    return 0;
}

int fg_got_plt_called(const struct link_map *lm, const char *name)
{
    int state = -1;

    if (for_each_slot(lm, name, bound, &state) < 0) {
        return -1;
    }
    return state;
}
