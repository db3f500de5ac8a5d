/* Force-included into every object (-include): binds the shim to the oldest
 * glibc symbol versions so libfabguard.so loads on glibc >= 2.17 (the
 * manylinux2014 floor). A preload with an unmet version requirement stops
 * every process of the pod, shells included.
 *
 * glibc 2.34 moved libdl/libpthread into libc under new versions (dlopen@
 * GLIBC_2.34, pthread_create@GLIBC_2.34); the old versions stay in libc as
 * compat symbols with the same ABI. stat/fstat (2.33) go to the kernel. On an old glibc they live in libdl.so.2 / libpthread.so.0, which
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
#else
#define FG_GLIBC_BASE  "GLIBC_2.17" /* aarch64's first glibc */
#define FG_GLIBC_2_3_3 "GLIBC_2.17"
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

/* stat family: exported as functions only since glibc 2.33; older ones had
 * the headers call __fxstat & co., which newer glibc keeps only as compat
 * symbols that sanitizer and other interposers cannot forward (their
 * dlsym(RTLD_NEXT) finds no default version: a crash). So the kernel is
 * asked directly: on x86_64 and aarch64 glibc's struct stat is the kernel's. */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int fg_compat_fstat(int fd, struct stat *st)
{
    return (int)syscall(SYS_fstat, fd, st);
}
static inline int fg_compat_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    return (int)syscall(SYS_newfstatat, dirfd, path, st, flags);
}
static inline int fg_compat_stat(const char *path, struct stat *st)
{
    return fg_compat_fstatat(AT_FDCWD, path, st, 0);
}
static inline int fg_compat_lstat(const char *path, struct stat *st)
{
    return fg_compat_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}
#define fstat(fd, st)              fg_compat_fstat((fd), (st))
#define stat(path, st)             fg_compat_stat((path), (st))
#define lstat(path, st)            fg_compat_lstat((path), (st))
#define fstatat(dirfd, p, st, fl)  fg_compat_fstatat((dirfd), (p), (st), (fl))

#endif
#endif
