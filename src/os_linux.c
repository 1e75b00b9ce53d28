/*
 * os_linux.c — what the scheduler asks of the OS: how many CPUs the process
 * may use (Go 1.25's defaultGOMAXPROCS) and each thread's stack bounds.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

uint32_t goc__gcd(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* ceil(quota/period) from cgroup v2 cpu.max ("max 100000" = no limit) or
 * v1 cfs_quota_us/cfs_period_us; 0 when there is no limit.  Like Go, a
 * limit is never below 2. */
static int32_t cgroup_cpus(void)
{
    char path[512] = "/sys/fs/cgroup/cpu.max", line[256];
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "0::", 3) == 0) {
                line[strcspn(line, "\n")] = 0;
                snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpu.max", line + 3);
                break;
            }
        }
        fclose(f);
    }
    long long quota = -1, period = 0;
    f = fopen(path, "r");
    if (f == NULL)
        f = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (f) {
        char q[32];
        if (fscanf(f, "%31s %lld", q, &period) == 2 && strcmp(q, "max") != 0)
            quota = atoll(q);
        fclose(f);
    } else {
        f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r");
        if (f) {
            if (fscanf(f, "%lld", &quota) != 1)
                quota = -1;
            fclose(f);
        }
        f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r");
        if (f) {
            if (fscanf(f, "%lld", &period) != 1)
                period = 0;
            fclose(f);
        }
    }
    if (quota <= 0 || period <= 0)
        return 0;
    long long n = (quota + period - 1) / period;
    return n < 2 ? 2 : (int32_t)n;
}

int32_t goc__default_procs(void)
{
    cpu_set_t set;
    int32_t n = 1;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
    if (n < 1)
        n = 1;
    int32_t q = cgroup_cpus();
    if (q > 0 && q < n)
        n = q;
    return n > GOC_MAXPROCS_LIMIT ? GOC_MAXPROCS_LIMIT : n;
}

void goc__m_stackbounds(M *m)
{
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &m->g0lo, &m->g0size);
        pthread_attr_destroy(&attr);
    }
}
