// chat.go — Go twin of examples/chat.c: gopl's chat server (ch. 8.10) with
// N in-process clients that register, send M lines each, read until they
// have seen every line, and leave.
//
//	go run chat.go [CLIENTS] [MESSAGES]
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type client chan<- string

var (
	entering = make(chan client)
	leaving  = make(chan client)
	messages = make(chan string)
)

func broadcaster() {
	clients := make(map[client]bool)
	for {
		select {
		case msg := <-messages:
			for cli := range clients {
				cli <- msg
			}
		case cli := <-entering:
			clients[cli] = true
		case cli := <-leaving:
			delete(clients, cli)
			close(cli)
		}
	}
}

func handleConn(conn net.Conn) {
	ch := make(chan string)
	go clientWriter(conn, ch)
	who := conn.RemoteAddr().String()
	ch <- "You are " + who
	messages <- who + " has arrived"
	entering <- ch
	input := bufio.NewScanner(conn)
	for input.Scan() {
		messages <- who + ": " + input.Text()
	}
	leaving <- ch
	messages <- who + " has left"
}

func clientWriter(conn net.Conn, ch <-chan string) {
	for msg := range ch {
		fmt.Fprintln(conn, msg)
	}
	conn.Close()
}

func arg(i int, def int64) int64 {
	if len(os.Args) > i {
		v, _ := strconv.ParseInt(os.Args[i], 10, 64)
		return v
	}
	return def
}

func main() {
	nclients, nmsgs := arg(1, 50), arg(2, 10)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go broadcaster()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go handleConn(conn)
		}
	}()
	start := make(chan struct{})
	var registered, finished sync.WaitGroup
	var complete int64
	t0 := time.Now()
	registered.Add(int(nclients))
	finished.Add(int(nclients))
	for i := int64(0); i < nclients; i++ {
		go func(id int64) {
			defer finished.Done()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				panic(err)
			}
			in := bufio.NewScanner(conn)
			in.Scan()
			me := strings.TrimPrefix(in.Text(), "You are ")
			fmt.Fprintf(conn, "hello from %d\n", id)
			hello := fmt.Sprintf("%s: hello from %d", me, id)
			for in.Scan() && in.Text() != hello {
			}
			registered.Done()
			<-start
			for m := int64(0); m < nmsgs; m++ {
				fmt.Fprintf(conn, "msg %d %d\n", id, m)
			}
			want, got := nclients*nmsgs, int64(0)
			for got < want && in.Scan() {
				if strings.Contains(in.Text(), ": msg ") {
					got++
				}
			}
			if got == want {
				atomic.AddInt64(&complete, 1)
			}
			conn.Close()
		}(i)
	}
	registered.Wait()
	close(start)
	finished.Wait()
	fmt.Printf("chat: %d clients sent %d lines each; %d of %d clients received all %d lines (%.1f ms)\n",
		nclients, nmsgs, complete, nclients, nclients*nmsgs, float64(time.Since(t0).Microseconds())/1e3)
	ln.Close()
}
