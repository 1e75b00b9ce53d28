// pipeline.go — Go twin of examples/pipeline.c: generator, W workers and a
// collector; the first error cancels the group's context.
//
//	go run pipeline.go [N] [WORKERS] [FAIL_AT]
//
// Uses golang.org/x/sync/errgroup's shape with the standard library only
// (a WaitGroup, a context and a once-recorded error), so it builds offline.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
)

type group struct {
	wg     sync.WaitGroup
	once   sync.Once
	err    error
	cancel context.CancelFunc
}

func (g *group) Go(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err; g.cancel() })
		}
	}()
}

func (g *group) Wait() error { g.wg.Wait(); g.cancel(); return g.err }

func arg(i int, def int64) int64 {
	if len(os.Args) > i {
		v, _ := strconv.ParseInt(os.Args[i], 10, 64)
		return v
	}
	return def
}

func main() {
	n, nworkers, failAt := arg(1, 100000), arg(2, 8), arg(3, 0)
	ctx, cancel := context.WithCancel(context.Background())
	g := &group{cancel: cancel}
	nums, squares := make(chan int64), make(chan int64)
	errBad := errors.New("invalid argument")

	g.Go(func() error {
		defer close(nums)
		for i := int64(1); i <= n; i++ {
			select {
			case nums <- i:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	var workers sync.WaitGroup
	workers.Add(int(nworkers))
	for w := int64(0); w < nworkers; w++ {
		g.Go(func() error {
			defer workers.Done()
			for v := range nums {
				if v == failAt {
					return errBad
				}
				select {
				case squares <- v * v:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error { workers.Wait(); close(squares); return nil })

	var got, sum int64
loop:
	for {
		select {
		case sq, ok := <-squares:
			if !ok {
				break loop
			}
			sum += sq
			got++
		case <-ctx.Done():
			break loop
		}
	}
	if err := g.Wait(); err != nil {
		fmt.Printf("pipeline: item %d failed (%v); stopped after %d of %d results; every stage exited\n",
			failAt, err, got, n)
		return
	}
	fmt.Printf("pipeline: %d items through %d workers, sum of squares %d\n", got, nworkers, sum)
}
