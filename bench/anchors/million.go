// million.go — Go's twin of goc-bench million (bench/bench_million.c): n
// goroutines alive and runnable at once, each calling runtime.Gosched in a
// loop until all have started, then released.  Same flags, same output line:
//
//	million gomaxprocs=P n=N start_ms=.. total_ms=.. bytes_per_g=..
//
// Standard library only; built and run by scripts/compare_million.py.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	if len(os.Args) < 2 || os.Args[1] != "million" {
		fmt.Fprintln(os.Stderr, "usage: million million [-n N]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("million", flag.ExitOnError)
	n := fs.Int("n", 1_000_000, "goroutines")
	fs.Parse(os.Args[2:])

	var started, finished sync.WaitGroup
	var release int32
	started.Add(*n)
	finished.Add(*n)
	rss0 := rssKiB()
	t0 := time.Now()
	for i := 0; i < *n; i++ {
		go func() {
			var buf [512]byte // a stack frame of a real function
			buf[0] = 1
			started.Done()
			for atomic.LoadInt32(&release) == 0 {
				runtime.Gosched()
			}
			_ = buf[0]
			finished.Done()
		}()
	}
	started.Wait()
	t1 := time.Now()
	rss1 := rssKiB()
	atomic.StoreInt32(&release, 1)
	finished.Wait()
	t2 := time.Now()
	fmt.Printf("million gomaxprocs=%d n=%d start_ms=%.1f total_ms=%.1f bytes_per_g=%.0f\n",
		runtime.GOMAXPROCS(0), *n, float64(t1.Sub(t0).Nanoseconds())/1e6,
		float64(t2.Sub(t0).Nanoseconds())/1e6, float64(rss1-rss0)*1024/float64(*n))
}
