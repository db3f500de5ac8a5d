/* Bounded, type-checked input reading for explain/report. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fg_input_read(const char *path, char **text_p, size_t *len_p, fg_error_t *err)
{
    struct stat st;
    size_t      cap = 65536, len = 0;
    char       *buf, *nul;
    int         fd = strcmp(path, "-") == 0 ? STDIN_FILENO : -1;

    if (fd < 0) {
        /* O_NONBLOCK: a FIFO must not hang the command */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
            fg_error_set(err, path, 0, "cannot open: %s", strerror(errno));
            return -1;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            fg_error_set(err, path, 0, "not a regular file%s",
                         S_ISDIR(st.st_mode) ? " (a directory)" : "");
            close(fd);
            return -1;
        }
        fcntl(fd, F_SETFL, 0);
    }
    if ((buf = malloc(cap)) == NULL) {
        goto oom;
    }
    for (;;) {
        ssize_t r;
        if (len + 1 >= cap) {
            char *n;
            if (cap >= FG_INPUT_MAX) {
                fg_error_set(err, path, 0, "larger than %lu MiB", FG_INPUT_MAX >> 20);
                goto fail;
            }
            cap *= 2;
            if ((n = realloc(buf, cap)) == NULL) {
                goto oom;
            }
            buf = n;
        }
        r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            fg_error_set(err, path, 0, "cannot read: %s", strerror(errno));
            goto fail;
        }
        if (r == 0) {
            break;
        }
        len += (size_t)r;
    }
    buf[len] = '\0';
    if ((nul = memchr(buf, '\0', len)) != NULL) {
        unsigned line = 1;
        const char *p;
        for (p = buf; p < nul; p++) line += (*p == '\n');
        fg_error_set(err, path, line, "binary data (NUL byte at offset %zu)", (size_t)(nul - buf));
        goto fail;
    }
    if (fd != STDIN_FILENO) {
        close(fd);
    }
    *text_p = buf;
    *len_p  = len;
    return 0;
oom:
    fg_error_set(err, path, 0, "out of memory");
fail:
    free(buf);
    if (fd != STDIN_FILENO) {
        close(fd);
    }
    return -1;
}
