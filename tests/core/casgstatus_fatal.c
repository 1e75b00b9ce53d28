/* casgstatus_fatal.c — a G status transition by a party not entitled to it
 * (here: readying a goroutine that is running, as a double wake-up or a
 * second M using the same P would) dies at once with the transition named,
 * instead of queueing a running G and running it twice.  goc__casgstatus
 * is a real compare-and-swap. */
#include <goc.h>
#include "runtime.h"

static void main_g(void *arg)
{
    (void)arg;
    goc__ready(goc__getg());
}

int main(void) { return goc_main(main_g, NULL); }
