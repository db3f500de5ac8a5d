/* Test program: four threads print in turn; used to compare a threaded
 * process with and without the shim. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int             turn;

static void *run(void *arg)
{
    int id = (int)(long)arg, done = 0;

    while (!done) {
        pthread_mutex_lock(&lock);
        if (turn == id) {
            printf("thread %d\n", id);
            turn++;
            done = 1;
        }
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    long      i;

    for (i = 3; i >= 0; i--) {
        pthread_create(&t[i], NULL, run, (void *)i);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    return 0;
}
