/* goc-bench — the benchmark program; see bench.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Weak: a subcommand's file may belong to a mechanism not built here. */
#pragma weak bench_pingpong
#pragma weak bench_buffered
#pragma weak bench_select
#pragma weak bench_mutex
#pragma weak bench_timers
#pragma weak bench_parked
#pragma weak bench_million
#pragma weak bench_after

static const struct {
    const char *name;
    int (*fn)(int, char **);
} cmds[] = {
    {"spawn", bench_spawn},       {"yield", bench_yield},
    {"parallel", bench_parallel}, {"pingpong", bench_pingpong},
    {"buffered", bench_buffered}, {"select", bench_select},
    {"mutex", bench_mutex},       {"timers", bench_timers},
    {"parked", bench_parked},     {"million", bench_million},
    {"after", bench_after},       {"floor", bench_floor},
};

long bench_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            v = atol(line + 6);
            break;
        }
    fclose(f);
    return v;
}

long bench_flag(int argc, char **argv, const char *name, long def)
{
    size_t len = strlen(name);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        while (*a == '-')
            a++;
        if (strncmp(a, name, len) != 0)
            continue;
        const char *v = NULL;
        if (a[len] == '=')
            v = a + len + 1;
        else if (a[len] == 0 && i + 1 < argc)
            v = argv[i + 1];
        else
            continue;
        char *end;
        double d = strtod(v, &end);
        /* Go durations: 10ms, 1s */
        if (strcmp(end, "ms") == 0)
            d *= 1e6;
        else if (strcmp(end, "us") == 0)
            d *= 1e3;
        else if (strcmp(end, "s") == 0)
            d *= 1e9;
        else if (*end == '_' || *end != 0) {
            /* 1_000_000 style */
            char buf[64];
            size_t k = 0;
            for (const char *p = v; *p && k < sizeof buf - 1; p++)
                if (*p != '_')
                    buf[k++] = *p;
            buf[k] = 0;
            d = strtod(buf, &end);
            if (*end) {
                fprintf(stderr, "goc-bench: bad value for -%s: %s\n", name, v);
                exit(2);
            }
        }
        return (long)d;
    }
    return def;
}

double bench_ns_per(int64_t ns, long n) { return (double)ns / (double)n; }

int main(int argc, char **argv)
{
    if (argc >= 2) {
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
            if (strcmp(argv[1], cmds[i].name) != 0)
                continue;
            if (cmds[i].fn == NULL) {
                fprintf(stderr, "goc-bench: %s is not built in this tree\n", argv[1]);
                return 2;
            }
            return cmds[i].fn(argc - 2, argv + 2);
        }
    }
    fprintf(stderr, "usage: goc-bench spawn|yield|parallel|pingpong|buffered|select|mutex|timers|parked|million|after|floor [flags]\n");
    return 2;
}
