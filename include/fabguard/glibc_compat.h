/* Force-included into every object (-include): binds the shim to the oldest
 * glibc symbol versions so libfabguard.so loads on glibc >= 2.17 (the
 * manylinux2014 floor). A preload with an unmet version requirement stops
 * every process of the pod, shells included.
 *
 * glibc 2.34 moved libdl/libpthread into libc under new versions (dlopen@
 * GLIBC_2.34, pthread_create@GLIBC_2.34) and 2.33 exported stat/fstat for
 * the first time; the old versions stay in libc as compat symbols with the
 * same ABI. On an old glibc they live in libdl.so.2 / libpthread.so.0, which
 * the link line names (--no-as-needed) so they are loaded there. Symbol
 * lookup matches the version name, not the file, so either layout serves.
 * `make` fails when readelf -V shows anything newer (shim/glibc_floor.sh). */
#ifndef FG_GLIBC_COMPAT_H
#define FG_GLIBC_COMPAT_H

#if defined(__linux__) && !defined(__ASSEMBLER__) && \
    !defined(__clang_analyzer__) && (defined(__x86_64__) || defined(__aarch64__))

#include <sys/stat.h>

#if defined(__x86_64__)
#define FG_GLIBC_BASE  "GLIBC_2.2.5"
#define FG_GLIBC_2_3_3 "GLIBC_2.3.3"
#define FG_STAT_VER    1            /* _STAT_VER_LINUX of x86_64 */
#else
#define FG_GLIBC_BASE  "GLIBC_2.17" /* aarch64's first glibc */
#define FG_GLIBC_2_3_3 "GLIBC_2.17"
#define FG_STAT_VER    0
#endif

#define FG_SYMVER(sym, ver) __asm__(".symver " #sym "," #sym "@" ver)

/* libdl */
FG_SYMVER(dlopen, FG_GLIBC_BASE);
FG_SYMVER(dlsym, FG_GLIBC_BASE);
FG_SYMVER(dlvsym, FG_GLIBC_BASE);
FG_SYMVER(dlclose, FG_GLIBC_BASE);
FG_SYMVER(dlerror, FG_GLIBC_BASE);
FG_SYMVER(dladdr, FG_GLIBC_BASE);
FG_SYMVER(dladdr1, FG_GLIBC_2_3_3);
FG_SYMVER(dlinfo, FG_GLIBC_2_3_3);

/* libpthread (only names whose old and new versions share one ABI) */
FG_SYMVER(pthread_create, FG_GLIBC_BASE);
FG_SYMVER(pthread_join, FG_GLIBC_BASE);
FG_SYMVER(pthread_detach, FG_GLIBC_BASE);
FG_SYMVER(pthread_kill, FG_GLIBC_BASE);
FG_SYMVER(pthread_sigmask, FG_GLIBC_BASE);
FG_SYMVER(pthread_once, FG_GLIBC_BASE);
FG_SYMVER(pthread_key_create, FG_GLIBC_BASE);
FG_SYMVER(pthread_key_delete, FG_GLIBC_BASE);
FG_SYMVER(pthread_getspecific, FG_GLIBC_BASE);
FG_SYMVER(pthread_setspecific, FG_GLIBC_BASE);
FG_SYMVER(pthread_mutex_trylock, FG_GLIBC_BASE);
FG_SYMVER(pthread_mutexattr_init, FG_GLIBC_BASE);
FG_SYMVER(pthread_mutexattr_settype, FG_GLIBC_BASE);
FG_SYMVER(pthread_mutexattr_destroy, FG_GLIBC_BASE);
FG_SYMVER(pthread_attr_setstacksize, FG_GLIBC_BASE);
FG_SYMVER(pthread_rwlock_init, FG_GLIBC_BASE);
FG_SYMVER(pthread_rwlock_rdlock, FG_GLIBC_BASE);
FG_SYMVER(pthread_rwlock_wrlock, FG_GLIBC_BASE);
FG_SYMVER(pthread_rwlock_unlock, FG_GLIBC_BASE);

/* stat family: exported as functions only since 2.33; before that the
 * headers called the __*xstat entry points, which stay as compat symbols. */
extern int __fxstat(int ver, int fd, struct stat *st);
extern int __xstat(int ver, const char *path, struct stat *st);
extern int __lxstat(int ver, const char *path, struct stat *st);
extern int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
FG_SYMVER(__fxstat, FG_GLIBC_BASE);
FG_SYMVER(__xstat, FG_GLIBC_BASE);
FG_SYMVER(__lxstat, FG_GLIBC_BASE);
#if defined(__x86_64__)
__asm__(".symver __fxstatat,__fxstatat@GLIBC_2.4");
#else
FG_SYMVER(__fxstatat, FG_GLIBC_BASE);
#endif

static inline int fg_compat_fstat(int fd, struct stat *st)
{
    return __fxstat(FG_STAT_VER, fd, st);
}
static inline int fg_compat_stat(const char *path, struct stat *st)
{
    return __xstat(FG_STAT_VER, path, st);
}
static inline int fg_compat_lstat(const char *path, struct stat *st)
{
    return __lxstat(FG_STAT_VER, path, st);
}
static inline int fg_compat_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    return __fxstatat(FG_STAT_VER, dirfd, path, st, flags);
}
#define fstat(fd, st)              fg_compat_fstat((fd), (st))
#define stat(path, st)             fg_compat_stat((path), (st))
#define lstat(path, st)            fg_compat_lstat((path), (st))
#define fstatat(dirfd, p, st, fl)  fg_compat_fstatat((dirfd), (p), (st), (fl))

#endif
#endif
