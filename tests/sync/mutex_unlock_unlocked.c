/* mutex_unlock_unlocked.c — unlocking an unlocked Mutex is fatal. */
#include <goc.h>

static void main_fn(void *arg)
{
    (void)arg;
    goc_mutex m = { 0 };
    goc_mutex_unlock(&m);
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
