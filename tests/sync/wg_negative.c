/* wg_negative.c — a negative WaitGroup counter is fatal: exit 2 with
 * "fatal error: sync: negative WaitGroup counter". */
#include <goc.h>

static void main_fn(void *arg)
{
    (void)arg;
    goc_wg wg = { 0 };
    goc_wg_add(&wg, 1);
    goc_wg_done(&wg);
    goc_wg_done(&wg);
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
