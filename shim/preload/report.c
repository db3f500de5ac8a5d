/* Reporting: the JSON Lines event log (one write(2) per event, O_APPEND,
 * O_CLOEXEC, O_NOFOLLOW), stderr lines, and flood control. */
#include "report.h"
#include "count.h"
#include "origin.h"
#include "fabguard/common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FG_EVENT_MAX       8192
#define FG_SEEN_MAX        1024   /* distinct stderr findings remembered */
#define FG_ADMIT_KEYS      4096   /* distinct event kinds counted */
#define FG_ADMIT_PER_KEY   16     /* identical events written before counting only */

enum { LOG_UNOPENED, LOG_OPEN, LOG_NONE, LOG_FAILED };

/* Process-wide reporting state: one log per process (reset in a forked
 * child, which writes its own stream). report_lock protects all of it. */
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static int             log_state   = LOG_UNOPENED;
static int             log_fd      = -1;
static char            log_path[1024];
static dev_t           log_dev;          /* identity of the file we opened: an */
static ino_t           log_ino;          /* app that closes all fds may reuse the number */
static int             write_failed;
static uint64_t        seen[FG_SEEN_MAX];
static size_t          nseen;
static struct {
    uint64_t key;
    unsigned count;
} admitted[FG_ADMIT_KEYS];

/* The policy's log template, set by init (a string of the policy, which
 * lives as long as the process). */
static _Atomic(const char *) log_template;

void fg_report_configure(const char *tmpl)
{
    atomic_store(&log_template, tmpl);
}

/* One field of a dedup key: FNV-1a of the text, then a separator. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
    return fg_fnv1a_byte(fg_fnv1a(h, s), 0xff);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

void fg_report_stderr_line(const char *text, size_t len)
{
    static const char tag[] = "fabguard: ";
    const size_t      tagl  = sizeof(tag) - 1;
    char              buf[PIPE_BUF];   /* one write to a pipe never interleaves */
    const char       *id    = fg_origin_ident();
    size_t            idl   = strlen(id), used = 0;
    const char       *p = text, *end = text + len;

    while (p < end) {
        const char *nl     = memchr(p, '\n', (size_t)(end - p));
        size_t      l      = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        int         tagged = l >= tagl && memcmp(p, tag, tagl) == 0;
        size_t      need   = tagged ? l - tagl + idl + 2 : l;

        if (used + need > sizeof(buf)) {
            write_all(STDERR_FILENO, buf, used);
            used = 0;
        }
        if (need > sizeof(buf)) {
            write_all(STDERR_FILENO, p, l);   /* a line longer than PIPE_BUF */
        } else if (tagged) {
            memcpy(buf + used, id, idl);
            memcpy(buf + used + idl, ": ", 2);
            memcpy(buf + used + idl + 2, p + tagl, l - tagl);
            used += need;
        } else {
            memcpy(buf + used, p, l);
            used += l;
        }
        p += l;
    }
    write_all(STDERR_FILENO, buf, used);
}

static void say(const char *fmt, const char *a, const char *b)
{
    char line[1400];
    int  n = snprintf(line, sizeof(line), fmt, a, b);

    if (n > 0) {
        fg_report_stderr_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    }
}

/* One folder of the log path, below the open folder dfd. A symlinked folder
 * is followed only when root or this user owns the link (O_NOFOLLOW alone
 * guards the last component only): another user cannot plant a link in a
 * shared folder to redirect our events. A missing folder is created 0750. */
static int open_dir_step(int dfd, const char *name, const char **why)
{
    const int   flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    struct stat st;
    int         fd = openat(dfd, name, flags | O_NOFOLLOW);

    if (fd >= 0) {
        return fd;
    }
    if (errno == ENOENT) {
        if (mkdirat(dfd, name, 0750) < 0 && errno != EEXIST) {
            return -1;
        }
        return openat(dfd, name, flags | O_NOFOLLOW);
    }
    if ((errno == ELOOP || errno == ENOTDIR) &&
        fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
            *why = "a folder on the path is a symlink owned by another user";
            errno = EPERM;
            return -1;
        }
        return openat(dfd, name, flags);
    }
    return -1;
}

/* Opens the folder part of path walking it component by component (openat);
 * *base is set to the file name. Returns a folder descriptor or -1. */
static int open_log_dir(char *path, const char **base, const char **why)
{
    char *p = path, *slash;
    int   dfd = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    while (dfd >= 0 && (slash = strchr(p, '/')) != NULL) {
        if (slash > p) {
            int next;
            *slash = '\0';
            next   = open_dir_step(dfd, p, why);
            *slash = '/';
            close(dfd);
            dfd = next;
        }
        p = slash + 1;
    }
    *base = p;
    return dfd;
}

/* A file someone else owns in a sticky shared folder (/tmp) was planted
 * there: never write our events into it (the kernel's protected_regular
 * rule, which is off on many nodes). */
static int planted(int dfd, const struct stat *st)
{
    struct stat ds;

    if (st->st_uid == geteuid() || fstat(dfd, &ds) < 0) {
        return 0;
    }
    return (ds.st_mode & S_ISVTX) && (ds.st_mode & (S_IWOTH | S_IWGRP)) &&
           ds.st_uid != st->st_uid;
}

/* The log file itself: O_NONBLOCK so a FIFO without a reader cannot block
 * the application inside open() (ENXIO instead); only regular files and
 * character devices (/dev/null) are written, a FIFO or socket is refused
 * (a stalled reader would block the application at every event). */
static int open_log_file(int dfd, const char *base, const char **why)
{
    struct stat st;
    int         fd, fl;

    if (base[0] == '\0') {
        *why = "the path names a folder, not a file";
        return -1;
    }
    fd = openat(dfd, base, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
                               O_NOCTTY | O_NONBLOCK, 0640);
    if (fd < 0) {
        if (errno == ENXIO || errno == ENODEV) {
            *why = "it is a FIFO or socket, not a regular file";
        }
        return -1;
    }
    if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
        *why = S_ISFIFO(st.st_mode) ? "it is a FIFO, not a regular file"
                                    : "it is not a regular file";
        close(fd);
        return -1;
    }
    if (S_ISREG(st.st_mode) && planted(dfd, &st)) {
        *why = "it belongs to another user in a shared sticky folder";
        close(fd);
        return -1;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    log_dev = st.st_dev;
    log_ino = st.st_ino;
    return fd;
}

static void user_name(char *buf, size_t cap)
{
    const char *u = secure_getenv("USER");

    /* no getpwuid: NSS modules would open files inside the application */
    if (u != NULL && u[0] != '\0') {
        fg_strlcpy(buf, u, cap);
    } else {
        snprintf(buf, cap, "%u", (unsigned)getuid());
    }
}

static void open_log_locked(void)
{
    const char        *tmpl = atomic_load(&log_template);
    fg_event_origin_t  o;
    fg_template_vars_t v;
    const char        *why = NULL;
    char               user[64];

    if (tmpl == NULL || tmpl[0] == '\0') {
        log_state = LOG_NONE;
        return;
    }
    if (strcmp(tmpl, "stderr") == 0) {
        log_fd    = STDERR_FILENO;
        log_state = LOG_OPEN;
        return;
    }
    fg_origin_fill(&o);
    user_name(user, sizeof(user));
    v.host = o.host;
    v.pid  = o.pid;
    v.prog = o.prog;
    v.time = o.ts.tv_sec;
    v.user = user;
    if (fg_template_expand(tmpl, &v, log_path, sizeof(log_path), &why) < 0) {
        say("fabguard: event log '%s': %s; events are not written\n", tmpl, why);
        log_state = LOG_FAILED;
        return;
    }
    {
        char        walk[sizeof(log_path)];
        const char *base = NULL;
        int         dfd;

        fg_strlcpy(walk, log_path, sizeof(walk));
        why    = NULL;
        dfd    = open_log_dir(walk, &base, &why);
        log_fd = dfd < 0 ? -1 : open_log_file(dfd, base, &why);
        if (dfd >= 0) {
            close(dfd);
        }
    }
    if (log_fd < 0) {
        say("fabguard: cannot open event log %s: %s; events are not written\n",
            log_path, why != NULL ? why : strerror(errno));
        log_state = LOG_FAILED;
        return;
    }
    log_state = LOG_OPEN;
}

/* Our descriptor still names our file? If the application closed it (and
 * maybe reused the number), reopen rather than write into its file. */
static void revalidate_locked(void)
{
    struct stat st;

    if (log_state != LOG_OPEN || log_fd == STDERR_FILENO) {
        return;
    }
    if (fstat(log_fd, &st) == 0 && st.st_dev == log_dev && st.st_ino == log_ino) {
        return;
    }
    log_fd    = -1;   /* not ours any more: never close it */
    log_state = LOG_UNOPENED;
    open_log_locked();
}

/* Write one line whole or not at all, never touching what other processes
 * appended to a shared log (no cut-back: ftruncate to our earlier size would
 * delete their lines). The line goes out in one write(2) with O_APPEND, so
 * lines of concurrent writers never mix. On a regular file the space is
 * reserved first (fallocate KEEP_SIZE beyond the end): on a full disk the
 * reservation fails and the line is dropped whole. Where reservation is not
 * supported (or another writer used the space) a write can still be short:
 * then a newline ends the partial line so the next line, ours or another
 * process's, starts on its own line and parses; the partial line does not
 * parse and readers skip it. Every dropped or partial line is counted
 * (lost_events in the summary). Called with report_lock held. */
static ssize_t write_line_locked(int fd, const char *line, size_t n)
{
    struct stat st;
    ssize_t     w;

    if (fd != STDERR_FILENO && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        fallocate(fd, FALLOC_FL_KEEP_SIZE, st.st_size, (off_t)n) < 0 &&
        (errno == ENOSPC || errno == EDQUOT || errno == EFBIG)) {
        fg_count(FG_COUNT_LOST);
        return -1;
    }
    do {
        w = write(fd, line, n);
    } while (w < 0 && errno == EINTR);
    if (w >= 0 && (size_t)w < n) {
        ssize_t nl;
        do {
            nl = write(fd, "\n", 1);
        } while (nl < 0 && errno == EINTR);
        fg_count(FG_COUNT_LOST);
        errno = ENOSPC;
        return -1;
    }
    if (w < 0) {
        fg_count(FG_COUNT_LOST);
    }
    return w;
}

void fg_report_event(const fg_event_t *ev)
{
    char              line[FG_EVENT_MAX];
    fg_event_origin_t o;
    size_t            n;
    int               fd;

    fg_origin_fill(&o);
    n = fg_event_format(ev, &o, line, sizeof(line));
    if (n == 0) {
        return;
    }
    /* one write per event; the lock keeps the open/revalidate state and
     * the write-failed note consistent between threads */
    pthread_mutex_lock(&report_lock);
    if (log_state == LOG_UNOPENED) {
        open_log_locked();
    }
    revalidate_locked();
    fd = (log_state == LOG_OPEN) ? log_fd : -1;
    if (fd >= 0 && write_line_locked(fd, line, n) < 0 && !write_failed) {
        write_failed = 1;
        say("fabguard: cannot write event log %s: %s; later events may be lost\n",
            log_path[0] ? log_path : "stderr", strerror(errno));
    }
    pthread_mutex_unlock(&report_lock);
}

int fg_report_first_time(const char *key)
{
    uint64_t h = fnv1a(FG_FNV1A_BASIS, key);
    size_t   i;
    int      first = 1;

    pthread_mutex_lock(&report_lock);
    for (i = 0; i < nseen; i++) {
        if (seen[i] == h) {
            first = 0;
            break;
        }
    }
    if (first && nseen < FG_SEEN_MAX) {
        seen[nseen++] = h;
    }
    pthread_mutex_unlock(&report_lock);
    return first;
}

int fg_report_admit(const fg_event_t *ev)
{
    uint64_t h = FG_FNV1A_BASIS;
    size_t   i, slot;
    int      admit = 1;

    h = fnv1a(h, ev->lib);
    h = fnv1a(h, ev->event);
    h = fnv1a(h, ev->verdict);
    h = fnv1a(h, ev->rule);
    h = fnv1a(h, ev->detail);
    h = fnv1a(h, ev->comm);
    for (i = 0; i < ev->nlanes; i++) {
        h = fnv1a(h, ev->lanes[i].transport);
        h = fnv1a(h, ev->lanes[i].device);
    }
    if (h == 0) {
        h = 1;
    }
    pthread_mutex_lock(&report_lock);
    slot = (size_t)(h % FG_ADMIT_KEYS);
    for (i = 0; i < FG_ADMIT_KEYS; i++, slot = (slot + 1) % FG_ADMIT_KEYS) {
        if (admitted[slot].key == h || admitted[slot].key == 0) {
            admitted[slot].key = h;
            admit = (++admitted[slot].count <= FG_ADMIT_PER_KEY);
            break;
        }
    }
    pthread_mutex_unlock(&report_lock);
    return admit;
}

void fg_report_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

    report_lock = fresh;
    if (log_fd > STDERR_FILENO) {
        close(log_fd);   /* the child writes its own stream */
    }
    log_fd       = -1;
    log_state    = LOG_UNOPENED;
    write_failed = 0;
    nseen        = 0;
    memset(admitted, 0, sizeof(admitted));
}
