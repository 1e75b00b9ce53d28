/* nettest.h — helpers for the network tests. */
#ifndef GOC_NETTEST_H
#define GOC_NETTEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "goc.h"
#include "testutil.h"

/* "127.0.0.1:PORT" (or "[::1]:PORT") for a listener made with port 0. */
static inline void test_addr_of(int lfd, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    CHECK(getsockname(lfd, (struct sockaddr *)&ss, &sl) == 0);
    if (ss.ss_family == AF_INET6)
        snprintf(buf, len, "[::1]:%d", ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
    else
        snprintf(buf, len, "127.0.0.1:%d", ntohs(((struct sockaddr_in *)&ss)->sin_port));
}

/* Raise the soft fd limit to the hard one; returns the new soft limit. */
static inline long test_raise_nofile(void)
{
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return (long)rl.rlim_cur;
}

static inline long test_cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

#endif
