/*
 * goc_http.h — an HTTP/1.1 server on goc: a goroutine per connection,
 * keep-alive and pipelining, HTTP/1.0, streamed Content-Length and chunked
 * request bodies, a buffered response writer, a router like Go 1.22's
 * ServeMux, a request done channel, and file serving with ranges (by
 * sendfile).  Listens on TCP, Unix sockets, or a listening fd it is given
 * (inherited, systemd).  goc_http_server_run adds what a deployed service
 * needs: SIGTERM drain and graceful stop, /healthz and /readyz, and worker
 * processes on one port (docs/operations.md).
 *
 * Conventions (as goc.h)
 *   Calls that can fail return 0 (or a count) on success and a NEGATIVE errno
 *   value on failure.  They never report through errno.
 *
 * Requests
 *   The server reads the request line and header fields into the
 *   connection's buffer before it calls the handler; the body is NOT read
 *   yet.  Every string in a goc_http_request points INTO that buffer (zero
 *   copy): it is valid until the handler returns.  Method, target, query,
 *   header names and values are NUL-terminated in place; path, host and
 *   body are not (path is followed by '?' when there is a query): use
 *   path_len, host_len and body_len.
 *
 * Request bodies (as Go's Request.Body)
 *   goc_http_body_read returns body bytes as they arrive (chunked: decoded);
 *   goc_http_body_all reads the rest into the connection's buffer and sets
 *   r->body / r->body_len, for handlers that want it whole.  A body may hold
 *   at most max_body_bytes (the server's) or what goc_http_body_limit set
 *   for this request (Go's MaxBytesReader): a read past it fails with
 *   -EMSGSIZE, without reading, when Content-Length already says so.
 *   "100 Continue" goes out on the first read that has to wait for the
 *   client, only to HTTP/1.1 clients that asked for it and only while the
 *   head is not yet committed: a handler that answers (401, 413) without
 *   reading is never sent the body.  A handler that returns without writing
 *   anything after a body read failed gets an answer sent for it: 413
 *   (-EMSGSIZE), 408 (-ETIMEDOUT), 500 (-ENOMEM), else 400.  What the handler leaves unread is discarded afterwards,
 *   up to 256 KiB (as Go); beyond that, or when 100 Continue was asked for
 *   and never sent, or after a failed read, the connection closes after the
 *   response.
 *
 * Responses
 *   A handler writes its answer through the goc_http_response: optional
 *   status (default 200) and header fields first, then body bytes.  The
 *   body is buffered; when the handler returns, the server sends one
 *   response with a Content-Length.  A body that grows past 32 KiB, or an
 *   explicit goc_http_flush, sends the head at once and the body as chunks
 *   (HTTP/1.1) or until the connection closes (HTTP/1.0); declare a
 *   Content-Length first to have it sent as is.  The server adds
 *   Date, Content-Length / Transfer-Encoding and, where needed, Connection.
 *   Responses to pipelined requests are written together, one write per
 *   batch.
 *
 * What the server rejects (RFC 9112), then closes the connection
 *   400  malformed request line or field, bare CR, NUL or other control
 *        characters, bare LF line ends, obs-fold (a line starting with SP or
 *        HTAB), whitespace before the colon, duplicate or invalid
 *        Content-Length, Content-Length together with Transfer-Encoding,
 *        Transfer-Encoding whose last coding is not chunked, invalid chunk
 *        sizes or chunk framing, HTTP/1.1 without exactly one Host, a
 *        Host (or absolute-form URL host) with bytes a host cannot hold
 *   413  (only when the handler did not answer) a body read failed with
 *        -EMSGSIZE; 400, 408, 500 likewise for other failures
 *   417  an Expect other than 100-continue
 *   431  request line plus header fields larger than max_header_bytes, or
 *        more than max_headers fields
 *   501  a transfer coding other than chunked
 *   505  an HTTP major version other than 1
 *
 * Threads
 *   Handlers run in the connection's goroutine and may block (channels,
 *   sleep, network): only that connection waits.
 *
 * Stack
 *   That goroutine has goc's goroutine stack: 256 KiB by default, set for
 *   the whole process with GOC_STACK (e.g. GOC_STACK=8m), or for this
 *   server's connections with the config's stack_size (goc_go_stack; only
 *   the pages a handler touches are committed).  Overflowing it is a fatal
 *   error for the process ("fatal error: stack overflow"), as in Go past
 *   its 1 GB maximum.  A handler that recurses on client input (a JSON
 *   parser given 5 KB of '[') must bound its depth, and stack_size must
 *   cover what the bound needs.
 */
#ifndef GOC_HTTP_H
#define GOC_HTTP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One header field of a request, pointing into the connection's buffer. */
typedef struct goc_http_header {
    const char *name;       /* NUL-terminated, as sent (case kept) */
    const char *value;      /* NUL-terminated, without surrounding OWS */
    uint32_t    name_len;
    uint32_t    value_len;
} goc_http_header;

/* A parsed request; read-only for handlers, valid until the handler
 * returns. */
typedef struct goc_http_request {
    const char *method;        /* "GET", "POST", ... (case-sensitive) */
    const char *target;        /* request-target as sent: "/a/b?x=1" */
    const char *path;          /* target without query ("*" or "/..."; for
                                  an absolute-form target, its path) */
    const char *query;         /* after '?', "" when none */
    size_t      method_len, target_len, path_len, query_len;
    const char *host;          /* an absolute-form target's host (RFC 9112
                                  §3.2.2), else the Host field; "" when none
                                  (HTTP/1.0); NOT NUL-terminated: host_len */
    size_t      host_len;
    int         version_minor; /* HTTP/1.<version_minor>: 0 or 1 */
    int         keep_alive;    /* 1: the connection stays open afterwards */
    goc_http_header *headers;  /* in arrival order */
    size_t      num_headers;
    const char *body;          /* set by goc_http_body_all: the body (the
                                  rest of it after goc_http_body_read calls),
                                  chunked: decoded; NULL and 0 before */
    size_t      body_len;
    int64_t     content_length;/* -1 when the request had none */
    int         chunked;       /* 1: the body comes chunked */
    struct goc_http__conn *conn; /* the server's; not for handlers */
} goc_http_request;

/* Writes the response to one request; owned by the server. */
typedef struct goc_http_response goc_http_response;

/* A handler: a plain C function; arg is what was registered with it. */
typedef void (*goc_http_handler)(goc_http_response *w, goc_http_request *r,
                                 void *arg);

/* ------------------------------------------------------------ requests -- */

/* The value of the first header field named name (ASCII case-insensitive),
 * NUL-terminated; NULL when absent. */
const char *goc_http_request_header(const goc_http_request *r,
                                    const char *name);

/* Read up to n body bytes into buf, waiting for at least one.  The count
 * (> 0), 0 at the end of the body (at once for a request without one), or
 * -EMSGSIZE (over the limit), -EBADMSG (bad chunked framing), -ETIMEDOUT
 * (read_timeout), -ECONNRESET / -EPIPE (the client went away), -ENOMEM.
 * Failures are sticky for the request. */
ssize_t goc_http_body_read(goc_http_request *r, void *buf, size_t n);

/* Read the rest of the body into the connection's buffer and point
 * r->body / r->body_len at it (valid until the handler returns).  0, or a
 * negative errno as goc_http_body_read. */
int goc_http_body_all(goc_http_request *r);

/* Go's MaxBytesReader: this request's body may hold at most max bytes in
 * all (those already read count); replaces max_body_bytes for it.  0. */
int goc_http_body_limit(goc_http_request *r, uint64_t max);

/* Go's Request.Context().Done(): a channel (element size 0) that is closed
 * when the client goes away, when the server shuts down, or when the
 * handler returns.  Select on it (GOC_RECV) beside the handler's other
 * channels; a receive proceeds once it is closed.  Made on first call (the
 * same channel after); NULL on no memory.  Valid until the handler
 * returns: goroutines it starts must be done with it by then.  The client
 * is watched once the body has been read to its end (as Go: before that
 * the handler's reads see a departure themselves); a client that
 * pipelines its next request is not watched further. */
struct goc_chan *goc_http_request_done(goc_http_request *r);

/* Go's Context().Err(): why the done channel closed: 0 (not closed),
 * -ECONNRESET (the client went away), -ESHUTDOWN (the server is shutting
 * down), -ECANCELED (the handler returned). */
int goc_http_request_canceled(const goc_http_request *r);

/* Go's r.URL.Query().Get(key): the first value of key in the query,
 * percent-decoded ('+' as space) into buf[0..n) NUL-terminated.  Its
 * length, or -ENOENT (absent), -EINVAL (bad escape), -ENOSPC (buf too
 * small; a truncated prefix is left). */
ssize_t goc_http_query_value(const goc_http_request *r, const char *key,
                             char *buf, size_t n);

/* Go's r.FormValue(key): from an application/x-www-form-urlencoded body
 * first (read whole with goc_http_body_all, under the body limit), then
 * the query.  As goc_http_query_value, plus goc_http_body_read's errors. */
ssize_t goc_http_form_value(goc_http_request *r, const char *key,
                            char *buf, size_t n);

/* Go's r.Cookie(name).Value: the value from the Cookie fields (surrounding
 * quotes removed) into buf, NUL-terminated.  Its length, or -ENOENT,
 * -ENOSPC. */
ssize_t goc_http_cookie_value(const goc_http_request *r, const char *name,
                              char *buf, size_t n);

/* Go's r.RemoteAddr: "ip:port" ("[ip6]:port") of the client into buf; over
 * a Unix socket, as Go prints it, the client's socket path, "@name" when
 * it is bound in the abstract namespace, or "@" when it is not bound (the
 * usual case).  The length, or -ENOSPC, -ENOTCONN, or getpeername's
 * error. */
int goc_http_remote_addr(const goc_http_request *r, char *buf, size_t n);

/* ----------------------------------------------------------- responses -- */

/* Set the status code (200..999; default 200).  Go's WriteHeader: only
 * before the first body byte.  0, -EINVAL (bad code), -EALREADY (the head
 * is already committed). */
int goc_http_write_header(goc_http_response *w, int code);

/* Add a header field "name: value".  The name must be a token and the value
 * free of CR, LF and NUL: -EINVAL otherwise; -EALREADY once the head is
 * sent; -ENOMEM.  Special names: Content-Length (declares the body size;
 * the handler must write exactly that many bytes), Connection: close (the
 * server closes after this response), Date (replaces the server's),
 * Transfer-Encoding (-EINVAL: the server frames bodies itself). */
int goc_http_add_header(goc_http_response *w, const char *name,
                        const char *value);

/* Go's Header().Set: replace every field named name (ASCII
 * case-insensitive) by one "name: value".  Errors and special names as
 * goc_http_add_header. */
int goc_http_set_header(goc_http_response *w, const char *name,
                        const char *value);

/* Go's Header().Del: remove every field named name.  0, -EINVAL (not a
 * token), -EALREADY once the head is sent.  Deleting Content-Length drops a
 * declared length; Connection and Date return to the server's defaults. */
int goc_http_del_header(goc_http_response *w, const char *name);

/* Go's Header().Get: the value of the first field named name set so far,
 * and its length in *len (the value is NOT NUL-terminated); NULL when
 * none.  Valid until the next header call.  Content-Length and Connection
 * are not stored as fields: see goc_http_response_status and the server's
 * framing. */
const char *goc_http_get_header(const goc_http_response *w, const char *name,
                                size_t *len);

/* Go's http.Cookie for http.SetCookie; NULL / 0 fields are left out. */
enum { GOC_HTTP_SAMESITE_DEFAULT, GOC_HTTP_SAMESITE_LAX, GOC_HTTP_SAMESITE_STRICT,
       GOC_HTTP_SAMESITE_NONE };
typedef struct goc_http_cookie {
    const char *name, *value;     /* name a token; value cookie-octets */
    const char *path, *domain;
    const char *expires;          /* an HTTP date, as written */
    int64_t     max_age;          /* seconds; < 0: "Max-Age=0" (delete now) */
    int         secure, http_only, same_site;
} goc_http_cookie;

/* Add a Set-Cookie field.  0, -EINVAL (a bad name, a value byte outside
 * cookie-octet, ';' or a control in an attribute, over 4 KiB), -EALREADY,
 * -ENOMEM. */
int goc_http_set_cookie(goc_http_response *w, const goc_http_cookie *c);

/* Go's WriteHeader(1xx): send an informational response now, with the
 * header fields set so far (e.g. 103 Early Hints with Link fields; they
 * stay set for the final response).  100..199 but 101 (use hijack); only
 * before the final head.  To an HTTP/1.0 client nothing is sent (RFC 9110
 * §15.2) and 0 returned.  0, -EINVAL, -EALREADY, or a write error. */
int goc_http_write_1xx(goc_http_response *w, int code);

/* Go's Hijacker.Hijack: take the connection over, e.g. after checking an
 * Upgrade request, to write "101 Switching Protocols" and speak another
 * protocol.  Pending responses to earlier requests are written first; the
 * bytes the server had read that the handler had not consumed (pipelined
 * data, the start of the new protocol) are copied to buf (*buffered: how
 * many).  The fd is returned, in goc's non-blocking mode with no
 * deadlines: the caller owns it (goc_read / goc_write / goc_close) and the
 * server sends nothing more on it.  Until the handler returns the server
 * still counts the connection (shutdown waits for it): a handler that
 * keeps the connection hands it to a goroutine and returns.  -EALREADY (a
 * head or body was already
 * written), -ENOSPC (more than n bytes buffered; nothing taken), -ENOMEM,
 * or a write error. */
int goc_http_hijack(goc_http_response *w, void *buf, size_t n, size_t *buffered);

/* What a middleware can observe: the status sent or to be sent (200 when
 * the handler set none) and the body bytes the handler wrote so far. */
int      goc_http_response_status(const goc_http_response *w);
uint64_t goc_http_response_written(const goc_http_response *w);

/* Append body bytes.  n, or -EINVAL when the status allows no body (1xx,
 * 204, 304) or more than a declared Content-Length is written, -EPIPE /
 * -ETIMEDOUT / -ECONNRESET when a flush to the client failed, -ENOMEM.
 * For HEAD requests the bytes are counted but not sent.  A write of 32 KiB
 * or more commits the head and goes to the socket straight from buf (no
 * copy); smaller ones are buffered. */
ssize_t goc_http_write(goc_http_response *w, const void *buf, size_t n);

/* Formatted body bytes; the count written, or a negative errno. */
ssize_t goc_http_printf(goc_http_response *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
ssize_t goc_http_vprintf(goc_http_response *w, const char *fmt, va_list ap);

/* Send the head and what is buffered now (the rest follows as chunks).
 * 0, or a negative errno from the write. */
int goc_http_flush(goc_http_response *w);

/* Reply with code, "text/plain; charset=utf-8" and msg plus a newline, as
 * Go's http.Error: header fields set before (Allow, WWW-Authenticate,
 * Set-Cookie) are kept; Content-Type is replaced, a declared Content-Length
 * dropped, "X-Content-Type-Options: nosniff" set.  Only before the head is
 * committed: -EALREADY. */
int goc_http_error(goc_http_response *w, int code, const char *msg);

/* The reason phrase of a status code ("Not Found"), "" if unknown. */
const char *goc_http_status_text(int code);

/* ---------------------------------------------------------------- mux -- */

/* A router as Go 1.22's ServeMux.  A pattern is "[METHOD ][HOST]/PATH":
 *   "GET /items/{id}"    method GET (which also serves HEAD), one segment
 *                        as the path value "id"
 *   "/static/"           a subtree: "/static/x/y" too
 *   "/files/{path...}"   the rest of the path as "path" (may be empty)
 *   "/a/{$}"             "/a/" only, not below it
 *   "example.com/"       requests for that host (port ignored)
 * Request paths are cleaned first: "//", "." and ".." segments get a 301
 * to the clean path; segments are percent-decoded when compared, and
 * escaped dot segments ("%2e%2e") get 400.  The most specific matching
 * pattern wins: a host over none, then segment by segment from the left a
 * literal over {x} over the rest of the path, then an exact method over
 * GET-for-HEAD over no method.  As Go, two patterns (same host) that match
 * some same requests, neither a subset of the other, conflict: the second
 * is refused (-EEXIST).
 * A path that patterns match only with other methods gets 405 with Allow;
 * "/tree" where only "/tree/" exists gets 301 to "/tree/"; else 404
 * "404 page not found".  A target without a leading '/' ("*", a CONNECT
 * authority) gets 400. */
typedef struct goc_http_mux goc_http_mux;

goc_http_mux *goc_http_mux_new(void);   /* NULL on no memory */
/* 0, -EINVAL (bad pattern: no '/', a wildcard that is not a whole
 * segment or not a C identifier, a name twice, anything after {x...} or
 * {$}; or a NULL handler), -EEXIST (the same pattern, up to wildcard
 * names, registered before, or one it conflicts with: Go panics there),
 * -ENOMEM.  Register before serving: the mux is
 * not locked. */
int  goc_http_mux_handle(goc_http_mux *m, const char *pattern,
                         goc_http_handler h, void *arg);
void goc_http_mux_free(goc_http_mux *m);
/* The mux as a handler: pass it with the mux as arg. */
void goc_http_mux_serve(goc_http_response *w, goc_http_request *r, void *mux);

/* Go's Request.PathValue: the percent-decoded value of the wildcard name
 * in the pattern that routed r (NUL-terminated; its length in *len when
 * len is not NULL), or NULL when that pattern has no such wildcard.  Valid
 * until the handler returns.  At most 16 wildcards a pattern. */
const char *goc_http_path_value(const goc_http_request *r, const char *name,
                                size_t *len);

/* --------------------------------------------------------------- files -- */

/* Go's ServeFile: answer r with the file at path: Content-Type by extension
 * (unless the handler set one), Last-Modified, ETag, Accept-Ranges; 304
 * for a matching If-None-Match or If-Modified-Since; Range (one range: 206
 * with Content-Range; several: multipart/byteranges; none satisfiable or
 * malformed: 416), honouring If-Range.  A directory serves its index.html.
 * A request path with a ".." segment gets 400; a missing file 404, an
 * unreadable one 403.  The head goes out at once and the file (each range
 * of 64 KiB or more) follows by sendfile(2), never copied through the
 * process (smaller spans, and files sendfile cannot read, are read and
 * written); the write timeout applies per 256 KiB.  0 once answered, or a
 * negative errno when sending failed midway, and the connection then
 * closes: -EPIPE / -ECONNRESET (the client left), -ETIMEDOUT (it stopped
 * reading: write_timeout), -EIO (the file shrank while being sent: the
 * Content-Length promised cannot be met), -ENOMEM. */
int goc_http_serve_file(goc_http_response *w, goc_http_request *r,
                        const char *path);

/* Go's FileServer(http.Dir(root)) for one request: serve root/rel, where
 * rel (typically a {path...} value) must not contain a ".." segment or a
 * backslash (400).  As goc_http_serve_file. */
int goc_http_serve_dir(goc_http_response *w, goc_http_request *r,
                       const char *root, const char *rel);

/* The Content-Type goc_http_serve_file uses for path's extension,
 * "application/octet-stream" when unknown. */
const char *goc_http_mime_type(const char *path);

/* /debug/goc: runtime and server figures in Prometheus text format
 * (text/plain; version=0.0.4), every family with HELP and TYPE; it passes
 * `promtool check metrics`.  Mount it with arg = the goc_http_server (or
 * NULL for runtime figures only).  Runtime: goc_goroutines,
 * process_resident_memory_bytes, goc_stack_inuse_bytes, goc_sched_* (Ps,
 * Ms, run queues, preemptions), goc_netpoll_waiting_goroutines.  Server:
 * goc_http_responses_total{code="2xx"...}, the histogram
 * goc_http_request_duration_seconds, goc_http_requests_in_flight,
 * goc_http_connections_*, goc_http_ready.  Counting costs a response three
 * relaxed atomic adds on a per-connection shard, no lock. */
void goc_http_debug_handler(goc_http_response *w, goc_http_request *r,
                            void *server);

/* Kubernetes-style probes; mount them with arg = the goc_http_server:
 *     goc_http_mux_handle(m, "GET /healthz", goc_http_healthz_handler, srv);
 *     goc_http_mux_handle(m, "GET /readyz", goc_http_readyz_handler, srv);
 * /healthz (liveness) answers 200 "ok" while the process serves.  /readyz
 * answers 200 "ready", or 503 once the server does not want new traffic:
 * goc_http_server_set_ready(s, 0), a stop begun by goc_http_server_run
 * (SIGTERM: 503 for the whole drain_delay while requests are still
 * served, so a balancer moves away before the listener closes), or
 * goc_http_server_shutdown.  readyz mounted with a NULL arg aborts with a
 * message naming it. */
void goc_http_healthz_handler(goc_http_response *w, goc_http_request *r,
                              void *server);
void goc_http_readyz_handler(goc_http_response *w, goc_http_request *r,
                             void *server);

/* ------------------------------------------------------------- server -- */

/* Limits and timeouts; zero fields take the defaults shown.  Timeouts are
 * nanoseconds; a negative timeout means none. */
typedef struct goc_http_server_config {
    goc_http_handler handler;      /* required */
    void    *arg;                  /* passed to handler */
    size_t   max_header_bytes;     /* request line + fields: 8 KiB -> 431 */
    size_t   max_headers;          /* fields per request: 100 -> 431 */
    size_t   max_body_bytes;       /* body (decoded): 1 MiB; a read past it
                                      fails (-EMSGSIZE); per request:
                                      goc_http_body_limit */
    int64_t  read_header_timeout;  /* first byte to end of head: 10 s */
    int64_t  read_timeout;         /* first byte to end of body: 60 s */
    int64_t  idle_timeout;         /* between keep-alive requests: 120 s */
    int64_t  write_timeout;        /* one write of the response: 30 s (it
                                      fires between half and all of it);
                                      a served file: each 256 KiB */
    int      backlog;              /* listen backlog: 4096 */
    int      log;                  /* 1: connection errors to stderr */
    /* Access log (optional): called after each response is framed, with
     * the request, the response (goc_http_response_status / _written), and
     * the time since the request's first byte.  Runs on the connection's
     * goroutine: a slow hook delays that connection only. */
    void   (*access_log)(const goc_http_request *r, const goc_http_response *w,
                         int64_t duration_ns, void *arg);
    void    *access_log_arg;
    /* Connection states (optional), as Go's Server.ConnState: fd and one of
     * GOC_HTTP_STATE_*; from the connection's goroutine (NEW from the
     * accepting one). */
    void   (*conn_state)(int fd, int state, void *arg);
    void    *conn_state_arg;
    /* Stack of each connection's goroutine (goc_go_stack): 0 is goc's
     * default (GOC_STACK, 256 KiB); more for handlers that recurse on
     * client input; at most 1 GiB (-EINVAL). */
    size_t   stack_size;
    /* goc_http_server_run only (see there).  workers: 0 serves in this
     * process; n >= 1 makes the caller a supervisor of n worker processes
     * (re-executions of the program) on one port.  drain_delay: after
     * SIGTERM, how long /readyz answers 503 while serving goes on, before
     * the listener closes: 0 (set it above the balancer's check interval
     * times its fall count).  shutdown_timeout: then, how long in-flight
     * requests get before they are cut off: 30 s; negative: no bound.
     * A pod's terminationGracePeriodSeconds should exceed the sum. */
    int      workers;
    int64_t  drain_delay;
    int64_t  shutdown_timeout;
} goc_http_server_config;

/* Go's ConnState values: NEW (accepted, nothing read), ACTIVE (a request is
 * being read or handled), IDLE (between requests), CLOSED (about to be
 * closed; the fd is still open during the call), HIJACKED (the handler
 * took the fd; the last state the server reports). */
enum {
    GOC_HTTP_STATE_NEW,
    GOC_HTTP_STATE_ACTIVE,
    GOC_HTTP_STATE_IDLE,
    GOC_HTTP_STATE_CLOSED,
    GOC_HTTP_STATE_HIJACKED,
};

typedef struct goc_http_server goc_http_server;

/* A server with a copy of cfg.  0 and *out, or -EINVAL (no handler),
 * -ENOMEM.  Sets SIGPIPE to ignored if it has the default action (a client
 * closing early must not kill the process; Go does the same). */
int goc_http_server_new(goc_http_server **out,
                        const goc_http_server_config *cfg);

/* Listen on addr, as goc_listen: "host:port", "unix:/path" (a filesystem
 * Unix socket, whose file the server removes when it closes the listener,
 * as Go's does; a file left by a crashed run gives -EADDRINUSE) or
 * "unix:@name" (Linux's abstract namespace).  The TCP port bound (useful
 * with port 0), 0 for a Unix socket, or a negative errno (-EADDRINUSE,
 * -EINVAL, -ENAMETOOLONG, -EALREADY when the server has a listener). */
int goc_http_server_listen(goc_http_server *s, const char *addr);

/* Serve on a socket that is already listening (Go's Server.Serve(l)): one
 * inherited from a parent process or passed by systemd's socket
 * activation, or made with socket/bind/listen (TCP or Unix, any mode), or
 * one goc_listen made.  A socket goc did not make is adopted
 * (goc_net_adopt: non-blocking, close-on-exec, on the poller).  Then
 * goc_http_server_serve as after goc_http_server_listen.  Returns as
 * goc_http_server_listen: the TCP port or 0 for a Unix socket; -EBADF,
 * -ENOTSOCK (not a socket), -EINVAL (not listening: SO_ACCEPTCONN unset,
 * or not a stream socket), -EALREADY (the server has a listener).
 * Ownership, as Go's Serve closing l: from a successful call the server
 * owns fd and closes it when serving ends (shutdown, or accepting failing
 * for good) or at goc_http_server_free if it never served; it does not
 * remove a Unix socket's file it did not make.  On error fd stays the
 * caller's, untouched. */
int goc_http_server_use_listener(goc_http_server *s, int fd);

/* Accept connections on the calling goroutine, one goroutine each, until
 * goc_http_server_shutdown.  0 after a shutdown, or a negative errno when
 * accepting fails for good (-EINVAL when not listening). */
int goc_http_server_serve(goc_http_server *s);

/* Graceful shutdown, from any goroutine: stop accepting, close idle
 * connections, let in-flight requests finish (their connections close
 * after the response), and wait for every connection to end.  deadline is
 * absolute goc_now() time (0: wait without bound); past it the remaining
 * connections are cut off and -ETIMEDOUT is returned, else 0. */
int goc_http_server_shutdown(goc_http_server *s, int64_t deadline);

/* Free a server that is not serving (after shutdown returned, or never
 * served: then its listener is closed). */
void goc_http_server_free(goc_http_server *s);

/* Mark the server ready (1, the start) or not (0) for /readyz: not ready
 * while warming a cache or while a dependency is down.  0, -EINVAL. */
int goc_http_server_set_ready(goc_http_server *s, int ready);
/* 1 when /readyz would answer 200 now, else 0. */
int goc_http_server_ready(const goc_http_server *s);

/* Run a service until it is told to stop, as a process manager expects
 * (http/workers.c has the design).  Listen on addr, serve, and on SIGTERM
 * or SIGINT: /readyz fails, serving goes on for cfg.drain_delay, then
 * goc_http_server_shutdown with cfg.shutdown_timeout.  Returns 0 after a
 * graceful stop, -ETIMEDOUT when connections had to be cut off, or
 * listen's error; -EALREADY while another run is active in the process.
 * addr NULL (no workers): serve the listener already set with
 * goc_http_server_listen or goc_http_server_use_listener (-EINVAL when
 * none).  -EINVAL for workers < 0 or over 1024, or a NULL server.
 *
 * With cfg.workers = n >= 1 the calling process becomes a supervisor: it
 * binds n TCP sockets on addr with SO_REUSEPORT (the kernel spreads
 * connections over them) and keeps them for its whole life; worker k is
 * the program re-executed (the path of /proc/self/exe, same argv, the
 * environment plus GOC_HTTP_WORKER=k) with socket k as fd 3 and a control
 * socket to the supervisor as fd 4.  In the worker the program runs again
 * from main up to its own goc_http_server_run, which sees
 * GOC_HTTP_WORKER, serves fd 3 and returns when the worker stops: build the
 * server the same way in every process, and do process-wide work (opening
 * a database, writing a pid file) only where goc_http_worker_index() < 0.
 * The supervisor serves nothing itself and:
 *   - restarts a worker that exits without being asked, after 0.1 s
 *     doubling to 10 s while restarts keep failing within 10 s of start;
 *   - SIGTERM / SIGINT: stops every worker gracefully (each drains as
 *     above), SIGKILLs those still alive drain_delay + shutdown_timeout +
 *     5 s later, closes the sockets and returns;
 *   - SIGHUP: replaces the workers one at a time: a new worker starts on
 *     the same slot socket, and only once it reports serving is the old
 *     one told to stop.  The slot sockets never close, so no connection is
 *     refused or reset: ones the old worker did not accept wait in the
 *     queue for the new one.  A binary replaced at the same path is
 *     picked up.
 *   - a worker whose supervisor dies (even by SIGKILL) sees its control
 *     socket close and stops gracefully.
 * Workers need a TCP address ("host:port", port 0 allowed): -EINVAL for a
 * Unix socket.  -ENOSYS without /proc/self/cmdline. */
int goc_http_server_run(goc_http_server *s, const char *addr);

/* In a worker process of goc_http_server_run: its index 0..workers-1, from
 * GOC_HTTP_WORKER; -1 in any other process. */
int goc_http_worker_index(void);

/* Figures for monitoring (relaxed reads of running counters). */
typedef struct goc_http_stats {
    uint64_t accepted;      /* connections accepted */
    uint64_t open;          /* connections open now */
    uint64_t requests;      /* requests handled */
    uint64_t bad_requests;  /* requests answered 4xx/5xx by the parser */
    uint64_t timeouts;      /* connections closed by a timeout */
} goc_http_stats;
void goc_http_server_stats(const goc_http_server *s, goc_http_stats *st);

/* Go's http.ListenAndServe: listen on addr and serve h with the default
 * config until an error.  Only returns a negative errno. */
int goc_http_listen_and_serve(const char *addr, goc_http_handler h,
                              void *arg);

#ifdef __cplusplus
}
#endif
#endif /* GOC_HTTP_H */
