/* fatal_flush.c MODE — every fatal path flushes stdio first (issue 10, F9):
 * with stdout a pipe (fully buffered), the printf lines written before
 * the fatal error must reach it.  MODE picks the fatal path: deadlock,
 * closenil (close of a nil channel), wgneg (negative WaitGroup counter),
 * sigquit (the SIGQUIT dump), printing (another goroutine keeps printf-ing
 * while the fatal happens, so the flush meets a busy stream lock). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <goc.h>
#include "testutil.h"

static const char *mode;

static void printer(void *arg)
{
    (void)arg;
    for (long i = 0;; i++) {
        printf("printer line %ld\n", i);
        if (i % 64 == 0)
            goc_sleep(10000);   /* lets main's timer run at P=1 */
    }
}

static void main_g(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++)
        printf("line %d\n", i);
    if (strcmp(mode, "printing") == 0) {
        goc_go(printer, NULL);
        goc_sleep(5 * 1000000);
    }
    printf("last line before the fatal: %s\n", mode);
    if (strcmp(mode, "deadlock") == 0) {
        goc_chan *c = goc_chan_make(0, 0);
        goc_chan_recv(c, NULL);
    } else if (strcmp(mode, "closenil") == 0 || strcmp(mode, "printing") == 0) {
        goc_chan_close(NULL);
    } else if (strcmp(mode, "wgneg") == 0) {
        goc_wg wg = {0};
        goc_wg_done(&wg);
    } else if (strcmp(mode, "sigquit") == 0) {
        raise(SIGQUIT);
        goc_sleep(5LL * 1000000000);
    }
    fprintf(stderr, "fatal_flush: mode %s did not die\n", mode);
    exit(1);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    mode = argv[1];
    return goc_main(main_g, NULL);
}
