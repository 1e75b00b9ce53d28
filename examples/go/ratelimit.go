// ratelimit.go — Go twin of examples/ratelimit.c: one job per tick to W
// workers, each job given up after its timeout with time.After.
//
//	go run ratelimit.go [JOBS] [RATE_PER_S] [WORKERS] [TIMEOUT_MS]
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func arg(i int, def int64) int64 {
	if len(os.Args) > i {
		v, _ := strconv.ParseInt(os.Args[i], 10, 64)
		return v
	}
	return def
}

var backends sync.WaitGroup

func backend(job int64, reply chan<- int64) {
	defer backends.Done()
	time.Sleep(time.Duration(1+(job*7919)%30) * time.Millisecond)
	reply <- job * 2
}

func main() {
	njobs, rate, nworkers, timeoutMs := arg(1, 200), arg(2, 500), arg(3, 16), arg(4, 20)
	jobs := make(chan int64)
	var answered, timedOut int64
	var wg sync.WaitGroup
	for w := int64(0); w < nworkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				reply := make(chan int64, 1)
				backends.Add(1)
				go backend(job, reply)
				select {
				case v := <-reply:
					if v == job*2 {
						atomic.AddInt64(&answered, 1)
					}
				case <-time.After(time.Duration(timeoutMs) * time.Millisecond):
					atomic.AddInt64(&timedOut, 1)
				}
			}
		}()
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	t0 := time.Now()
	for j := int64(0); j < njobs; j++ {
		<-tick.C
		jobs <- j
	}
	secs := time.Since(t0).Seconds()
	close(jobs)
	wg.Wait()
	tick.Stop()
	fmt.Printf("ratelimit: %d jobs at %.0f/s (limit %d/s), %d answered, %d timed out after %d ms\n",
		njobs, float64(njobs)/secs, rate, answered, timedOut, timeoutMs)
	backends.Wait()
}
