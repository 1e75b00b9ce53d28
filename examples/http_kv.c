/*
 * http_kv — a key-value store over HTTP, the goc_http tour.
 *
 * Usage: http_kv ADDR:PORT DIR
 *
 *   GET    /kv/{key}         the value (a file in DIR), with Range and
 *                            conditional requests (goc_http_serve_file)
 *   PUT    /kv/{key}         store the raw body, streamed to DIR (at most
 *                            64 MiB: 413 beyond); needs
 *                            "Authorization: Bearer test", checked before
 *                            a byte of the body is read (401; a client
 *                            that sent "Expect: 100-continue" never sends it)
 *   DELETE /kv/{key}         remove it
 *   GET    /files/{path...}  files under DIR (goc_http_serve_dir)
 *   GET    /slow             waits up to 10 s on the request's done channel
 *                            and logs when the client left
 *   GET    /debug/goc        runtime and server figures
 * Other methods on /kv/{key} get 405 with Allow (the router does that).
 * Every request is logged to stderr (the access-log hook).
 *
 * The Go it mirrors:
 *     mux.HandleFunc("PUT /kv/{key}", put)
 *     r.Body = http.MaxBytesReader(w, r.Body, 64<<20)
 *     io.Copy(f, r.Body)
 */
#include <goc.h>
#include <goc_http.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_VALUE (64ull << 20)

static const char *dir;

/* Keys name files in DIR: letters, digits, '-', '_', '.', not leading '.'. */
static int key_path(goc_http_response *w, goc_http_request *r, char *out, size_t n)
{
    size_t kl;
    const char *key = goc_http_path_value(r, "key", &kl);

    if (!key || kl == 0 || kl > 200 || key[0] == '.'
        || strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != kl) {
        goc_http_error(w, 400, "bad key");
        return -1;
    }
    snprintf(out, n, "%s/%s", dir, key);
    return 0;
}

static void get_kv(goc_http_response *w, goc_http_request *r, void *arg)
{
    char path[4096];
    (void)arg;
    if (key_path(w, r, path, sizeof path) == 0) {
        goc_http_set_header(w, "Content-Type", "application/octet-stream");
        goc_http_serve_file(w, r, path);
    }
}

/* Write all of buf to fd; the thread blocks on the disk meanwhile. */
static int write_all(int fd, const char *buf, size_t n)
{
    goc_syscall_enter();
    while (n > 0) {
        ssize_t k = write(fd, buf, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            goc_syscall_exit();
            return -e;
        }
        buf += k;
        n -= (size_t)k;
    }
    goc_syscall_exit();
    return 0;
}

static void put_kv(goc_http_response *w, goc_http_request *r, void *arg)
{
    char path[4096], tmp[4200];
    (void)arg;
    const char *auth = goc_http_request_header(r, "Authorization");
    if (!auth || strcmp(auth, "Bearer test") != 0) {
        goc_http_set_header(w, "WWW-Authenticate", "Bearer");
        goc_http_error(w, 401, "unauthorized");   /* the body is never read */
        return;
    }
    if (key_path(w, r, path, sizeof path) < 0)
        return;
    goc_http_body_limit(r, MAX_VALUE);
    snprintf(tmp, sizeof tmp, "%s.tmp.%llu", path, (unsigned long long)goc_id());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        goc_http_error(w, 500, strerror(errno));
        return;
    }
    char *buf = malloc(64 * 1024);
    ssize_t n = buf ? 0 : -ENOMEM;
    while (buf && (n = goc_http_body_read(r, buf, 64 * 1024)) > 0)
        if ((n = write_all(fd, buf, (size_t)n)) < 0)
            break;
    free(buf);
    close(fd);
    if (n < 0) {
        unlink(tmp);
        if (n == -EMSGSIZE)
            goc_http_error(w, 413, "value over 64 MiB");
        else if (n == -EBADMSG)
            goc_http_error(w, 400, "bad body");
        else
            goc_http_error(w, 500, strerror((int)-n));
        return;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        goc_http_error(w, 500, strerror(errno));
        return;
    }
    goc_http_write_header(w, 204);
}

static void delete_kv(goc_http_response *w, goc_http_request *r, void *arg)
{
    char path[4096];
    (void)arg;
    if (key_path(w, r, path, sizeof path) < 0)
        return;
    if (unlink(path) != 0) {
        goc_http_error(w, errno == ENOENT ? 404 : 500, strerror(errno));
        return;
    }
    goc_http_write_header(w, 204);
}

static void files(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)arg;
    goc_http_serve_dir(w, r, dir, goc_http_path_value(r, "path", NULL));
}

static void slow(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)arg;
    goc_chan *done = goc_http_request_done(r);
    goc_timer *t = goc_timer_new(10 * 1000000000LL, 0);
    if (!done || !t) {
        goc_http_error(w, 500, "out of memory");
        return;
    }
    goc_case cs[2] = {{done, GOC_RECV, NULL, 0}, {goc_timer_chan(t), GOC_RECV, NULL, 0}};
    int i = goc_select(cs, 2, 1);
    goc_timer_stop(t);
    goc_timer_free(t);
    if (i == 0) {
        int why = goc_http_request_canceled(r);
        fprintf(stderr, "http_kv: /slow: %s\n",
                why == -ECONNRESET ? "client left" : why == -ESHUTDOWN ? "server shutting down"
                                                                       : "canceled");
        return;
    }
    goc_http_printf(w, "done waiting\n");
}

static void access_log(const goc_http_request *r, const goc_http_response *w,
                       int64_t ns, void *arg)
{
    (void)arg;
    fprintf(stderr, "%s %s %d %llu %.3fms\n", r->method, r->target,
            goc_http_response_status(w), (unsigned long long)goc_http_response_written(w),
            (double)ns / 1e6);
}

static const char *addr;

static void run(void *arg)
{
    (void)arg;
    goc_http_mux *m = goc_http_mux_new();
    goc_http_server *srv;
    goc_http_server_config cfg = {.handler = goc_http_mux_serve, .arg = m,
                                  .max_body_bytes = MAX_VALUE, .access_log = access_log};

    if (!m || goc_http_server_new(&srv, &cfg) < 0
        || goc_http_mux_handle(m, "GET /kv/{key}", get_kv, NULL) < 0
        || goc_http_mux_handle(m, "PUT /kv/{key}", put_kv, NULL) < 0
        || goc_http_mux_handle(m, "DELETE /kv/{key}", delete_kv, NULL) < 0
        || goc_http_mux_handle(m, "GET /files/{path...}", files, NULL) < 0
        || goc_http_mux_handle(m, "GET /slow", slow, NULL) < 0
        || goc_http_mux_handle(m, "GET /debug/goc", goc_http_debug_handler, srv) < 0) {
        fprintf(stderr, "http_kv: out of memory\n");
        exit(1);
    }
    int port = goc_http_server_listen(srv, addr);
    if (port < 0) {
        fprintf(stderr, "http_kv: %s: %s\n", addr, strerror(-port));
        exit(1);
    }
    printf("listening %d\n", port);
    fflush(stdout);
    int rc = goc_http_server_serve(srv);
    fprintf(stderr, "http_kv: serve: %s\n", strerror(-rc));
    exit(1);
}

int main(int argc, char **argv)
{
    struct stat st;

    if (argc != 3) {
        fprintf(stderr, "usage: %s ADDR:PORT DIR\n", argv[0]);
        return 2;
    }
    addr = argv[1];
    dir = argv[2];
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "http_kv: %s: not a directory\n", dir);
        return 2;
    }
    return goc_main(run, NULL);
}
