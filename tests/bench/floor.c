/* The floor of ./dev bench: a bare threaded libfcgi responder (4 threads,
 * like accountd's dev config) answering a fixed body. Built by the bench:
 *   cc -O2 -o bench-floor floor.c -lfcgi -pthread
 *   bench-floor SOCKET_PATH */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_fd;

static void *serve(void *arg)
{
    (void)arg;
    FCGX_Request r;
    FCGX_InitRequest(&r, listen_fd, 0);
    while (FCGX_Accept_r(&r) >= 0) {
        FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"ok\"}\n",
                  r.out);
        FCGX_Finish_r(&r);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
        return 2;
    }
    FCGX_Init();
    /* libfcgi catches SIGTERM to finish the request in hand and stop at the
     * next accept, which never comes after the run: the bench's TERM must
     * end the floor at once. */
    signal(SIGTERM, SIG_DFL);
    unlink(argv[1]);
    listen_fd = FCGX_OpenSocket(argv[1], 128);
    if (listen_fd < 0)
        return 1;
    chmod(argv[1], 0660);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, serve, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    return 0;
}
