/* Test program: an application with its own SIGABRT handler and a thread
 * storming it with SIGUSR1, then a TCP endpoint under enforce+abort. The
 * abort path must finish its message and still end the process by SIGABRT
 * after the application's handler ran. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <ucp/api/ucp.h>

int fg_plugin_run(void);
static atomic_long usr1;

static void on_usr1(int s) { (void)s; atomic_fetch_add(&usr1, 1); }
static void on_abrt(int s)
{
    static const char msg[] = "app SIGABRT handler ran\n";
    ssize_t w = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
    (void)s; (void)w;
}

static void *storm(void *arg)
{
    pid_t pid = getpid();
    (void)arg;
    for (;;) {
        kill(pid, SIGUSR1);
        usleep(50);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sa.sa_flags   = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_abrt;
    sigaction(SIGABRT, &sa, NULL);
    pthread_create(&t, NULL, storm, NULL);
    usleep(2000);
    return fg_plugin_run() == 0 ? 0 : 1;
}
#include "libucx_plugin.c"
