#!/usr/bin/env python3
"""End-to-end tests of goc_http with real clients (sockets, http.client, curl, wrk).

Usage: e2e.py --server PATH/http_test_server GROUP...   (e2e.py --list)

Each group starts its own server on a loopback port and stops it.  Every loop
is bounded in count and time; every socket has a timeout.  Exit status 0 when
all checks pass.
"""
import argparse
import http.client
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

SERVER = None
FAILS = []
MAX_BODY = 1 << 20


def check(cond, what):
    if cond:
        return True
    FAILS.append(what)
    print("FAIL:", what, flush=True)
    return False


class Server:
    def __init__(self, max_body=MAX_BODY, rht_ms=10000, idle_ms=120000, argv=None):
        self.err = ""
        self.p = subprocess.Popen(
            argv or [SERVER, "127.0.0.1:0", str(max_body), str(rht_ms), str(idle_ms)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        sel = selectors.DefaultSelector()
        sel.register(self.p.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=10):
            self.stop()
            raise RuntimeError("server did not start")
        line = self.p.stdout.readline()
        m = re.match(r"listening (\d+)", line)
        if not m:
            self.stop()
            raise RuntimeError("server said %r: %s" % (line, self.p.stderr.read()))
        self.port = int(m.group(1))

    def stop(self, dump=False):
        err = None
        if self.p.poll() is None and dump:
            # A check failed with the server still up (a response that
            # never came): SIGQUIT makes it print every goroutine's stack
            # before it goes, so the failure can be read, not just seen.
            os.kill(self.p.pid, signal.SIGQUIT)
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            if self.p.poll() is not None:
                err = self.p.stderr.read()
                self.p.stderr.close()
                print("server goroutines at the failure (SIGQUIT):\n" + err[-12000:], flush=True)
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
        self.p.wait(timeout=10)
        # A sanitizer build reports on stderr as it goes (the server is killed,
        # so no exit status carries it): a report anywhere is a failure.
        if err is None and self.p.stderr and not self.p.stderr.closed:
            err = self.p.stderr.read()
            self.p.stderr.close()
        if err is not None:
            self.err = err
            m = re.search(r"(WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:).*", err)
            check(m is None, "sanitizer report from the server: %s" % (m.group(0) if m else ""))
            if m:
                print(err[:4000], flush=True)

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.p.pid))

    def rss_kb(self):
        for line in open("/proc/%d/status" % self.p.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop(dump=exc_type is not None and not isinstance(exc, KeyboardInterrupt))


class Conn:
    """A raw client connection with a response reader."""

    def __init__(self, port, timeout=5.0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def read_until(self, sep):
        while sep not in self.buf:
            self._fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_n(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, head_only=False):
        """(status, headers dict lowercased, body, version)."""
        head = self.read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        ver, code = lines[0].split(" ")[0], int(lines[0].split(" ")[1])
        h = {}
        for ln in lines[1:]:
            if ln:
                k, v = ln.split(":", 1)
                h[k.strip().lower()] = v.strip()
        body = b""
        if head_only or code in (100, 204, 304) or code < 200:
            return code, h, body, ver
        if "content-length" in h:
            body = self.read_n(int(h["content-length"]))
        elif h.get("transfer-encoding") == "chunked":
            while True:
                size = int(self.read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self.read_until(b"\r\n")
                    break
                body += self.read_n(size)
                self.read_n(2)
        else:
            try:
                while True:
                    self._fill()
            except EOFError:
                pass
            body, self.buf = self.buf, b""
        return code, h, body, ver

    def closed(self, wait=3.0):
        """True when the server closes the connection within wait seconds."""
        self.s.settimeout(wait)
        try:
            end = time.time() + wait
            while time.time() < end:
                if not self.s.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        return False

    def close(self):
        self.s.close()


def get(port, path="/", extra=""):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n" % (path, port, extra)).encode()


# ---------------------------------------------------------------- groups --

def t_basic():
    with Server() as s:
        c = Conn(s.port)
        c.send(get(s.port))
        code, h, body, ver = c.response()
        check(code == 200 and body == b"Hello, World!", "GET / -> 200 Hello")
        check(ver == "HTTP/1.1" and h.get("content-length") == "13", "HTTP/1.1, Content-Length 13")
        check(re.match(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$", h.get("date", "")),
              "Date header in IMF-fixdate")
        c.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        code, h, body, _ = c.response(head_only=True)
        check(code == 200 and h.get("content-length") == "13", "HEAD: Content-Length, no body")
        c.send(get(s.port, "/status?204"))
        code, h, body, _ = c.response()
        check(code == 204 and "content-length" not in h, "204 without Content-Length")
        c.send(get(s.port, "/tree"))
        code, h, _, _ = c.response()
        check(code == 301 and h.get("location") == "/tree/", "mux redirect /tree -> /tree/")
        c.send(get(s.port, "/tree/a/b"))
        code, _, body, _ = c.response()
        check(code == 200 and body == b"tree /tree/a/b", "mux subtree match")
        c.send(get(s.port, "/debug/goc"))
        code, h, body, _ = c.response()
        check(code == 200 and b"goc_goroutines " in body and b"# TYPE" in body,
              "/debug/goc in Prometheus text")
        c.send(get(s.port, "/headers", "X-Test: one two\r\n"))
        code, _, body, _ = c.response()
        check(b"X-Test: one two\n" in body, "request headers reach the handler")
        c.send(get(s.port, "/", "Connection: close\r\n"))
        code, h, _, _ = c.response()
        check(code == 200 and h.get("connection") == "close" and c.closed(),
              "Connection: close honoured")
        # HTTP/1.0: close by default, keep-alive on request
        c = Conn(s.port)
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        code, h, body, ver = c.response()
        check(ver == "HTTP/1.0" and code == 200 and body == b"Hello, World!" and c.closed(),
              "HTTP/1.0 answered and closed")
        c = Conn(s.port)
        for i in range(3):
            c.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            code, h, _, _ = c.response()
            check(code == 200 and h.get("connection") == "keep-alive", "HTTP/1.0 keep-alive %d" % i)
        c.close()
        # http.client keep-alive: many requests, one connection
        hc = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
        for i in range(200):
            hc.request("GET", "/")
            r = hc.getresponse()
            if not check(r.status == 200 and r.read() == b"Hello, World!", "keep-alive #%d" % i):
                break
        hc.close()
        st = debug_metrics(s.port)
        check(st.get("goc_http_connections_accepted_total", 0) <= 8,
              "keep-alive reused connections (accepted=%s)" % st.get("goc_http_connections_accepted_total"))


def debug_metrics(port):
    hc = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    hc.request("GET", "/debug/goc")
    text = hc.getresponse().read().decode()
    hc.close()
    out = {}
    for ln in text.splitlines():
        if ln and not ln.startswith("#"):
            k, v = ln.rsplit(" ", 1)
            out[k] = float(v)
    return out


def t_pipeline():
    with Server() as s:
        c = Conn(s.port)
        n = 100
        c.send(b"".join(get(s.port, "/headers", "X-I: %d\r\n" % i) for i in range(n)))
        ok = True
        for i in range(n):
            code, _, body, _ = c.response()
            ok &= code == 200 and ("X-I: %d\n" % i).encode() in body
        check(ok, "100 pipelined requests answered in order")
        # mixed methods and bodies in one burst, split at odd places
        burst = (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                 b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n"
                 b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        for i in range(0, len(burst), 7):
            c.send(burst[i:i + 7])
            time.sleep(0.001)
        r1, r2, r3 = c.response(), c.response(), c.response()
        check(r1[2] == b"hello" and r2[2] == b"abcde" and r2[1].get("x-chunked") == "1"
              and r3[2] == b"Hello, World!", "pipelined CL, chunked and GET, trickled")
        # pipelining past the 64 KiB batch: big responses
        c.send(b"".join(get(s.port, "/big?30000") for _ in range(10)))
        ok = all(len(c.response()[2]) == 30000 for _ in range(10))
        check(ok, "pipelined 10 x 30000-byte responses")
        c.close()


def t_bodies():
    with Server() as s:
        hc = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        data = os.urandom(MAX_BODY)
        hc.request("POST", "/echo", body=data)
        r = hc.getresponse()
        check(r.status == 200 and r.read() == data, "1 MiB Content-Length body echoed")
        chunks = [os.urandom(n) for n in (1, 100, 5000, 70000, 3)]
        hc.request("POST", "/echo", body=iter(chunks), encode_chunked=True)
        r = hc.getresponse()
        check(r.status == 200 and r.read() == b"".join(chunks) and r.getheader("X-Chunked") == "1",
              "chunked request body decoded")
        hc.request("GET", "/big?1000000")
        r = hc.getresponse()
        check(r.status == 200 and len(r.read()) == 1000000, "1 MB response")
        hc.request("GET", "/stream?100000")
        r = hc.getresponse()
        check(r.status == 200 and r.getheader("Transfer-Encoding") == "chunked"
              and r.read() == b"y" * 100000, "streamed chunked response")
        hc.request("GET", "/big?10")
        r = hc.getresponse()
        check(r.read() == b"x" * 10, "connection usable after streaming")
        hc.close()
        # Expect: 100-continue
        c = Conn(s.port)
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        code, _, _, _ = c.response()
        check(code == 100, "100 Continue sent before the body")
        c.send(b"body")
        code, _, body, _ = c.response()
        check(code == 200 and body == b"body", "body after 100 Continue")
        # HTTP/1.0 streaming: close-delimited
        c = Conn(s.port)
        c.send(b"GET /stream?5000 HTTP/1.0\r\n\r\n")
        code, h, body, _ = c.response()
        check(code == 200 and body == b"y" * 5000 and "transfer-encoding" not in h,
              "HTTP/1.0 streamed response is close-delimited")
        # many tiny chunks
        c = Conn(s.port)
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"1\r\nz\r\n" * 20000 + b"0\r\n\r\n")
        code, _, body, _ = c.response()
        check(code == 200 and body == b"z" * 20000, "20000 one-byte chunks")
        c.close()


def expect_status_and_close(port, raw, want, what, read_all=True):
    c = Conn(port)
    try:
        c.send(raw)
        code, h, _, _ = c.response()
        check(code == want, "%s -> %d (got %d)" % (what, want, code))
        check(h.get("connection") == "close" and c.closed(), "%s: connection closed" % what)
    except (EOFError, ConnectionResetError, socket.timeout) as e:
        check(False, "%s: no response (%r)" % (what, e))
    finally:
        c.close()


def t_limits():
    with Server() as s:
        p = s.port
        big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8200 + b"\r\n\r\n"
        expect_status_and_close(p, big, 431, "headers over 8 KiB")
        expect_status_and_close(p, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                                431, "request line over 8 KiB")
        expect_status_and_close(p, b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 100 + b"\r\n",
                                431, "101 header fields")
        c = Conn(p)
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 98 + b"\r\n")
        check(c.response()[0] == 200, "99 header fields accepted")
        c.close()
        expect_status_and_close(p, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                                % (MAX_BODY + 1), 413, "Content-Length over the limit")
        chunked = (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + (b"10000\r\n" + b"q" * 0x10000 + b"\r\n") * 17)
        expect_status_and_close(p, chunked, 413, "chunked body over the limit")
        hc = http.client.HTTPConnection("127.0.0.1", p, timeout=10)
        hc.request("POST", "/echo", body=b"k" * MAX_BODY)
        r = hc.getresponse()
        check(r.status == 200 and len(r.read()) == MAX_BODY, "body exactly at the limit")
        hc.close()


MALFORMED = [
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
     400, "Content-Length with Transfer-Encoding"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
     400, "Transfer-Encoding with Content-Length"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400,
     "duplicate Content-Length"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabc", 400, "Content-Length list"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\n", 400, "negative Content-Length"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n", 400, "obs-fold"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400, "bare CR in a value"),
    (b"GET / HTTP/1.1\rHost: x\r\n\r\n", 400, "bare CR ending the request line"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", 400, "NUL in a value"),
    (b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "NUL in the target"),
    (b"GET / HTTP/1.1\nHost: x\n\n", 400, "bare LF line ends"),
    (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "space before colon"),
    (b"GET / HTTP/1.1\r\n\r\n", 400, "HTTP/1.1 without Host"),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Host fields"),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "invalid chunk size"),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400, "negative chunk size"),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400,
     "chunk size overflow"),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 400,
     "chunk longer than its size"),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400,
     "bare LF after chunk size"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
     400, "two Transfer-Encoding fields"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400,
     "chunked not the last coding"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
     "unsupported transfer coding"),
    (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "chunked in HTTP/1.0"),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP/2.0 in HTTP/1 framing"),
    (b"GET / FOO/1.1\r\nHost: x\r\n\r\n", 400, "bad protocol"),
    (b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad method"),
    (b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "two spaces"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n", 400, "TLS hello"),
]


def t_malformed():
    with Server() as s:
        for raw, want, what in MALFORMED:
            expect_status_and_close(s.port, raw, want, what)
        # the server is still fine
        c = Conn(s.port)
        c.send(get(s.port))
        check(c.response()[0] == 200, "server healthy after malformed input")
        # a bad request after a good one on the same connection
        c.send(get(s.port) + b"GET / HTTP/1.1\r\nHost: x\r\nX: \x01\r\n\r\n")
        check(c.response()[0] == 200 and c.response()[0] == 400 and c.closed(),
              "good then bad on one connection: 200, 400, closed")


def t_timeouts():
    with Server(rht_ms=500, idle_ms=1000) as s:
        # slowloris: one byte every 100 ms never completes a head
        c = Conn(s.port)
        t0 = time.time()
        closed = False
        msg = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 100
        try:
            for b in msg:
                c.send(bytes([b]))
                time.sleep(0.1)
                if time.time() - t0 > 5:
                    break
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        closed = closed or c.closed(wait=3)
        dt = time.time() - t0
        check(closed and dt < 3.0, "slowloris cut off by the read-header timeout (%.2fs)" % dt)
        # idle keep-alive connection closed after the idle timeout, not before
        c = Conn(s.port)
        c.send(get(s.port))
        c.response()
        t0 = time.time()
        closed = c.closed(wait=4)
        dt = time.time() - t0
        check(closed and 0.8 < dt < 2.5, "idle connection closed after ~1 s (%.2fs)" % dt)
        # a connection that never sends anything
        c = Conn(s.port)
        t0 = time.time()
        check(c.closed(wait=4) and time.time() - t0 < 2.5, "silent connection closed")
        # activity keeps a connection open past the idle timeout
        c = Conn(s.port)
        ok = True
        for i in range(12):
            c.send(get(s.port))
            ok &= c.response()[0] == 200
            time.sleep(0.2)
        check(ok, "busy keep-alive connection outlives the idle timeout")
        st = debug_metrics(s.port)
        check(st.get("goc_http_timeouts_total", 0) >= 3, "timeouts counted")


def t_vanish():
    with Server() as s:
        p = s.port
        c = Conn(p)
        c.send(get(p))
        c.response()
        base_fds = s.fds()
        for i in range(300):
            c = Conn(p)
            kind = i % 5
            if kind == 0:
                c.send(b"GET / HTTP/1.1\r\nHo")                 # partial head
            elif kind == 1:
                c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"a" * 5000)
            elif kind == 2:
                c.send(get(p, "/big?500000"))                   # leave without reading
            elif kind == 3:
                c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
            if i % 2:
                # RST instead of FIN
                c.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            c.close()
        # Every client accepted first: one still in the listen queue
        # becomes an fd of the server's later (on a loaded machine, after
        # the count had already touched the baseline once).  Each metrics
        # request is a connection of its own, counted when it is served.
        end = time.time() + 10
        looks = 0
        while time.time() < end:
            looks += 1
            if debug_metrics(p).get("goc_http_connections_accepted_total", 0) >= 301 + looks:
                break
            time.sleep(0.05)
        end = time.time() + 10
        n = s.fds()
        while time.time() < end and n > base_fds:
            time.sleep(0.1)
            n = s.fds()
        check(n <= base_fds, "fds back to baseline after 300 vanishing clients (%d vs %d)"
              % (n, base_fds))
        c = Conn(p)
        c.send(get(p))
        check(c.response()[0] == 200, "server healthy after vanishing clients")
        # c and the metrics request's own connection; goroutines still
        # winding down (slow under sanitizers) get the same 10 s as the fds
        end = time.time() + 10
        st = debug_metrics(p)
        while time.time() < end and st.get("goc_http_connections_open", 0) > 2:
            time.sleep(0.1)
            st = debug_metrics(p)
        check(st.get("goc_http_connections_open") <= 2, "open connections back to 2 (%s)"
              % st.get("goc_http_connections_open"))


def t_shutdown():
    with Server() as s:
        p = s.port
        idle = Conn(p)
        idle.send(get(p))
        idle.response()
        slow = Conn(p)
        slow.send(get(p, "/sleep?800"))
        time.sleep(0.1)
        c = Conn(p)
        c.send(get(p, "/shutdown"))
        check(c.response()[0] == 200, "shutdown request answered")
        check(idle.closed(wait=3), "idle connection closed by shutdown")
        code, h, body, _ = slow.response()
        check(code == 200 and body == b"slept" and h.get("connection") == "close",
              "in-flight request finished with Connection: close")
        try:
            rc = s.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        out = s.p.stdout.read()
        check(rc == 0 and "shutdown 0" in out, "graceful shutdown completed (rc=%s, %r)" % (rc, out))


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


def t_concurrency(n=10000):
    # client and server are separate processes: each needs n fds (the server
    # inherits this soft limit)
    have = raise_nofile(n + 500)
    if have < n + 200:
        n = have - 200
        print("note: RLIMIT_NOFILE %d allows %d connections" % (have, n))
    with Server() as s:
        p = s.port
        socks = []
        t0 = time.time()
        try:
            for i in range(n):
                if time.time() - t0 > 60:
                    break
                socks.append(socket.create_connection(("127.0.0.1", p), timeout=10))
        except OSError as e:
            check(False, "connect #%d: %r" % (len(socks), e))
        check(len(socks) == n, "%d concurrent connections opened" % len(socks))
        req = get(p)
        for rnd in range(2):
            ok = 0
            sel = selectors.DefaultSelector()
            for so in socks:
                so.sendall(req)
                so.setblocking(False)
                sel.register(so, selectors.EVENT_READ, [b""])
            end = time.time() + 60
            pending = len(socks)
            while pending and time.time() < end:
                for key, _ in sel.select(timeout=1):
                    try:
                        d = key.fileobj.recv(4096)
                    except BlockingIOError:
                        continue
                    key.data[0] += d
                    if not d or key.data[0].endswith(b"Hello, World!"):
                        ok += key.data[0].startswith(b"HTTP/1.1 200 OK")
                        sel.unregister(key.fileobj)
                        pending -= 1
            for so in socks:
                try:
                    sel.unregister(so)
                except (KeyError, ValueError):
                    pass
                so.setblocking(True)
            sel.close()
            check(ok == len(socks), "round %d: %d/%d keep-alive connections answered"
                  % (rnd, ok, len(socks)))
        st = debug_metrics(p)
        check(st.get("goc_http_connections_open", 0) >= len(socks),
              "server holds %s connections" % st.get("goc_http_connections_open"))
        for so in socks:
            so.close()


def load(port, seconds, conns):
    """Drive the server for a while: wrk if present, else Python threads."""
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds,
                              "http://127.0.0.1:%d/" % port],
                             capture_output=True, text=True, timeout=seconds + 30).stdout
        m = re.search(r"(\d+) requests in", out)
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        return int(m.group(1)) if m else 0, (int(bad.group(1)) if bad else 0), \
            (sum(map(int, errs.groups())) if errs else 0)
    count = [0]
    stop = time.time() + seconds

    def worker():
        while time.time() < stop:
            hc = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            for _ in range(50):
                hc.request("GET", "/")
                hc.getresponse().read()
                count[0] += 1
            hc.close()
    ts = [threading.Thread(target=worker) for _ in range(min(conns, 8))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(seconds + 30)
    return count[0], 0, 0


def t_soak():
    with Server() as s:
        p = s.port
        load(p, 2, 50)
        time.sleep(0.5)
        fds0, rss0 = s.fds(), s.rss_kb()
        total = 0
        for rnd in range(3):
            n, bad, errs = load(p, 4, 200 if rnd != 1 else 20)
            total += n
            check(bad == 0, "soak round %d: no non-2xx (%d)" % (rnd, bad))
            # churn: connections opened and closed between rounds
            for _ in range(200):
                c = Conn(p)
                c.send(get(p, "/", "Connection: close\r\n"))
                c.response()
                c.close()
        end = time.time() + 10
        while time.time() < end and s.fds() > fds0:
            time.sleep(0.1)
        fds1, rss1 = s.fds(), s.rss_kb()
        print("soak: %d requests; fds %d -> %d; VmRSS %d -> %d KiB" % (total, fds0, fds1, rss0, rss1))
        check(total > 1000, "soak served requests (%d)" % total)
        check(fds1 <= fds0, "no fd growth (%d -> %d)" % (fds0, fds1))
        # 16 MiB: 200 connections' buffers and stacks may stay cached; a leak
        # per request would be far more over hundreds of thousands of them
        check(rss1 - rss0 < 16 * 1024, "no RSS growth (%d -> %d KiB)" % (rss0, rss1))


def t_curl():
    if not shutil.which("curl"):
        print("curl not installed: skipped")
        return
    with Server() as s:
        base = "http://127.0.0.1:%d" % s.port

        def curl(*args):
            r = subprocess.run(["curl", "-sS", "--max-time", "20"] + list(args),
                               capture_output=True, timeout=30)
            return r.returncode, r.stdout

        rc, out = curl(base + "/")
        check(rc == 0 and out == b"Hello, World!", "curl GET")
        rc, out = curl("--http1.0", base + "/")
        check(rc == 0 and out == b"Hello, World!", "curl --http1.0")
        rc, out = curl(base + "/", base + "/big?70000", base + "/stream?3000")
        check(rc == 0 and out == b"Hello, World!" + b"x" * 70000 + b"y" * 3000,
              "curl keep-alive over three URLs")
        with tempfile.NamedTemporaryFile() as f:
            data = os.urandom(300000)
            f.write(data)
            f.flush()
            rc, out = curl("--data-binary", "@" + f.name, base + "/echo")
            check(rc == 0 and out == data, "curl POST 300 KB")
            rc, out = curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + f.name,
                           base + "/echo")
            check(rc == 0 and out == data, "curl chunked upload")
            big = os.urandom(MAX_BODY + 10)
            f.seek(0)
            f.write(big)
            f.flush()
            rc, out = curl("-o", "/dev/null", "-w", "%{http_code}", "--data-binary",
                           "@" + f.name, base + "/echo")
            check(out == b"413", "curl POST over the limit -> 413 (%r)" % out)
        rc, out = curl("-I", base + "/")
        check(rc == 0 and b"Content-Length: 13" in out, "curl HEAD")


def t_fixes():
    """Regression tests for the review's defects (issue 11: 3-9, 12)."""
    with Server(rht_ms=500, idle_ms=4000) as s:
        p = s.port
        # 3: a new connection that sends nothing: read_header_timeout
        c = Conn(p)
        t0 = time.time()
        check(c.closed(wait=6) and time.time() - t0 < 2.0,
              "silent new connection closed at read_header_timeout (%.2fs)" % (time.time() - t0))
        # ... while a served keep-alive connection waits for idle_timeout
        c = Conn(p, timeout=8)
        c.send(get(p))
        c.response()
        t0 = time.time()
        check(not c.closed(wait=2.0), "keep-alive connection outlives read_header_timeout")
        c.close()
        # 4: http.Error keeps Allow and Set-Cookie, replaces Content-Type,
        # drops a declared Content-Length
        c = Conn(p)
        c.send(get(p, "/allow"))
        code, h, body, _ = c.response()
        check(code == 405 and h.get("allow") == "GET, HEAD" and h.get("set-cookie") == "a=b"
              and h.get("content-type") == "text/plain; charset=utf-8"
              and h.get("x-content-type-options") == "nosniff"
              and body == b"method not allowed\n", "405 keeps Allow and Set-Cookie (%r %r)" % (h, body))
        c.send(get(p, "/auth"))
        code, h, body, _ = c.response()
        check(code == 401 and h.get("www-authenticate") == "Bearer", "401 keeps WWW-Authenticate")
        # 5: a first response without a body (UBSan build: no NULL memcpy)
        c = Conn(p)
        c.send(get(p, "/status?204"))
        code, h, body, _ = c.response()
        check(code == 204 and body == b"", "first response on a connection is a 204")
        # 6: the 301 page escapes the query
        c.send(get(p, "/tree?<script>alert('x')</script>&a=\"b\""))
        code, h, body, _ = c.response()
        check(code == 301 and b"<script>" not in body and b"&lt;script&gt;" in body
              and b"&#39;" in body and b"&amp;a=&#34;b&#34;" in body,
              "301 page HTML-escapes the query (%r)" % body)
        # 7: host rules
        c.send(b"GET http://url.example/host HTTP/1.1\r\nHost: field.example\r\n\r\n")
        code, _, body, _ = c.response()
        check(code == 200 and body == b"host=url.example", "absolute-form: the URL's host wins (%r)" % body)
        c.send(get(p, "/host"))
        code, _, body, _ = c.response()
        check(body == ("host=127.0.0.1:%d" % p).encode(), "Host field as host")
        c.close()
        expect_status_and_close(p, b"GET http://a.example/ HTTP/1.1\r\n\r\n", 400,
                                "absolute-form without Host")
        expect_status_and_close(p, b"GET / HTTP/1.1\r\nHost: a b/../c\r\n\r\n", 400, "Host: a b/../c")
        expect_status_and_close(p, b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "Host with a slash")
        expect_status_and_close(p, b"GET http://a b/ HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                                "bad URL host")
        c = Conn(p)
        c.send(b"GET /host HTTP/1.1\r\nHost: [::1]:80\r\n\r\n")
        check(c.response()[2] == b"host=[::1]:80", "IPv6 literal Host accepted")
        c.close()
        # 8: Expect
        c = Conn(p)
        c.send(b"POST /echo HTTP/1.0\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        time.sleep(0.2)
        c.send(b"body")
        code, _, body, _ = c.response()
        check(code == 200 and body == b"body", "HTTP/1.0 with Expect: no 100 Continue (got %d)" % code)
        c.close()
        expect_status_and_close(p, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                                b"Expect: something-else\r\n\r\nbody", 417, "unknown expectation")
        # 9: set / get / delete
        c = Conn(p)
        c.send(get(p, "/hdr"))
        raw = c.read_until(b"\r\n\r\n")
        code, h, body, _ = 0, {}, b"", ""
        check(raw.lower().count(b"content-type:") == 1 and b"content-type: application/json" in raw.lower()
              and b"X-A:" not in raw and b"X-B: keep" in raw and b"X-C: three" in raw,
              "one Content-Type after set; X-A deleted (%r)" % raw)
        n = int(re.search(rb"Content-Length: (\d+)", raw).group(1))
        body = c.read_n(n)
        check(body == b"x-c=three x-a=absent status=200 written=31", "get / status / written (%r)" % body)
        c.close()
        # 12: OPTIONS *, chunk extensions, the mux and "*"
        c = Conn(p)
        c.send(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        code, h, _, _ = c.response()
        check(code == 200 and h.get("content-length") == "0", "OPTIONS * -> 200 (got %d)" % code)
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        check(c.response()[0] == 200, "connection usable after OPTIONS *")
        c.close()
        expect_status_and_close(p, b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "GET * via the mux")
        ext = b";" + b"e" * 4000
        expect_status_and_close(p, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + (b"1" + ext + b"\r\nz\r\n") * 8 + b"0\r\n\r\n", 400,
                                "chunk extensions over Go's overhead bound")
        c = Conn(p)
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"400;name=value\r\n" + b"q" * 0x400 + b"\r\n" + b"0\r\n\r\n")
        code, _, body, _ = c.response()
        check(code == 200 and body == b"q" * 0x400, "modest chunk extensions accepted")
        c.close()
    # Deliver 3: access-log and connection-state hooks
    with Server() as s:
        p = s.port
        c = Conn(p)
        c.send(get(p, "/big?5000"))
        c.response()
        c.send(get(p, "/hooks"))
        body = c.response()[2].decode()
        check("log=1 last=GET /big 200 5000 ok" in body and "new=1 active=2 idle=1 closed=0" in body,
              "access log and conn states (%s)" % body)
        c.close()
        time.sleep(0.2)
        c = Conn(p)
        c.send(get(p, "/nothing-here", "Connection: close\r\n"))
        c.response()
        c.close()
        time.sleep(0.2)
        c = Conn(p)
        c.send(get(p, "/hooks"))
        body = c.response()[2].decode()
        check("last=GET /nothing-here 200 13 ok" in body and "closed=2" in body,
              "hooks after close (%s)" % body)
        c.close()
    # Deliver 5: request facts
    with Server() as s:
        p = s.port
        c = Conn(p)
        c.send(get(p, "/facts?x=1&a=h%C3%A9llo+w%21&a=second", "Cookie: k=v; sid=\"abc\"; z=1\r\n"))
        code, h, body, _ = c.response()
        m = re.match(rb"a=h\xc3\xa9llo w!\(9\) f=\(-2\) sid=abc\(3\) remote=127\.0\.0\.1:(\d+) bad=-22$", body)
        check(code == 200 and m is not None and int(m.group(1)) == c.s.getsockname()[1],
              "query, cookie, remote address (%r)" % body)
        check(h.get("set-cookie") == "seen=1; Path=/; HttpOnly; SameSite=Lax", "Set-Cookie (%r)" % h.get("set-cookie"))
        form = b"g=1&f=form+value%3D"
        c.send(b"POST /facts?f=query HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(form), form))
        code, h, body, _ = c.response()
        check(body.startswith(b"a=(-2) f=form value=(11)"), "form value from the body first (%r)" % body)
        c.send(get(p, "/facts?f=q%zz"))
        check(b"f=(-22)" in c.response()[2], "bad escape -> -EINVAL")
        c.close()
    # Deliver 7: hijack (an Upgrade) and 1xx
    with Server() as s:
        p = s.port
        c = Conn(p)
        c.send(get(p, "/") + get(p, "/upgrade", "Upgrade: echo\r\nConnection: Upgrade\r\n") + b"early-bytes")
        check(c.response()[2] == b"Hello, World!", "response before the upgrade")
        code, h, _, _ = c.response(head_only=True)
        check(code == 101 and h.get("upgrade") == "echo", "101 Switching Protocols after hijack")
        check(c.read_n(11) == b"early-bytes", "bytes buffered at hijack handed over")
        c.send(b"ping")
        check(c.read_n(4) == b"ping", "hijacked connection echoes")
        c.close()
        c = Conn(p)
        c.send(get(p, "/upgrade"))
        check(c.response()[0] == 426, "no Upgrade: 426")
        c.send(get(p, "/early"))
        code, h, _, _ = c.response()
        check(code == 103 and h.get("link") == "</style.css>; rel=preload; as=style", "103 Early Hints")
        code, h, body, _ = c.response()
        check(code == 200 and body == b"final 0" and h.get("link"), "final response after 103")
        c.close()
        c = Conn(p)
        c.send(b"GET /early HTTP/1.0\r\n\r\n")
        code, _, body, _ = c.response()
        check(code == 200 and body == b"final 0", "no 1xx to HTTP/1.0")
        c.close()
        time.sleep(0.2)
        st = debug_metrics(p)
        check(st.get("goc_http_connections_open", 9) <= 1, "hijacked connection not counted as open (%s)"
              % st.get("goc_http_connections_open"))
    # 12: max_body_bytes = SIZE_MAX does not overflow
    with Server(max_body=(1 << 64) - 1) as s:
        hc = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        hc.request("POST", "/echo", body=b"m" * 100000)
        r = hc.getresponse()
        check(r.status == 200 and r.read() == b"m" * 100000, "max_body_bytes = SIZE_MAX, CL body")
        hc.request("POST", "/echo", body=iter([b"n" * 70000, b"o" * 3]), encode_chunked=True)
        r = hc.getresponse()
        check(r.status == 200 and r.read() == b"n" * 70000 + b"ooo", "max_body_bytes = SIZE_MAX, chunked")
        hc.close()


def t_stream():
    """Streaming request bodies (issue 11, Deliver 1)."""
    with Server(max_body=1 << 30) as s:
        p = s.port
        data = os.urandom(3 * 1000 * 1000 + 7)
        want = ("%d bytes, sum %d" % (len(data), sum(data) & 0xffffffff)).encode()
        for q, what in (("", "64 KiB reads"), ("?small=1000", "1000-byte reads")):
            hc = http.client.HTTPConnection("127.0.0.1", p, timeout=20)
            hc.request("POST", "/upload" + q, body=data)
            r = hc.getresponse()
            check(r.status == 200 and r.read() == want, "streamed CL upload, %s" % what)
            hc.request("POST", "/upload" + q, body=iter([data[:100], data[100:200000], data[200000:]]),
                       encode_chunked=True)
            r = hc.getresponse()
            check(r.status == 200 and r.read() == want, "streamed chunked upload, %s" % what)
            hc.request("GET", "/")
            check(hc.getresponse().read() == b"Hello, World!", "keep-alive after upload (%s)" % what)
            hc.close()
        # the handler runs before the body arrives: it answers as bytes come
        c = Conn(p)
        c.send(b"POST /upload?small=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(5):
            c.send(b"3\r\nabc\r\n")
            time.sleep(0.05)
        c.send(b"0\r\n\r\n")
        code, _, body, _ = c.response()
        check(code == 200 and body == b"15 bytes, sum %d" % (5 * (97 + 98 + 99)), "trickled chunked body")
        c.close()
        # per-handler limit: Content-Length over it is refused without reading
        c = Conn(p)
        c.send(b"POST /upload?1000 HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n"
               b"Expect: 100-continue\r\n\r\n")
        code, h, body, _ = c.response()
        check(code == 413 and h.get("connection") == "close", "limit: 50 MB refused with 413 before 100")
        c.close()
        c = Conn(p)
        c.send(b"POST /upload?1000 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"200\r\n" + b"a" * 0x200 + b"\r\n" + b"300\r\n" + b"b" * 0x300 + b"\r\n0\r\n\r\n")
        code, h, _, _ = c.response()
        check(code == 413 and h.get("connection") == "close", "limit: chunked body over it -> 413")
        c.close()
        # 100 Continue only when the handler reads: /auth refuses first
        c = Conn(p)
        c.send(b"PUT /auth HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n")
        code, h, _, _ = c.response()
        check(code == 401 and h.get("connection") == "close",
              "rejected upload answered 401 without 100 Continue (%d)" % code)
        check(c.closed(), "connection closed after a refused Expect upload")
        c = Conn(p)
        c.send(b"PUT /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n")
        code, _, _, _ = c.response()
        check(code == 100, "100 Continue on the first body read")
        c.send(b"hello")
        code, _, body, _ = c.response()
        check(code == 200 and body == b"ok 5", "body after 100 Continue (%r)" % body)
        # unread body: discarded up to 256 KiB, the connection stays
        c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"u" * 100000)
        code, h, body, _ = c.response()
        check(code == 200 and body == b"Hello, World!" and h.get("connection") != "close",
              "unread 100 KB body discarded, keep-alive")
        c.send(get(p))
        check(c.response()[0] == 200, "next request after a discarded body")
        c.close()
        c = Conn(p)
        c.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + b"8000\r\n" + b"v" * 0x8000 + b"\r\n" + b"0\r\n\r\n" + get(p))
        check(c.response()[0] == 200 and c.response()[0] == 200, "unread chunked body discarded")
        c.close()
        # unread large body: answer, Connection: close, no reset before the answer
        c = Conn(p)
        c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + b"w" * 65536)
        code, h, body, _ = c.response()
        check(code == 200 and h.get("connection") == "close" and c.closed(),
              "unread 10 MB body: answered, then closed")
        # the handler sees the head before the body is sent
        c = Conn(p)
        c.send(b"POST /auth HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        code, _, _, _ = c.response()
        check(code == 401, "401 before any of the body was sent")
        c.close()


def t_memory():
    """Large responses and uploads do not stay in memory (issue 11: 1, 10)."""
    with Server(max_body=64 << 20) as s:
        p = s.port
        c = Conn(p)
        c.send(get(p))
        c.response()
        time.sleep(0.3)
        rss0 = s.rss_kb()
        conns = []
        for i in range(20):
            c = Conn(p, timeout=20)
            c.send(get(p, "/big?10000000"))
            conns.append(c)
        ok = all(len(c.response()[2]) == 10000000 for c in conns)
        check(ok, "20 x 10 MB responses")
        time.sleep(1.5)
        rss1 = s.rss_kb()
        print("memory: 20 keep-alive connections after 10 MB each: VmRSS %d -> %d KiB" % (rss0, rss1))
        # the handler's own 10 MB buffer is freed; the server keeps none
        check(rss1 - rss0 < 48 * 1024, "RSS after 20 x 10 MB responses, connections open: +%d KiB"
              % (rss1 - rss0))
        for c in conns:
            c.send(get(p))
            check(c.response()[2] == b"Hello, World!", "connection still usable")
            c.close()
        # a burst of whole-body uploads (goc_http_body_all), then quiet
        data = b"z" * (4 << 20)

        def up():
            hc = http.client.HTTPConnection("127.0.0.1", p, timeout=30)
            hc.request("POST", "/echo", body=data)
            hc.getresponse().read()
            hc.close()
        ts = [threading.Thread(target=up) for _ in range(20)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        # the server trims at most once a second, a second after a large
        # free; a loaded machine may delay that goroutine: allow 8 s
        end = time.time() + 8
        rss2 = s.rss_kb()
        # A bound on what stays resident, not a proof of the trim: with
        # malloc_trim made a no-op (LD_PRELOAD) this burst left 1-37 MB
        # (glibc returns some on its own), with it ~1-11 MB, and a loaded CI
        # run once kept 24.4 MB (fragmentation across the Ms' arenas).  The
        # defect was hundreds of MB: the bound is 48 MB.
        while time.time() < end and rss2 - rss0 >= 48 * 1024:
            time.sleep(0.25)
            rss2 = s.rss_kb()
        print("memory: after 20 x 4 MB uploads echoed, then quiet: VmRSS %d KiB" % rss2)
        check(rss2 - rss0 < 48 * 1024, "RSS returned after an upload burst: +%d KiB" % (rss2 - rss0))
        # a 50 MB streamed upload passes through a small buffer
        rss3 = s.rss_kb()
        hc = http.client.HTTPConnection("127.0.0.1", p, timeout=60)
        big = b"s" * (50 << 20)
        peak = [0]
        done = [False]

        def watch():
            while not done[0]:
                peak[0] = max(peak[0], s.rss_kb())
                time.sleep(0.01)
        wt = threading.Thread(target=watch)
        wt.start()
        hc.request("POST", "/upload", body=big)
        r = hc.getresponse()
        body = r.read()
        done[0] = True
        wt.join()
        hc.close()
        check(r.status == 200 and body.startswith(b"52428800 bytes"), "50 MB streamed upload")
        print("memory: 50 MB streamed upload: VmRSS %d KiB, peak %d KiB" % (rss3, peak[0]))
        check(peak[0] - rss3 < 16 * 1024, "50 MB upload grows RSS by < 16 MiB (+%d KiB)" % (peak[0] - rss3))


def t_context():
    """The request's done channel (issue 11, Deliver 4)."""
    with Server() as s:
        p = s.port

        def slowlog():
            c = Conn(p)
            c.send(get(p, "/slowlog"))
            body = c.response()[2]
            c.close()
            return body
        # the client leaves: a handler blocked in a select wakes
        c = Conn(p)
        c.send(get(p, "/slow?5000"))
        time.sleep(0.3)
        c.close()
        end = time.time() + 3
        log = b""
        while time.time() < end and not log.startswith(b"canceled"):
            time.sleep(0.05)
            log = slowlog()
        m = re.match(rb"canceled (-?\d+) after (\d+) ms", log)
        check(m is not None and int(m.group(1)) == -104 and int(m.group(2)) < 2000,
              "client gone: handler woken with -ECONNRESET (%r)" % log)
        # the client stays: the timer wins, the connection goes on
        c = Conn(p)
        c.send(get(p, "/slow?200"))
        code, _, body, _ = c.response()
        check(code == 200 and body == b"slept", "done channel not closed while the client waits")
        # a request pipelined while the handler waits: the watcher's byte is kept
        c.send(get(p, "/slow?300"))
        time.sleep(0.1)
        c.send(get(p, "/headers", "X-After: 1\r\n"))
        r1, r2 = c.response(), c.response()
        check(r1[2] == b"slept" and b"X-After: 1" in r2[2], "pipelined request after a watched one (%r)" % (r2[2],))
        # a body read to its end first, then watched
        c.send(b"POST /slow?200 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        code, _, body, _ = c.response()
        check(code == 200 and body == b"slept", "unread body: no watch, the timer ends it")
        c.send(get(p))
        check(c.response()[2] == b"Hello, World!", "connection fine after watched requests")
        c.close()
        # shutdown closes the channels of running handlers
        slow = Conn(p)
        slow.send(get(p, "/slow?5000"))
        time.sleep(0.2)
        c = Conn(p)
        t0 = time.time()
        c.send(get(p, "/shutdown"))
        c.response()
        code, _, body, _ = slow.response()
        check(body == b"canceled -108" and time.time() - t0 < 2, "shutdown wakes the handler (%r)" % body)
        try:
            rc = s.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, "graceful shutdown with a watched request (rc=%s)" % rc)


def t_routing():
    """Go 1.22 patterns (issue 11, Deliver 2), on the test server's /r/ mux."""
    with Server() as s:
        p = s.port
        c = Conn(p)

        def req(method, path, host=None):
            c.send(("%s %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                    % (method, path, host or "127.0.0.1:%d" % p)).encode())
            return c.response(head_only=(method == "HEAD"))
        nf = b"404 page not found\n"
        cases = [
            ("GET", "/r/items/42", 200, b"GET /r/items/{id} id=[42]2"),
            ("DELETE", "/r/items/42", 200, b"DELETE /r/items/{id} id=[42]2"),
            ("GET", "/r/items/special", 200, b"GET /r/items/special"),
            ("GET", "/r/items/a%2Fb%20c", 200, b"GET /r/items/{id} id=[a/b c]5"),
            ("POST", "/r/items/x/y", 200, b"POST /r/items/"),
            ("GET", "/r/files/x/y/z.txt", 200, b"GET /r/files/{path...} path=[x/y/z.txt]9"),
            ("GET", "/r/files/", 200, b"GET /r/files/{path...} path=[]0"),
            ("GET", "/r/exact/", 200, b"/r/exact/{$}"),
            ("GET", "/r/exact/more", 404, nf),
            ("GET", "/r/u/1/2", 200, b"GET /r/u/{a}/{b} a=[1]1 b=[2]1"),
            ("GET", "/r/u/1/", 404, nf),
            ("GET", "/r/nothing", 404, nf),
        ]
        for method, path, want, body in cases:
            code, h, got, _ = req(method, path)
            check(code == want and got == body, "%s %s -> %d %r (got %d %r)"
                  % (method, path, want, body, code, got))
        code, h, got, _ = req("HEAD", "/r/items/42")
        check(code == 200 and h.get("content-length") == str(len(b"GET /r/items/{id} id=[42]2")),
              "HEAD served by the GET pattern (%d %r)" % (code, h))
        code, h, got, _ = req("PUT", "/r/items/42")
        check(code == 405 and h.get("allow") == "DELETE, GET, HEAD, POST" and got == b"Method Not Allowed\n",
              "405 with Allow (%d %r)" % (code, h.get("allow")))
        code, h, got, _ = req("DELETE", "/r/items/special")
        check(code == 200 and got == b"DELETE /r/items/{id} id=[special]7",
              "a method-specific wildcard serves what the literal's method does not (%r)" % got)
        code, h, got, _ = req("GET", "/r/files")
        check(code == 301 and h.get("location") == "/r/files/",
              "/r/files -> 301 /r/files/ (%d %r)" % (code, h.get("location")))
        code, h, got, _ = req("GET", "/r/a/../items/7?q=1")
        check(code == 301 and h.get("location") == "/r/items/7?q=1", "clean path: 301 (%r)" % h.get("location"))
        code, h, got, _ = req("GET", "//r//items/./8/")
        check(code == 301 and h.get("location") == "/r/items/8/", "// and . cleaned (%r)" % h.get("location"))
        code, h, got, _ = req("GET", "/r/items/%2e%2e")
        check(code == 400, "escaped dot segment -> 400 (%d)" % code)
        code, h, got, _ = req("GET", "/r/items/%zz")
        check(code == 400, "bad escape -> 400 (%d)" % code)
        code, h, got, _ = req("GET", "/r/hosted", host="Routing.Example:8080")
        check(got == b"GET routing.example/r/hosted", "host pattern (%r)" % got)
        code, h, got, _ = req("GET", "/r/hosted", host="other.example")
        check(code == 404, "host pattern: other hosts do not match (%d)" % code)
        code, h, got, _ = req("GET", "/muxcheck")
        check(got == b"0 -17 0 -17 0 -17 0 0 -17 0 -22 -22 -22 0",
              "registration: conflicts refused as Go does (%r)" % got)
        c.close()


def t_kv():
    """examples/http_kv (issue 11, Deliver 8), and file serving."""
    kv = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(SERVER)))),
                      "examples", "http_kv")
    if not os.path.exists(kv):
        check(False, "http_kv not built at %s" % kv)
        return
    with tempfile.TemporaryDirectory() as d, Server(argv=[kv, "127.0.0.1:0", d]) as s:
        p = s.port
        auth = "Authorization: Bearer test\r\n"
        # refused before it is sent
        c = Conn(p)
        c.send(b"PUT /kv/big HTTP/1.1\r\nHost: x\r\nContent-Length: 52428800\r\n"
               b"Expect: 100-continue\r\n\r\n")
        code, h, _, _ = c.response()
        check(code == 401 and h.get("www-authenticate") == "Bearer", "PUT without auth: 401 before the body")
        c.close()
        c = Conn(p)
        c.send(("PUT /kv/big HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n"
                "Expect: 100-continue\r\n\r\n" % (auth, (64 << 20) + 1)).encode())
        code, _, _, _ = c.response()
        check(code == 413, "PUT over 64 MiB: 413 before the body (%d)" % code)
        c.close()
        # a 50 MB PUT streams to the file
        data = os.urandom(1 << 20) * 50
        rss0 = s.rss_kb()
        peak = [rss0]
        done = [False]

        def watch():
            while not done[0]:
                peak[0] = max(peak[0], s.rss_kb())
                time.sleep(0.005)
        wt = threading.Thread(target=watch)
        wt.start()
        hc = http.client.HTTPConnection("127.0.0.1", p, timeout=60)
        hc.request("PUT", "/kv/big", body=data, headers={"Authorization": "Bearer test"})
        r = hc.getresponse()
        r.read()
        done[0] = True
        wt.join()
        print("kv: 50 MB PUT: VmRSS %d KiB, peak %d KiB" % (rss0, peak[0]))
        check(r.status == 204, "50 MB PUT -> 204 (%d)" % r.status)
        if not os.environ.get("GOC_HTTP_SANITIZED"):
            check(peak[0] - rss0 < 16 * 1024, "50 MB PUT grows RSS < 16 MiB (+%d KiB)" % (peak[0] - rss0))
        check(os.path.getsize(os.path.join(d, "big")) == len(data), "value on disk")
        hc.request("GET", "/kv/big")
        r = hc.getresponse()
        check(r.status == 200 and r.read() == data, "50 MB GET back")
        hc.close()
        # ranges and validators on a small value
        c = Conn(p)
        c.send(("PUT /kv/small HTTP/1.1\r\nHost: x\r\n%sContent-Length: 16\r\n\r\n0123456789abcdef"
                % auth).encode())
        check(c.response()[0] == 204, "small PUT")
        c.send(get(p, "/kv/small", "Range: bytes=2-5\r\n"))
        code, h, body, _ = c.response()
        check(code == 206 and body == b"2345" and h.get("content-range") == "bytes 2-5/16",
              "Range 2-5 -> 206 (%d %r)" % (code, h.get("content-range")))
        c.send(get(p, "/kv/small", "Range: bytes=-3\r\n"))
        code, h, body, _ = c.response()
        check(code == 206 and body == b"def", "suffix range")
        c.send(get(p, "/kv/small", "Range: bytes=10-\r\n"))
        check(c.response()[2] == b"abcdef", "open range")
        c.send(get(p, "/kv/small", "Range: bytes=0-1, 14-15\r\n"))
        code, h, body, _ = c.response()
        m = re.match(r"multipart/byteranges; boundary=(\S+)", h.get("content-type", ""))
        check(code == 206 and m is not None and b"Content-Range: bytes 0-1/16\r\n\r\n01\r\n" in body
              and b"Content-Range: bytes 14-15/16\r\n\r\nef\r\n--" in body
              and body.endswith(("--%s--\r\n" % m.group(1)).encode()),
              "multi-range multipart/byteranges (%r)" % body[:200])
        c.send(get(p, "/kv/small", "Range: bytes=99-\r\n"))
        code, h, _, _ = c.response()
        check(code == 416 and h.get("content-range") == "bytes */16", "unsatisfiable range -> 416")
        c.send(get(p, "/kv/small"))
        code, h, body, _ = c.response()
        etag, lm = h.get("etag"), h.get("last-modified")
        check(code == 200 and etag and lm and h.get("accept-ranges") == "bytes"
              and h.get("content-type") == "application/octet-stream", "ETag, Last-Modified")
        c.send(get(p, "/kv/small", "If-None-Match: %s\r\n" % etag))
        check(c.response()[0] == 304, "If-None-Match -> 304")
        c.send(get(p, "/kv/small", "If-Modified-Since: %s\r\n" % lm))
        check(c.response()[0] == 304, "If-Modified-Since -> 304")
        c.send(get(p, "/kv/small", "Range: bytes=0-0\r\nIf-Range: \"other\"\r\n"))
        code, _, body, _ = c.response()
        check(code == 200 and len(body) == 16, "If-Range mismatch: whole file")
        c.send(b"HEAD /kv/small HTTP/1.1\r\nHost: x\r\n\r\n")
        code, h, _, _ = c.response(head_only=True)
        check(code == 200 and h.get("content-length") == "16", "HEAD on a value")
        c.send(b"POST /kv/small HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        code, h, _, _ = c.response()
        check(code == 405 and h.get("allow") == "DELETE, GET, HEAD, PUT", "405 + Allow (%r)" % h.get("allow"))
        # files
        with open(os.path.join(d, "note.txt"), "w") as f:
            f.write("hello file\n")
        c.send(get(p, "/files/note.txt"))
        code, h, body, _ = c.response()
        check(code == 200 and body == b"hello file\n" and h.get("content-type") == "text/plain; charset=utf-8",
              "GET /files/note.txt")
        c.send(get(p, "/files/note.txt", "Range: bytes=6-9\r\n"))
        check(c.response()[2] == b"file", "Range on /files")
        c.send(get(p, "/files/%2e%2e/etc/passwd"))
        check(c.response()[0] == 400, "escaped .. refused")
        c.send(get(p, "/files/missing"))
        check(c.response()[0] == 404, "missing file -> 404")
        c.send(("DELETE /kv/small HTTP/1.1\r\nHost: x\r\n\r\n").encode())
        check(c.response()[0] == 204, "DELETE")
        c.send(get(p, "/kv/small"))
        check(c.response()[0] == 404, "GET after DELETE -> 404")
        c.send(get(p, "/debug/goc"))
        check(b"goc_goroutines" in c.response()[2], "/debug/goc")
        c.close()
        # /slow logs when the client leaves
        c = Conn(p)
        c.send(get(p, "/slow"))
        time.sleep(0.3)
        c.close()
        time.sleep(0.5)
    check("http_kv: /slow: client left" in s.err, "/slow logged the client leaving")
    check(re.search(r"PUT /kv/big 204 0 ", s.err) is not None, "access log lines")


GROUPS = {
    "basic": t_basic, "pipeline": t_pipeline, "bodies": t_bodies, "limits": t_limits,
    "malformed": t_malformed, "timeouts": t_timeouts, "vanish": t_vanish,
    "shutdown": t_shutdown, "concurrency": t_concurrency, "soak": t_soak, "curl": t_curl,
    "fixes": t_fixes, "stream": t_stream, "memory": t_memory, "context": t_context,
    "routing": t_routing, "kv": t_kv,
}


def main(groups=None):
    """Run the named groups of `groups` (default: this file's); ops.py
    passes its own."""
    global SERVER
    groups = groups or GROUPS
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=False)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("groups", nargs="*")
    a = ap.parse_args()
    if a.list:
        print(" ".join(groups))
        return 0
    SERVER = a.server
    for g in a.groups or list(groups):
        t0 = time.time()
        try:
            groups[g]()
        except Exception as e:          # a crash in a group is a failure, not a hang
            check(False, "%s raised %r" % (g, e))
            traceback.print_exc(file=sys.stdout)
        print("group %s: %.1fs" % (g, time.time() - t0), flush=True)
    if FAILS:
        print("%d FAILED" % len(FAILS))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
