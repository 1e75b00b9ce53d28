/* time_idle: a program whose goroutines all sleep on a long timer uses
 * (almost) no CPU: utime + stime over one second stay under 30 ms. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "goc.h"
#include "testutil.h"

static long cpu_ticks(void)
{
    FILE *f = fopen("/proc/self/stat", "r");
    CHECK(f != NULL);
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    CHECK(p != NULL);
    unsigned long ut = 0, st = 0;
    /* fields after ')': state(3) ... utime is field 14, stime 15 */
    CHECK(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                 &ut, &st) == 2);
    return (long)(ut + st);
}

static void sleeper(void *arg)
{
    (void)arg;
    goc_sleep(60LL * 1000000000);
}

static void main_g(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        CHECK(goc_go(sleeper, NULL) == 0);
    goc_sleep(300 * 1000000LL);   /* let the start-up settle */
    long hz = sysconf(_SC_CLK_TCK);
    long c0 = cpu_ticks();
    goc_sleep(1000 * 1000000LL);
    long used_ms = (cpu_ticks() - c0) * 1000 / hz;
    printf("cpu while idle: %ld ms/s\n", used_ms);
    CHECKF(used_ms <= 30, "idle program used %ld ms of CPU in 1 s", used_ms);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
