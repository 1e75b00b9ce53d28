// after.go — Go's twin of goc-bench after (bench/bench_after.c): a select
// whose other case always wins, with a time.After timeout (after_*) and with
// an explicit time.NewTimer + Stop (timer_*), n times each.  Same flags,
// same output line:
//
//	after gomaxprocs=P n=N after_ns_per_op=.. timer_ns_per_op=.. after_rss_kib=.. timer_rss_kib=..
//
// Standard library only; built and run by scripts/compare_twin.py after.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func rssKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return -1
}

func main() {
	if len(os.Args) < 2 || os.Args[1] != "after" {
		fmt.Fprintln(os.Stderr, "usage: after after [-n N] [-d ns]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("after", flag.ExitOnError)
	n := fs.Int("n", 1_000_000, "iterations")
	d := fs.Int64("d", 1_000_000_000, "timeout (ns)")
	fs.Parse(os.Args[2:])
	ready := make(chan struct{})
	close(ready)
	timeout := time.Duration(*d)

	rss0 := rssKiB()
	t0 := time.Now()
	for i := 0; i < *n; i++ {
		t := time.NewTimer(timeout)
		select {
		case <-ready:
		case <-t.C:
			panic("timer won")
		}
		t.Stop()
	}
	timerNs := time.Since(t0).Nanoseconds()
	rss1 := rssKiB()

	t0 = time.Now()
	for i := 0; i < *n; i++ {
		select {
		case <-ready:
		case <-time.After(timeout):
			panic("timer won")
		}
	}
	afterNs := time.Since(t0).Nanoseconds()
	rss2 := rssKiB()

	fmt.Printf("after gomaxprocs=%d n=%d after_ns_per_op=%.1f timer_ns_per_op=%.1f "+
		"after_rss_kib=%d timer_rss_kib=%d\n",
		runtime.GOMAXPROCS(0), *n, float64(afterNs)/float64(*n),
		float64(timerNs)/float64(*n), rss2-rss1, rss1-rss0)
}
