/* Test helper, preloaded before libfabguard.so: plays "another process
 * appending to the same event log" at the worst moment, just before each of
 * the shim's writes to it, and records which of its own lines landed. With
 * FG_WITNESS_SHORT=N the N-th write to the log is made short (half of it
 * written, as a filling disk does) to exercise the shim's short-write path.
 *   FG_WITNESS_LOG  the shared log   FG_WITNESS_OK  file listing landed lines */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void *, size_t);
static __thread int inside;
static int          count, nwrites;

static int is_log(int fd, const char *path)
{
    struct stat a, b;

    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && S_ISREG(a.st_mode) &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void foreign_line(write_fn real, const char *log, const char *ok)
{
    char    m[64];
    int     k = snprintf(m, sizeof(m), "{\"witness\":%d}\n", __sync_add_and_fetch(&count, 1));
    int     fd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC);
    ssize_t w = fd >= 0 ? real(fd, m, (size_t)k) : -1;

    if (fd >= 0) {
        close(fd);
    }
    if (w == k && ok != NULL && (fd = open(ok, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) >= 0) {
        real(fd, m, (size_t)k);
        close(fd);
    }
}

__attribute__((visibility("default"))) ssize_t write(int fd, const void *buf, size_t n)
{
    static write_fn real;
    const char     *log = getenv("FG_WITNESS_LOG");
    const char     *shrt = getenv("FG_WITNESS_SHORT");

    if (real == NULL) {
        real = (write_fn)dlsym(RTLD_NEXT, "write");
    }
    if (inside || log == NULL || n < 2 || !is_log(fd, log)) {
        return real(fd, buf, n);
    }
    inside = 1;
    foreign_line(real, log, getenv("FG_WITNESS_OK"));
    inside = 0;
    if (shrt != NULL && __sync_add_and_fetch(&nwrites, 1) == atoi(shrt)) {
        return real(fd, buf, n / 2);
    }
    return real(fd, buf, n);
}
