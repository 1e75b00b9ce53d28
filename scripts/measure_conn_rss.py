#!/usr/bin/env python3
"""Memory per idle keep-alive connection of a goc_http server (docs/operations.md).

Usage: measure_conn_rss.py [--server build/examples/http_hello] [--conns 5000]

Starts the server on a free loopback port, reads /debug/goc, opens CONNS
connections that each make one request and then stay open (idle keep-alive:
a goroutine parked in read, its 4 KiB read buffer, the kernel socket), reads
/debug/goc again, and prints the differences per connection.  RSS is the
process's (user memory only: socket buffers are the kernel's)."""
import argparse
import resource
import socket
import subprocess
import time


def scrape(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /debug/goc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    vals = {}
    for ln in data.split(b"\r\n\r\n", 1)[1].decode().splitlines():
        if ln and not ln.startswith("#"):
            k, v = ln.rsplit(" ", 1)
            vals[k] = float(v)
    return vals


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="build/examples/http_hello")
    ap.add_argument("--conns", type=int, default=5000)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    p = subprocess.Popen([a.server, "127.0.0.1:%d" % port], stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                before = scrape(port)
                break
            except OSError:
                time.sleep(0.05)
        conns = []
        for _ in range(a.conns):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            conns.append(s)
        for s in conns:
            got = b""
            while b"Hello, World!" not in got:
                got += s.recv(4096)
        time.sleep(0.5)
        after = scrape(port)
        n = a.conns
        d = {k: after.get(k, 0) - before.get(k, 0) for k in
             ("process_resident_memory_bytes", "goc_stack_inuse_bytes", "goc_goroutines",
              "goc_http_connections_open")}
        print("connections %d: goroutines +%d, open +%d" % (n, d["goc_goroutines"],
                                                          d["goc_http_connections_open"]))
        print("RSS +%.1f MiB: %.0f bytes per idle connection" % (
            d["process_resident_memory_bytes"] / 2**20, d["process_resident_memory_bytes"] / n))
        print("stack reserved +%.0f MiB (%.0f KiB per goroutine, address space; touched pages "
              "are in the RSS above)" % (d["goc_stack_inuse_bytes"] / 2**20,
                                         d["goc_stack_inuse_bytes"] / 1024 / n))
        for s in conns:
            s.close()
    finally:
        p.terminate()
        p.wait(timeout=30)


if __name__ == "__main__":
    main()
