#!/usr/bin/env python3
"""Operations tests of goc_http: metrics, probes, goc_http_server_run.

Usage: ops.py --server PATH/http_run_server GROUP...   (ops.py --list)

Groups:
  metrics  /debug/goc passes `promtool check metrics` (required when
           GOC_REQUIRE_PROMTOOL=1, as in CI), and its counters and
           histogram move by exactly the requests made.
  single   one process: SIGTERM -> /readyz 503 while requests are still
           served for drain_delay -> in-flight request finishes -> exit 0.
  workers  a supervisor of 2 workers: both serve one port; a worker that
           dies is restarted; SIGHUP replaces both under a stream of new
           connections with no failed request; SIGTERM lets an in-flight
           request finish and stops every process.
Every wait is bounded; every socket has a timeout.
"""
import http.client
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e                       # noqa: E402  (its runner, check and --server)

check = e2e.check


class Proc:
    """The server under test; its stdout and stderr lines, read by threads."""

    def __init__(self, *args):
        self.p = subprocess.Popen([e2e.SERVER] + [str(a) for a in args], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.out, self.err = queue.Queue(), []
        self.pumps = [threading.Thread(target=self._pump, args=(self.p.stdout, self.out.put),
                                       daemon=True),
                      threading.Thread(target=self._pump, args=(self.p.stderr, self.err.append),
                                       daemon=True)]
        for t in self.pumps:
            t.start()

    @staticmethod
    def _pump(f, put):
        for line in f:
            put(line.rstrip("\n"))

    def line(self, pattern, timeout=15):
        """The match of the next stdout line matching pattern (others are
        dropped), or None after timeout."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                m = re.match(pattern, self.out.get(timeout=max(0.01, end - time.time())))
            except queue.Empty:
                return None
            if m:
                return m
        return None

    def wait(self, timeout=20):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        """Kill the process group (workers included); a sanitizer report
        from any of them on stderr is a failure, as in e2e.py."""
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
        self.p.wait(timeout=10)
        for t in self.pumps:
            t.join(timeout=10)
        rep = [ln for ln in self.err if re.search(
            r"WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:", ln)]
        check(not rep, "sanitizer report: %s" % rep[:1])
        if rep:
            print("\n".join(self.err[:200]), flush=True)


def eventually(cond, timeout=10):
    """cond() turned true within timeout (output comes through threads)."""
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            return False
        time.sleep(0.02)
    return True


def request(port, path, timeout=20):
    """(status, body) of one request on a new connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def metrics(port):
    """The /debug/goc text and its samples {name{labels}: float}."""
    st, text = request(port, "/debug/goc")
    check(st == 200, "/debug/goc answers 200")
    vals = {}
    for ln in text.splitlines():
        if ln and not ln.startswith("#"):
            name, v = ln.rsplit(" ", 1)
            vals[name] = float(v)
    return text, vals


def t_metrics():
    p = Proc("127.0.0.1:0", 0, 0)
    try:
        m = p.line(r"serving (\d+) (\d+)")
        if not check(m, "server started"):
            return
        port = int(m.group(2))
        check(request(port, "/healthz") == (200, "ok\n"), "/healthz 200 ok")
        check(request(port, "/readyz") == (200, "ready\n"), "/readyz 200 ready")
        _, m0 = metrics(port)
        for _ in range(5):
            request(port, "/")
        for code in (404, 404, 503):
            check(request(port, "/status?%d" % code)[0] == code, "status %d" % code)
        request(port, "/sleep?30")
        check(request(port, "/spin?300")[0] == 200, "spin 300 ms")
        text, m1 = metrics(port)

        def delta(name):
            return m1.get(name, 0) - m0.get(name, 0)
        # the first scrape is counted once it is answered: one more 2xx
        # 5 x /, /sleep, /spin, and the first scrape (counted once answered)
        check(delta('goc_http_responses_total{code="2xx"}') == 8,
              "2xx moved by the requests (%s)" % delta('goc_http_responses_total{code="2xx"}'))
        check(delta('goc_http_responses_total{code="4xx"}') == 2, "4xx moved by 2")
        check(delta('goc_http_responses_total{code="5xx"}') == 1, "5xx moved by 1")
        h = "goc_http_request_duration_seconds"
        check(delta(h + "_count") == 11, "histogram count moved by 11 (%s)" % delta(h + "_count"))
        check(m1[h + "_count"] == m1[h + '_bucket{le="+Inf"}'], "+Inf bucket == count")
        check(delta(h + "_sum") >= 0.330,
              "histogram sum took the 30 ms sleep and 300 ms spin (%.6f s)" % delta(h + "_sum"))
        check(delta(h + '_bucket{le="0.025"}') <= 9, "the 30 ms and 300 ms requests are above 25 ms")
        check(delta(h + '_bucket{le="0.25"}') <= 10, "the 300 ms request is above 250 ms")
        # the sanitizer builds preempt cooperatively only (no SIGURG)
        if os.environ.get("GOC_HTTP_SANITIZED") != "1":
            check(delta("goc_sched_preempt_signals_total") >= 1,
                  "a 300 ms computation was preempted (%s signals)"
                  % delta("goc_sched_preempt_signals_total"))
        bounds = [v for k, v in m1.items() if k.startswith(h + "_bucket")]
        check(bounds == sorted(bounds), "buckets are cumulative")
        check(m1["goc_http_requests_in_flight"] >= 1, "the scrape itself is in flight")
        for name in ("goc_goroutines", "process_resident_memory_bytes", "goc_stack_inuse_bytes",
                     "goc_sched_gomaxprocs", "goc_sched_threads", "goc_netpoll_waiting_goroutines",
                     "goc_sched_preempt_signals_total", 'goc_sched_p_runqueue{p="0"}'):
            check(name in m1, "metric %s present" % name)
        check(m1["process_resident_memory_bytes"] > 1 << 20, "RSS over 1 MiB")
        check(m1["goc_netpoll_waiting_goroutines"] >= 1, "the accept loop waits on the poller")
        for fam in re.findall(r"^# TYPE (\S+) ", text, re.M):
            check(("# HELP %s " % fam) in text, "HELP for %s" % fam)
        promtool = shutil.which("promtool")
        if promtool:
            r = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                               capture_output=True, timeout=60)
            check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
                  "promtool check metrics: rc %d %s%s" % (r.returncode, r.stdout, r.stderr))
            print("promtool check metrics: clean", flush=True)
        else:
            check(os.environ.get("GOC_REQUIRE_PROMTOOL") != "1",
                  "promtool required (GOC_REQUIRE_PROMTOOL=1) but not installed")
            print("promtool not installed: format check skipped", flush=True)
    finally:
        p.kill()


def t_single():
    # drain 2 s: room for a loaded machine to deliver the signal and for
    # the checks below to run inside the drain
    p = Proc("127.0.0.1:0", 0, 2000)
    try:
        m = p.line(r"serving (\d+) (\d+)")
        if not check(m, "server started"):
            return
        pid, port = int(m.group(1)), int(m.group(2))
        slow = {}
        t = threading.Thread(target=lambda: slow.update(r=request(port, "/sleep?3000")))
        t.start()
        # connected, silent until the shutdown has begun: its first request
        # is still served (Go's grace for StateNew connections)
        quiet = socket.create_connection(("127.0.0.1", port), timeout=20)
        time.sleep(0.2)
        t0 = time.time()
        os.kill(pid, signal.SIGTERM)
        st = 200
        while st == 200 and time.time() < t0 + 1.2:
            st = request(port, "/readyz")[0]
            time.sleep(0.02)
        check(st == 503, "/readyz 503 once SIGTERM came")
        check(request(port, "/")[0] == 200, "still serving during drain_delay")
        check(request(port, "/healthz")[0] == 200, "/healthz still 200 (alive)")
        check(time.time() < t0 + 1.9, "the checks ran inside the drain (else re-time them)")
        time.sleep(max(0, t0 + 2.3 - time.time()))    # past the drain: shutting down
        quiet.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while b"\r\n\r\n" not in got:
            b = quiet.recv(4096)
            if not b:
                break
            got += b
        quiet.close()
        check(got.startswith(b"HTTP/1.1 200") and b"Connection: close" in got,
              "a connection silent until the shutdown gets its answer: %r" % got[:80])
        t.join(timeout=20)
        check(slow.get("r", (0, ""))[0] == 200, "the in-flight request finished: %r" % slow)
        check(p.line(r"run %d 0$" % pid), "goc_http_server_run returned 0")
        check(p.wait() == 0, "exit status 0")
    finally:
        p.kill()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:        # a zombie is dead for us: reaped by nobody while ours runs
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False            # reaped between the kill and the read (ESRCH)


def serving_pids(p, n):
    pids, port = set(), None
    for _ in range(n):
        m = p.line(r"serving (\d+) (\d+)")
        if not m:
            break
        pids.add(int(m.group(1)))
        port = int(m.group(2))
    return pids, port


class Load:
    """New connections, one request each, from 4 threads, until stopped;
    every failure (refused, reset, timeout, non-200) is kept."""

    def __init__(self, port):
        self.port, self.n, self.errors, self.stop = port, 0, [], threading.Event()
        self.lock = threading.Lock()
        # daemon: a group that fails before end() must not keep the
        # driver alive until ctest's timeout
        self.ts = [threading.Thread(target=self._run, daemon=True) for _ in range(4)]
        for t in self.ts:
            t.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                st, _ = request(self.port, "/", timeout=30)
                err = None if st == 200 else "status %d" % st
            except Exception as e:        # refused, reset: what must not happen
                err = repr(e)
            with self.lock:
                self.n += 1
                if err:
                    self.errors.append(err)

    def end(self):
        self.stop.set()
        for t in self.ts:
            t.join(timeout=60)
        return self.n, self.errors


def t_workers():
    p = Proc("127.0.0.1:0", 2, 300, 10000)
    try:
        pids, port = serving_pids(p, 2)
        if not check(len(pids) == 2 and port, "2 workers serving: %r" % pids):
            return
        sup = p.p.pid
        seen = set()
        for _ in range(200):
            seen.add(int(request(port, "/")[1].split()[1]))
            if seen == pids:
                break
        check(seen == pids, "connections reach both workers over one port: %r of %r" % (seen, pids))

        # a worker that dies is restarted (its slot's socket stays open)
        victim = sorted(pids)[0]
        if not check(alive(victim), "worker %d alive before the kill (stderr %r)"
                     % (victim, p.err[-5:])):
            return
        os.kill(victim, signal.SIGKILL)
        m = p.line(r"serving (\d+) (\d+)", timeout=10)
        check(m and int(m.group(1)) not in pids, "a killed worker is replaced")
        if m:
            pids = (pids - {victim}) | {int(m.group(1))}
        check(eventually(lambda: any("killed by signal 9" in ln for ln in p.err)),
              "the supervisor logs the death")

        # SIGHUP under load: every worker replaced, no request fails
        if not check(p.p.poll() is None, "the supervisor still runs (exit %r, stderr %r)"
                     % (p.p.returncode, p.err[-5:])):
            return
        load = Load(port)
        time.sleep(0.5)
        if not check(p.p.poll() is None, "the supervisor still runs under load (exit %r, "
                     "stderr %r)" % (p.p.returncode, p.err[-5:])):
            load.end()
            return
        os.kill(sup, signal.SIGHUP)
        new, _ = serving_pids(p, 2)
        end = time.time() + 15
        while time.time() < end and any(alive(x) for x in pids):
            time.sleep(0.05)
        time.sleep(0.5)
        n, errors = load.end()
        check(len(new) == 2 and not (new & pids), "SIGHUP started 2 new workers: %r" % new)
        check(not any(alive(x) for x in pids), "the old workers exited")
        check(not errors, "no request failed across SIGHUP (%d of %d: %r)"
              % (len(errors), n, errors[:3]))
        check(n >= 20, "the load ran (%d requests)" % n)
        print("SIGHUP under load: %d requests, %d failed" % (n, len(errors)), flush=True)
        check(eventually(lambda: any("workers replaced" in ln for ln in p.err)),
              "the roll finished")

        # SIGTERM: the in-flight request finishes, every process stops
        slow = {}
        t = threading.Thread(target=lambda: slow.update(r=request(port, "/sleep?1000")))
        t.start()
        time.sleep(0.2)
        os.kill(sup, signal.SIGTERM)
        t.join(timeout=20)
        check(slow.get("r", (0, ""))[0] == 200, "in-flight request finished: %r" % slow)
        check(p.wait() == 0, "the supervisor exits 0")
        check(not any(alive(x) for x in new), "no worker outlives the supervisor")
    finally:
        p.kill()


def t_backoff():
    """A worker that keeps dying is restarted with growing delays."""
    p = Proc("127.0.0.1:0", 1, 0)
    try:
        pids, port = serving_pids(p, 1)
        if not check(pids and port, "worker serving"):
            return
        starts = [time.time()]
        for _ in range(4):
            try:
                request(port, "/crash", timeout=10)
            except Exception:
                pass                     # the crash answers nothing
            if not check(p.line(r"serving (\d+) (\d+)", timeout=15), "restarted after a crash"):
                return
            starts.append(time.time())
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        # 0.1, 0.2, 0.4, 0.8 s after the second crash on: the last gap holds
        # 0.8 s of back-off whatever the machine's speed
        check(gaps[-1] >= 0.7, "back-off grows: gaps %r" % gaps)
        check(request(port, "/")[0] == 200, "serving after the crash loop")
    finally:
        p.kill()


GROUPS = {"metrics": t_metrics, "single": t_single, "workers": t_workers, "backoff": t_backoff}


if __name__ == "__main__":
    sys.exit(e2e.main(GROUPS))
