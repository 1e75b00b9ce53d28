/*
 * http/request.c — request facts: the peer's address, query, form and
 * cookie values (percent-decoded), and the Set-Cookie builder.
 *
 * Values are decoded into the caller's buffer: nothing is allocated, and
 * the request's own bytes stay as sent.  Lookups scan (queries, forms and
 * cookies have a handful of pairs); Go parses them into maps once, which
 * is the better design when a handler asks for many keys.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode p[0..n) as a form value ('+' is a space) into out[0..cap): the
 * decoded length (NUL-terminated when it fits), -EINVAL for a bad escape,
 * -ENOSPC when out is too small (out then holds a truncated prefix). */
static ssize_t form_decode(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n || hexv((unsigned char)p[i + 1]) < 0 || hexv((unsigned char)p[i + 2]) < 0)
                return -EINVAL;
            c = (char)(hexv((unsigned char)p[i + 1]) << 4 | hexv((unsigned char)p[i + 2]));
            i += 2;
        }
        if (o + 1 < cap)
            out[o] = c;
        o++;
    }
    if (cap)
        out[o < cap ? o : cap - 1] = '\0';
    return o < cap ? (ssize_t)o : -ENOSPC;
}

/* The first "key=value" of s[0..n) (pairs split at '&' or ';' when semi)
 * whose decoded key is key: the raw value in *v / *vl.  1 when found. */
static int find_pair(const char *s, size_t n, const char *key, int semi,
                     const char **v, size_t *vl)
{
    size_t kl = strlen(key);
    char kb[256];

    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && s[e] != '&' && !(semi && s[e] == ';'))
            e++;
        const char *eq = memchr(s + i, '=', e - i);
        size_t rk = eq ? (size_t)(eq - (s + i)) : e - i;
        ssize_t dk = rk < sizeof kb ? form_decode(s + i, rk, kb, sizeof kb) : -ENOSPC;
        if (dk == (ssize_t)kl && memcmp(kb, key, kl) == 0) {
            *v = eq ? eq + 1 : s + e;
            *vl = eq ? (size_t)(s + e - (eq + 1)) : 0;
            return 1;
        }
        i = e + 1;
    }
    return 0;
}

ssize_t goc_http_query_value(const goc_http_request *r, const char *key,
                             char *buf, size_t n)
{
    const char *v;
    size_t vl;

    if (!find_pair(r->query, r->query_len, key, 0, &v, &vl))
        return -ENOENT;
    return form_decode(v, vl, buf, n);
}

static int is_form(const goc_http_request *r)
{
    const char *ct = goc_http_request_header(r, "Content-Type");
    static const char form[] = "application/x-www-form-urlencoded";
    size_t n = sizeof form - 1;

    return ct && strlen(ct) >= n && goc_http__ieq(ct, form, n)
           && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

ssize_t goc_http_form_value(goc_http_request *r, const char *key, char *buf, size_t n)
{
    const char *v;
    size_t vl;

    if (is_form(r) && r->conn && !r->body) {
        int rc = goc_http_body_all(r);
        if (rc < 0)
            return rc;
    }
    if (is_form(r) && r->body && find_pair(r->body, r->body_len, key, 0, &v, &vl))
        return form_decode(v, vl, buf, n);
    return goc_http_query_value(r, key, buf, n);
}

ssize_t goc_http_cookie_value(const goc_http_request *r, const char *name, char *buf, size_t n)
{
    size_t nl = strlen(name);

    for (size_t i = 0; i < r->num_headers; i++) {
        const goc_http_header *h = &r->headers[i];
        if (h->name_len != 6 || !goc_http__ieq(h->name, "cookie", 6))
            continue;
        const char *p = h->value, *e = h->value + h->value_len;
        while (p < e) {
            while (p < e && (*p == ' ' || *p == ';'))
                p++;
            const char *q = p;
            while (q < e && *q != ';')
                q++;
            const char *eq = memchr(p, '=', (size_t)(q - p));
            if (eq && (size_t)(eq - p) == nl && memcmp(p, name, nl) == 0) {
                const char *v = eq + 1;
                size_t vl = (size_t)(q - v);
                while (vl && (v[vl - 1] == ' '))
                    vl--;
                if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
                    v++;                   /* Go strips the quotes */
                    vl -= 2;
                }
                if (vl + 1 > n) {
                    if (n) {
                        memcpy(buf, v, n - 1);
                        buf[n - 1] = '\0';
                    }
                    return -ENOSPC;
                }
                memcpy(buf, v, vl);
                buf[vl] = '\0';
                return (ssize_t)vl;
            }
            p = q;
        }
    }
    return -ENOENT;
}

/* RFC 6265 cookie-octet: no CTL, space, DQUOTE, comma, semicolon or
 * backslash (Go drops such bytes; we refuse the cookie). */
static int cookie_value_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\')
            return 0;
    }
    return 1;
}

static int attr_ok(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < ' ' || *s == ';' || (unsigned char)*s == 0x7f)
            return 0;
    return 1;
}

int goc_http_set_cookie(goc_http_response *w, const goc_http_cookie *ck)
{
    char line[4096];
    int n;

    if (!ck || !ck->name || !ck->value || !*ck->name || !cookie_value_ok(ck->value)
        || !attr_ok(ck->path) || !attr_ok(ck->domain) || !attr_ok(ck->expires))
        return -EINVAL;
    for (const char *p = ck->name; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *p))
            return -EINVAL;
    n = snprintf(line, sizeof line, "%s=%s", ck->name, ck->value);
    if (ck->path && *ck->path)
        n += snprintf(line + n, sizeof line - (size_t)n, "; Path=%s", ck->path);
    if (ck->domain && *ck->domain && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "; Domain=%s", ck->domain);
    if (ck->expires && *ck->expires && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "; Expires=%s", ck->expires);
    if (ck->max_age > 0 && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "; Max-Age=%lld", (long long)ck->max_age);
    else if (ck->max_age < 0 && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "; Max-Age=0");
    if (ck->http_only && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "; HttpOnly");
    if (ck->secure && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "; Secure");
    if (ck->same_site && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "; SameSite=%s",
                      ck->same_site == GOC_HTTP_SAMESITE_LAX ? "Lax"
                      : ck->same_site == GOC_HTTP_SAMESITE_STRICT ? "Strict" : "None");
    if (n >= (int)sizeof line)
        return -EINVAL;
    return goc_http_add_header(w, "Set-Cookie", line);
}

/* A Unix peer as Go's net.UnixAddr prints it: the path; for the abstract
 * namespace, the name after '@'; an unbound client (no name) as "@". */
static int unix_peer(const struct sockaddr_un *su, socklen_t sl, char *buf, size_t n)
{
    size_t off = offsetof(struct sockaddr_un, sun_path);
    size_t len = sl > off ? sl - off : 0;

    if (len > sizeof su->sun_path)
        len = sizeof su->sun_path;
    if (len == 0)
        return snprintf(buf, n, "@");
    if (su->sun_path[0] == '\0')
        return snprintf(buf, n, "@%.*s", (int)(len - 1), su->sun_path + 1);
    return snprintf(buf, n, "%.*s", (int)strnlen(su->sun_path, len), su->sun_path);
}

int goc_http_remote_addr(const goc_http_request *r, char *buf, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char ip[INET6_ADDRSTRLEN];
    int k;

    if (!r->conn || getpeername(r->conn->fd, (struct sockaddr *)&ss, &sl) != 0)
        return r->conn ? -errno : -ENOTCONN;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        k = snprintf(buf, n, "%s:%u", ip, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        k = snprintf(buf, n, "[%s]:%u", ip, ntohs(a->sin6_port));
    } else if (ss.ss_family == AF_UNIX) {
        k = unix_peer((struct sockaddr_un *)&ss, sl, buf, n);
    } else {
        k = snprintf(buf, n, "?");
    }
    return k < 0 || (size_t)k >= n ? -ENOSPC : k;
}
