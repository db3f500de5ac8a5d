/* Reporting: the JSON Lines event log (one write(2) per event, O_APPEND,
 * O_CLOEXEC, O_NOFOLLOW), stderr lines, and flood control. */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

static uint64_t fnv1a(uint64_t h, const char *s)
{
    if (s == NULL) {
        s = "";
    }
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    h ^= 0xff;   /* field separator */
    return h * 1099511628211ULL;
}

void fg_report_stderr_line(const char *text, size_t len)
{
    ssize_t w = write(STDERR_FILENO, text, len);
    (void)w;
}

static void say(const char *fmt, const char *a, const char *b)
{
    char line[1400];
    int  n = snprintf(line, sizeof(line), fmt, a, b);

    if (n > 0) {
        fg_report_stderr_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    }
}

/* mkdir -p of the directory part of path. */
static int make_parents(char *path)
{
    char *p;

    for (p = path + 1; *p != '\0'; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(path, 0750) < 0 && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    return 0;
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
    const fg_policy_t *pol = fg_core_policy();
    fg_event_origin_t  o;
    fg_template_vars_t v;
    const char        *why = NULL;
    char               user[64];

    if (pol == NULL || pol->log == NULL || pol->log[0] == '\0') {
        log_state = LOG_NONE;
        return;
    }
    if (strcmp(pol->log, "stderr") == 0) {
        log_fd    = STDERR_FILENO;
        log_state = LOG_OPEN;
        return;
    }
    fg_core_origin(&o);
    user_name(user, sizeof(user));
    v.host = o.host;
    v.pid  = o.pid;
    v.prog = o.prog;
    v.time = o.ts.tv_sec;
    v.user = user;
    if (fg_template_expand(pol->log, &v, log_path, sizeof(log_path), &why) < 0) {
        say("fabguard: event log '%s': %s; events are not written\n", pol->log, why);
        log_state = LOG_FAILED;
        return;
    }
    if (make_parents(log_path) < 0) {
        say("fabguard: cannot create the folder of event log %s: %s; events are not written\n",
            log_path, strerror(errno));
        log_state = LOG_FAILED;
        return;
    }
    /* O_NOFOLLOW: a planted symlink cannot redirect our writes */
    log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
                                O_NOFOLLOW | O_NOCTTY, 0640);
    if (log_fd < 0) {
        say("fabguard: cannot open event log %s: %s; events are not written\n",
            log_path, strerror(errno));
        log_state = LOG_FAILED;
        return;
    }
    {
        struct stat st;
        if (fstat(log_fd, &st) == 0) {
            log_dev = st.st_dev;
            log_ino = st.st_ino;
        }
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

/* Write one line whole or not at all: a short write on a full disk is cut
 * back so every line in the log parses. Called with report_lock held. */
static ssize_t write_line_locked(int fd, const char *line, size_t n)
{
    struct stat st;
    off_t       before = -1;
    ssize_t     w;

    if (fd != STDERR_FILENO && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        before = st.st_size;
    }
    do {
        w = write(fd, line, n);
    } while (w < 0 && errno == EINTR);
    if (w >= 0 && (size_t)w < n) {
        int err = ENOSPC;
        if (before >= 0 && ftruncate(fd, before) < 0) {
            err = errno;
        }
        errno = err;
        return -1;
    }
    return w;
}

void fg_report_event(const fg_event_t *ev)
{
    char              line[FG_EVENT_MAX];
    fg_event_origin_t o;
    size_t            n;
    int               fd;

    fg_core_origin(&o);
    n = fg_event_format(ev, &o, line, sizeof(line));
    if (n == 0) {
        return;
    }
    /* one write per event, serialised in-process so a cut-back after a short
     * write cannot remove another thread's line */
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
    uint64_t h = fnv1a(14695981039346656037ULL, key);
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
    uint64_t h = 14695981039346656037ULL;
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
