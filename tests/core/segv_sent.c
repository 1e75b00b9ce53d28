/* segv_sent.c — a SIGSEGV that is sent, not a fault (kill -SEGV), has the
 * effect it has without goc: it kills the process (status: signal 11),
 * unless the program ignored SIGSEGV before goc_main, in which case it is
 * ignored.  The runtime's overflow handler takes SIGSEGV; on a signal that
 * is no stack overflow it used to restore the default action and return,
 * so a sent SIGSEGV was lost and the process ran on with no handler.
 *
 * The signal goes to a forked child (the runtime's handler is inherited);
 * argument "ign": SIGSEGV is ignored from before goc_main. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

static int ign;

static void main_g(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            kill(getpid(), SIGSEGV);
            usleep(100 * 1000);
            _exit(7);   /* survived */
        }
        int st;
        CHECK(waitpid(pid, &st, 0) == pid);
        if (ign)
            CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 7, "status %#x", st);
        else
            CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "status %#x", st);
    }
    /* And in this process, with goroutines running. */
    if (ign) {
        kill(getpid(), SIGSEGV);
        goc_sleep(20 * GOC_MILLISECOND);
    }
    printf("segv_sent ok (%s)\n", ign ? "ignored" : "default");
}

int main(int argc, char **argv)
{
    ign = argc > 1 && strcmp(argv[1], "ign") == 0;
    if (ign)
        signal(SIGSEGV, SIG_IGN);
    return goc_main(main_g, NULL);
}
