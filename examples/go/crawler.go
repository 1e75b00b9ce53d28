// crawler.go — Go twin of examples/crawler.c: gopl's crawl2 (a worklist
// channel and a semaphore of tokens) over an in-process fake web served by
// net/http/httptest, each page with a few links and 1 ms of latency.
//
//	go run crawler.go [PAGES] [LIMIT]
package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

var npages, limit int64

func nlinks(k int64) int { return 1 + int(k%4) }

func linkOf(k int64, i int) int64 {
	switch i {
	case 0:
		return (k*k + 1) % npages
	case 1:
		return (3*k + 7) % npages
	case 2:
		return (k + npages/2) % npages
	}
	return (k*31 + 11) % npages
}

func page(w http.ResponseWriter, r *http.Request) {
	k, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/p/"), 10, 64)
	if !strings.HasPrefix(r.URL.Path, "/p/") || err != nil || k < 0 || k >= npages {
		http.Error(w, "no such page", 404)
		return
	}
	time.Sleep(time.Millisecond)
	w.Header().Set("Content-Type", "text/html")
	fmt.Fprintf(w, "<html><body><h1>page %d</h1>\n", k)
	for i := 0; i < nlinks(k); i++ {
		fmt.Fprintf(w, "<a href=\"/p/%d\">page %d</a>\n", linkOf(k, i), linkOf(k, i))
	}
	fmt.Fprintf(w, "</body></html>\n")
}

var href = regexp.MustCompile(`href="/p/(\d+)"`)

func arg(i int, def int64) int64 {
	if len(os.Args) > i {
		v, _ := strconv.ParseInt(os.Args[i], 10, 64)
		return v
	}
	return def
}

func main() {
	npages, limit = arg(1, 2000), arg(2, 16)
	srv := httptest.NewServer(http.HandlerFunc(page))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	tokens := make(chan struct{}, limit)
	worklist := make(chan []int64)
	var inflight, maxInflight, fetched, errs int64

	crawl := func(k int64) {
		tokens <- struct{}{}
		now := atomic.AddInt64(&inflight, 1)
		for m := atomic.LoadInt64(&maxInflight); now > m && !atomic.CompareAndSwapInt64(&maxInflight, m, now); m = atomic.LoadInt64(&maxInflight) {
		}
		var links []int64
		resp, err := client.Get(fmt.Sprintf("%s/p/%d", srv.URL, k))
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, m := range href.FindAllSubmatch(body, -1) {
				v, _ := strconv.ParseInt(string(m[1]), 10, 64)
				links = append(links, v)
			}
		} else {
			atomic.AddInt64(&errs, 1)
		}
		atomic.AddInt64(&inflight, -1)
		<-tokens
		atomic.AddInt64(&fetched, 1)
		worklist <- links
	}

	seen := make([]bool, npages)
	t0 := time.Now()
	seen[0] = true
	go crawl(0)
	for pending := 1; pending > 0; pending-- {
		for _, j := range <-worklist {
			if j >= 0 && j < npages && !seen[j] {
				seen[j] = true
				pending++
				go crawl(j)
			}
		}
	}
	ms := float64(time.Since(t0).Microseconds()) / 1e3
	fmt.Printf("crawler: fetched %d pages of %d, at most %d at once (limit %d), %d errors, %.0f ms\n",
		fetched, npages, maxInflight, limit, errs, ms)
}
