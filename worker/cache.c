/*
 * cache.c: HTTP caching on a worker (RFC 9111), over the shared index of
 * common/cache.c.
 *
 * A stored response is one file: a fixed 128-byte metadata line, the
 * upstream's header lines (bn_http_cacheable_lines), then the body as
 * decoded from the upstream's framing.  It is written to a temporary name
 * while the response streams to the client (the pipe tees each frame into
 * it), and renamed into place only once the whole body has arrived, so a
 * partial file is never served.  Writes go to the page cache with write(2);
 * a hit goes out with sendfile(2) (plain TCP) or pread(2) (TLS, which must
 * encrypt it, or an HTTP/2 stream, which frames it), both from the page cache,
 * which serves anything recently stored or read without a disk wait (see
 * README).
 *
 * Safety first: nothing is stored without explicit freshness (or a status
 * the route lists in `valid`); no 5xx unless listed; never no-store,
 * private, no-cache, Set-Cookie, Vary: *, or an answer to a request with
 * Authorization (or one that passed authentication, whatever carried the
 * credential) unless the response says public, s-maxage or must-revalidate.
 */
#include "cache.h"
#include "cache_refresh.h"
#include "compress.h"
#include "event.h"
#include "headers.h"
#include "pipe.h"
#include "request.h"
#include "upstream.h"
#include "variables.h"
#include "worker_state.h"
#include "../common/cache.h"
#include "../common/clock.h"
#include "../common/str.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#define META_LEN BN_CACHE_META_LEN
#define MAX_STORED_HEAD 65536

static uint64_t tmp_counter;

/* Where a file for r's zone is written before it is renamed into place:
 * the loader removes what a process that died left of these. */
static char *
tmp_path(bn_request_t *r)
{
    return bn_psprintf(r->pool, "%s/.tmp-%d-%" PRIu64, bn_cache_zone_path(r->route->cache.zone->zone),
                       (int) getpid(), ++tmp_counter);
}

/* ---- request side -------------------------------------------------------------------- */

/*
 * The directives a response gives this cache: its Bouncer-Cache-Control,
 * else its CDN-Cache-Control (RFC 9213: the most specific targeted field
 * that is a valid Dictionary wins, with the route's targeted = true), else
 * its Cache-Control.  Each value is all of the field's lines, joined.
 */
static void
directives_of(bn_cache_control_t *cc, bool targeted, const char *own, const char *cdn,
              const char *plain)
{
    bn_cache_control_init(cc);
    if (targeted) {
        if (own != NULL && bn_cache_control_parse_targeted(cc, own, strlen(own))) {
            return;
        }
        if (cdn != NULL && bn_cache_control_parse_targeted(cc, cdn, strlen(cdn))) {
            return;
        }
    }
    if (plain != NULL) {
        bn_cache_control_parse(cc, plain, strlen(plain));
    }
}

/* The current age of stored entry m (RFC 9111 4.2.3): its age when it came
 * and the time it has been here since. */
static int64_t
current_age(const bn_cache_meta_t *m)
{
    return (int64_t) m->age + BN_MAX((int64_t) bn_current_sec - m->stored, (int64_t) 0);
}

/* Whatever carried the credential that passed (a cookie, an API key,
 * forward auth), it counts as Authorization (RFC 9111 3.5); stripped or
 * not. */
static bool
credentialed(bn_request_t *r)
{
    return bn_http_header(r, "authorization") != NULL || r->auth_user != NULL;
}

/* RFC 9111 3.5: what lets a response to a request with credentials be shared. */
static bool
shared_despite_credentials(const bn_cache_control_t *d)
{
    return d->public_ || d->s_maxage != BN_CC_ABSENT || d->must_revalidate;
}

/* Reads the stored header lines (into r's pool) and the body's length. */
static int
read_stored(bn_request_t *r, int fd)
{
    bn_cache_meta_t m;
    size_t hl;
    struct stat sb;

    if (bn_cache_meta_read(fd, &m, &hl) != BN_OK || fstat(fd, &sb) == -1 || hl > MAX_STORED_HEAD
        || (uint64_t) sb.st_size < META_LEN + hl) {
        return BN_ERROR;
    }
    r->cache.lines = bn_palloc(r->pool, hl + 1);
    if (r->cache.lines == NULL || pread(fd, r->cache.lines, hl, META_LEN) != (ssize_t) hl) {
        return BN_ERROR;
    }
    r->cache.lines[hl] = '\0';
    r->cache.lines_len = hl;
    r->cache.stored_status = m.status;
    r->cache.body_len = (uint64_t) sb.st_size - META_LEN - hl;
    r->cache.body_at = META_LEN + hl;
    return BN_OK;
}

/* The value of a stored header, copied into r's pool; NULL if absent.  As
 * bn_http_field(): several lines are one value, joined by ", ". */
static char *
stored_header(bn_request_t *r, const char *lines, const char *name)
{
    size_t nl = strlen(name);
    char *found = NULL;

    for (const char *p = lines; *p != '\0';) {
        const char *eol = strchr(p, '\n');
        if (eol == NULL) {
            break;
        }
        if ((size_t) (eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            int len;
            while (*v == ' ') {
                v++;
            }
            len = (int) (eol - v - (eol[-1] == '\r'));
            found = found == NULL ? bn_pstrndup(r->pool, v, (size_t) len)
                                  : bn_psprintf(r->pool, "%s, %.*s", found, len, v);
            if (found == NULL) {
                return NULL;
            }
        }
        p = eol + 1;
    }
    return found;
}

/* RFC 9110 13.1.2 and 13.1.3: may the client keep what it has? */
static bool
not_modified(bn_request_t *r, const char *lines)
{
    const char *inm = bn_http_header(r, "if-none-match");
    const char *ims = bn_http_header(r, "if-modified-since");

    if (inm != NULL) {
        const char *etag = stored_header(r, lines, "etag");
        if (etag == NULL) {
            return false;
        }
        if (strcmp(inm, "*") == 0) {
            return true;
        }
        /* Weak comparison (13.1.2): W/ prefixes do not matter. */
        const char *e = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
        for (const char *p = inm; *p != '\0';) {
            while (*p == ' ' || *p == ',') {
                p++;
            }
            const char *end = p + strcspn(p, ",");
            const char *q = strncmp(p, "W/", 2) == 0 ? p + 2 : p;
            size_t ql = (size_t) (end - q);
            while (ql > 0 && q[ql - 1] == ' ') {
                ql--;
            }
            if (ql == strlen(e) && strncmp(q, e, ql) == 0) {
                return true;
            }
            p = end;
        }
        return false;
    }
    if (ims != NULL) {
        const char *lm = stored_header(r, lines, "last-modified");
        int64_t since, modified;
        if (lm == NULL || !bn_http_date_parse(ims, strlen(ims), &since)
            || !bn_http_date_parse(lm, strlen(lm), &modified)) {
            return false;
        }
        return modified <= since;
    }
    return false;
}

/*
 * Files of recent hits, kept open per worker (as nginx's open_file_cache):
 * a hit on an entry served from disk then costs a dup() and a sendfile()
 * rather than open, pread, fstat, pread, sendfile and close.  A kept file
 * serves only the version the index names (stored time and size), so a
 * replaced entry is opened anew; the file of an evicted or purged entry is
 * closed when its slot is taken or after OPEN_FILE_IDLE unused, which
 * bounds how long its disk space outlives it.
 */
#define OPEN_FILES 128
#define OPEN_FILE_IDLE 10000 /* msec */

typedef struct {
    unsigned char key[BN_CACHE_KEY_LEN];
    int64_t stored;
    uint64_t size;
    int fd; /* -1: the slot is free */
    int status;
    char *lines; /* malloc'd, NUL-terminated */
    size_t lines_len;
    uint64_t body_len;
    bn_msec_t used;
} open_file_t;

static open_file_t open_files[OPEN_FILES];
static bool open_files_ready;
static void close_idle_files(bn_timer_t *t);
static bn_timer_t open_files_timer = { .handler = close_idle_files };

static open_file_t *
open_file_slot(const unsigned char *key)
{
    uint32_t h;

    if (!open_files_ready) {
        for (size_t i = 0; i < OPEN_FILES; i++) {
            open_files[i].fd = -1;
        }
        open_files_ready = true;
    }
    memcpy(&h, key, sizeof(h)); /* the key is a hash already */
    return &open_files[h % OPEN_FILES];
}

static void
open_file_drop(open_file_t *f)
{
    if (f->fd != -1) {
        close(f->fd);
        f->fd = -1;
        free(f->lines);
        f->lines = NULL;
    }
}

/* The kept file of key goes: the entry was rewritten under it. */
static void
open_file_forget(const unsigned char *key)
{
    open_file_t *f = open_file_slot(key);

    if (f->fd != -1 && memcmp(f->key, key, BN_CACHE_KEY_LEN) == 0) {
        open_file_drop(f);
    }
}

static void
close_idle_files(bn_timer_t *t)
{
    bool any = false;

    for (size_t i = 0; i < OPEN_FILES; i++) {
        if (open_files[i].fd != -1 && bn_current_msec - open_files[i].used >= OPEN_FILE_IDLE) {
            open_file_drop(&open_files[i]);
        }
        any |= open_files[i].fd != -1;
    }
    if (any) {
        bn_timer_set(t, OPEN_FILE_IDLE);
    }
}

/* r's entry m from a kept file; false when none is kept for that version. */
static bool
open_file_use(bn_request_t *r, const bn_cache_meta_t *m)
{
    open_file_t *f = open_file_slot(r->cache.key);
    int fd;

    if (f->fd == -1 || memcmp(f->key, r->cache.key, BN_CACHE_KEY_LEN) != 0 || f->stored != m->stored
        || f->size != m->size) {
        return false;
    }
    r->cache.lines = bn_pstrndup(r->pool, f->lines, f->lines_len);
    if (r->cache.lines == NULL || (fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
        return false;
    }
    r->cache.lines_len = f->lines_len;
    r->cache.stored_status = f->status;
    r->cache.body_len = f->body_len;
    r->cache.body_at = META_LEN + f->lines_len;
    r->cache.fd = fd;
    r->cache.meta = *m;
    f->used = bn_current_msec;
    return true;
}

/* Keeps r's freshly opened entry m for the next hits. */
static void
open_file_keep(bn_request_t *r, const bn_cache_meta_t *m)
{
    open_file_t *f = open_file_slot(r->cache.key);
    char *lines = malloc(r->cache.lines_len + 1);
    int fd = lines != NULL ? fcntl(r->cache.fd, F_DUPFD_CLOEXEC, 0) : -1;

    if (fd == -1) {
        free(lines);
        return;
    }
    open_file_drop(f);
    memcpy(lines, r->cache.lines, r->cache.lines_len + 1);
    memcpy(f->key, r->cache.key, BN_CACHE_KEY_LEN);
    f->stored = m->stored;
    f->size = m->size;
    f->fd = fd;
    f->status = r->cache.stored_status;
    f->lines = lines;
    f->lines_len = r->cache.lines_len;
    f->body_len = r->cache.body_len;
    f->used = bn_current_msec;
    if (open_files_timer.slot == 0) {
        bn_timer_set(&open_files_timer, OPEN_FILE_IDLE);
    }
}

/* Opens the stored entry m for r: the file stays open for serving (a hit,
 * or a stale entry held back in case the upstream fails). */
static int
open_stored(bn_request_t *r, const bn_cache_meta_t *m)
{
    const bn_conf_cache_t *cc = &r->route->cache;
    char file[PATH_MAX];
    int fd;

    if (open_file_use(r, m)) {
        return BN_OK;
    }
    bn_cache_file(cc->zone->zone, r->cache.key, file, sizeof(file));
    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd == -1 || read_stored(r, fd) != BN_OK) {
        if (fd != -1) {
            close(fd);
        }
        bn_log_error(BN_LOG_WARN, &r->client->log, 0, "cache file \"%s\" is missing or damaged",
                     file);
        bn_cache_remove(cc->zone->zone, r->cache.key);
        return BN_ERROR;
    }
    r->cache.fd = fd;
    r->cache.meta = *m;
    if (m->status != 0) {
        open_file_keep(r, m); /* not a Vary marker: those are read once, then closed */
    }
    return BN_OK;
}

static int serve_stored(bn_request_t *r, const char *label);

/*
 * Sets r's stored entry from a copy of its header lines and body (lines_len
 * bytes of lines, then the body), in r's pool.
 */
static int
use_copy(bn_request_t *r, const bn_cache_meta_t *m, const char *copy, size_t len, size_t lines_len)
{
    r->cache.lines = bn_pstrndup(r->pool, copy, lines_len);
    if (r->cache.lines == NULL) {
        return BN_ERROR;
    }
    r->cache.lines_len = lines_len;
    r->cache.body = copy + lines_len;
    r->cache.body_len = len - lines_len;
    r->cache.stored_status = m->status;
    r->cache.meta = *m;
    return BN_OK;
}

/* A fresh hit from the memory tier: no file opened. */
static int
serve_hot(bn_request_t *r, const bn_cache_meta_t *m)
{
    bn_cache_zone_t *z = r->route->cache.zone->zone;
    size_t len = (size_t) (m->size - META_LEN), got, lines_len;
    char *copy;

    if (m->size > META_LEN + bn_cache_hot_max(z)) {
        return BN_DECLINED;
    }
    copy = bn_palloc(r->pool, len);
    if (copy == NULL || !bn_cache_hot_get(z, m, copy, len, &got, &lines_len)
        || use_copy(r, m, copy, got, lines_len) != BN_OK) {
        return BN_DECLINED;
    }
    return serve_stored(r, "HIT");
}

/* A fresh hit from the file, small enough for the memory tier: the body
 * is read once (from the page cache), put in the tier, and served from it. */
static void
promote(bn_request_t *r)
{
    bn_cache_zone_t *z = r->route->cache.zone->zone;
    size_t len = r->cache.lines_len + r->cache.body_len;
    char *copy;

    if (len > bn_cache_hot_max(z) || r->cache.body != NULL) {
        return;
    }
    copy = bn_palloc(r->pool, len);
    if (copy == NULL
        || pread(r->cache.fd, copy + r->cache.lines_len, r->cache.body_len,
                 (off_t) r->cache.body_at)
               != (ssize_t) r->cache.body_len) {
        return;
    }
    memcpy(copy, r->cache.lines, r->cache.lines_len);
    bn_cache_hot_put(z, &r->cache.meta, copy, len, r->cache.lines_len);
    r->cache.body = copy + r->cache.lines_len;
}

/*
 * RFC 9110 13.1.5: whether r's If-Range (or its absence) lets its Range
 * apply to the stored entry.  An entity-tag must be the stored ETag, both
 * strong (8.8.3.2's strong comparison: a weak one never matches); a date
 * must be the stored Last-Modified, and that only counts as strong when
 * the stored Date is at least a second later (8.8.2.2).
 */
static bool
if_range_holds(bn_request_t *r)
{
    const char *ir = bn_http_header(r, "if-range"), *etag, *lm, *date;
    int64_t t, modified, dated;

    if (ir == NULL) {
        return true;
    }
    if (ir[0] == '"' || strncmp(ir, "W/", 2) == 0) {
        etag = stored_header(r, r->cache.lines, "etag");
        return ir[0] == '"' && etag != NULL && strcmp(ir, etag) == 0;
    }
    lm = stored_header(r, r->cache.lines, "last-modified");
    date = stored_header(r, r->cache.lines, "date");
    return lm != NULL && date != NULL && bn_http_date_parse(ir, strlen(ir), &t)
           && bn_http_date_parse(lm, strlen(lm), &modified)
           && bn_http_date_parse(date, strlen(date), &dated) && t == modified && dated > modified;
}

/*
 * The part of r's stored 200 that its Range asks for (RFC 9110 14): 206
 * with [*first, *first + *length) and its Content-Range; 416 (no body, a
 * Content-Range with the size only) when no range can be met; else the
 * whole 200: no Range, not one range of bytes that parses, an If-Range
 * that does not hold, or a method other than GET (14.2: the only one with
 * ranges).  Several ranges get the whole 200 too, as 14.2 allows ("a
 * server MAY ignore the Range header field"), not multipart/byteranges.
 * *fields: the range lines for bn_http_build_cached_head().  BN_ERROR:
 * out of memory.
 */
static int
cut_range(bn_request_t *r, uint64_t *first, uint64_t *length, const char **fields)
{
    const char *range = r->head_method ? NULL : bn_http_header(r, "range");
    uint64_t size = r->cache.body_len, last;
    int got = range != NULL && if_range_holds(r)
                  ? bn_http_range_parse(range, strlen(range), size, first, &last)
                  : BN_RANGE_NONE;

    *fields = "Accept-Ranges: bytes\r\n";
    if (got == BN_RANGE_ONE) {
        *length = last - *first + 1;
        *fields =
            bn_psprintf(r->pool, "%sContent-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n",
                        *fields, *first, last, size);
        return *fields != NULL ? 206 : BN_ERROR;
    }
    *first = 0;
    *length = got == BN_RANGE_UNSATISFIABLE ? 0 : size;
    if (got == BN_RANGE_UNSATISFIABLE) {
        *fields = bn_psprintf(r->pool, "%sContent-Range: bytes */%" PRIu64 "\r\n", *fields, size);
        return *fields != NULL ? 416 : BN_ERROR;
    }
    return 200;
}

/* Answers r from its stored entry (an open file, or a copy in memory);
 * label is its X-Cache-Status.  Conditions come first (a 304), then a
 * stored 200 is cut to the client's Range (RFC 9110 14.2: "evaluated
 * after the precondition fields"). */
static int
serve_stored(bn_request_t *r, const char *label)
{
    int status = r->cache.stored_status;
    uint64_t first = 0, length = r->cache.body_len;
    const char *ranges = NULL;

    r->cache_status = label;
    if (not_modified(r, r->cache.lines)) {
        status = 304;
    } else if (status == 200 && (status = cut_range(r, &first, &length, &ranges)) == BN_ERROR) {
        return BN_ERROR;
    }
    r->cache.off = (r->cache.body != NULL ? 0 : r->cache.body_at) + first;
    r->cache.left = status == 304 || r->head_method ? 0 : length;
    r->rout.pos = r->rout.last = r->rout.start;
    if (bn_http_build_cached_head(r, status, r->cache.lines, r->cache.lines_len,
                                  current_age(&r->cache.meta), length,
                                  status != 304 && status != 204, ranges)
        != BN_OK) {
        return BN_ERROR;
    }
    r->state = BN_REQ_CACHED;
    r->resp_started = true;
    bn_pipe_init(&r->resp_pipe, NULL, BN_BODY_NONE, 0, false);
    r->resp_pipe.done = false;
    return BN_DONE;
}

/*
 * Whether the stale entry r holds may answer it, when the route's
 * use_stale has the bit, or the stored response's own directive
 * (stale-while-revalidate or stale-if-error, RFC 5861) still covers it.
 * Never for a response that said must-revalidate or proxy-revalidate (RFC
 * 9111 5.2.2.2, 5.2.2.8), nor no-cache (5.2.2.4: each use is validated):
 * use_stale does not override the origin there.
 */
static bool
stale_allowed(bn_request_t *r, unsigned use_stale, bool while_revalidate)
{
    bn_cache_control_t cc;
    int64_t window;

    if (r->cache.meta.flags & (BN_CACHE_F_NO_STALE | BN_CACHE_F_NO_CACHE)) {
        return false;
    }
    if (r->route->cache.use_stale & use_stale) {
        return true;
    }
    directives_of(&cc, r->route->cache.targeted,
                  stored_header(r, r->cache.lines, "bouncer-cache-control"),
                  stored_header(r, r->cache.lines, "cdn-cache-control"),
                  stored_header(r, r->cache.lines, "cache-control"));
    window = while_revalidate ? cc.stale_while_revalidate : cc.stale_if_error;
    return window >= 0 && r->cache.meta.expires + window >= (int64_t) bn_current_sec;
}

static int fill_or_wait(bn_request_t *r);

/*
 * A request header's value as a variant key holds it: all its lines as one
 * list (bn_http_header()), normalised as bn_vary_normalize() says (blanks
 * around commas and at the ends dropped, runs of blanks one space, the
 * Accept fields' tokens in lower case), so that "gzip,br", "gzip, br", two
 * lines "gzip" and "br", and "GZIP, BR" are one variant (RFC 9111 4.1:
 * values normalised the same way on store and lookup).
 */
static char *
vary_value(bn_request_t *r, const char *name)
{
    const char *v = bn_http_header(r, name);
    size_t n = v != NULL ? strlen(v) : 0;
    char *o = v != NULL ? bn_palloc(r->pool, n + 1) : NULL;

    if (o == NULL || bn_vary_normalize(name, v, n, o, n + 1) > n) {
        return (char *) v; /* no memory: as it came, a variant of its own */
    }
    return o;
}

/*
 * The key of r's variant (RFC 9111 4.1): the route's key, then each header
 * the stored Vary names with the value this request has for it.
 */
static void
variant_key(bn_request_t *r)
{
    const char *base = r->cache.key_text;
    char *k = bn_psprintf(r->pool, "%s\n", base ? base : "");
    const char *p = r->cache.vary;

    while (k != NULL && *p != '\0') {
        char name[128];
        size_t n;
        while (*p == ' ' || *p == ',') {
            p++;
        }
        n = strcspn(p, ", ");
        if (n == 0 || n >= sizeof(name)) {
            p += n;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            name[i] = (char) (p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
        }
        name[n] = '\0';
        const char *v = vary_value(r, name);
        k = bn_psprintf(r->pool, "%s%s:%s\n", k, name, v ? v : "");
        p += n;
    }
    if (k != NULL) {
        bn_cache_key(k, strlen(k), r->cache.key);
    }
}

/* Finds r's entry; a Vary marker at r's key turns the key to the variant
 * that the request headers the marker names select. */
static bool
find_entry(bn_request_t *r, bn_cache_meta_t *m)
{
    bn_cache_zone_t *z = r->route->cache.zone->zone;
    bool found = bn_cache_lookup(z, r->cache.key, m);

    if (found && m->status == 0) {
        found = false;
        if (open_stored(r, m) == BN_OK) {
            char *vary = stored_header(r, r->cache.lines, "vary");
            close(r->cache.fd);
            r->cache.fd = -1;
            if (vary != NULL) {
                r->cache.vary = vary;
                variant_key(r);
                found = bn_cache_lookup(z, r->cache.key, m) && m->status != 0;
            }
        }
    }
    return found;
}

/* Asks the upstream whether the stale entry still holds (RFC 9111 4.3.1),
 * with its validators, unless the client brought conditions of its own. */
static void
add_validators(bn_request_t *r)
{
    const char *etag = stored_header(r, r->cache.lines, "etag");
    const char *lm = stored_header(r, r->cache.lines, "last-modified");
    char *v;

    if (bn_http_header(r, "if-none-match") != NULL || bn_http_header(r, "if-modified-since") != NULL
        || (etag == NULL && lm == NULL)) {
        return;
    }
    v = bn_psprintf(r->pool, "%s%s%s%s%s%s%s", r->req_header_lines, etag ? "If-None-Match: " : "",
                    etag ? etag : "", etag ? "\r\n" : "", lm ? "If-Modified-Since: " : "",
                    lm ? lm : "", lm ? "\r\n" : "");
    if (v == NULL) {
        return;
    }
    r->req_header_lines = v;
    if (bn_http_build_upstream_head(r) == BN_OK) {
        r->out_len = bn_buf_len(&r->out);
        r->cache.revalidating = true;
    }
}

/*
 * A GET that goes upstream may fill its entry, and bouncer stores complete
 * responses only (RFC 9111 3.3, 3.4 would have it combine parts): the
 * upstream is asked for the whole, without the client's Range and
 * If-Range (made once the memory tier has not answered, before the lookup
 * decides whether the request goes upstream).  The client that fills gets
 * that whole 200 (RFC 9110 14.2 lets a server ignore Range; cutting a body
 * that streams into the entry would cost a second framing of it), the
 * later ones their range of the entry.  Should the head fail to be made
 * again, the old one (with Range) goes: a 206 is passed on, never stored.
 */
static void
ask_for_whole(bn_request_t *r)
{
    if (credentialed(r)) {
        /* Its answer is rarely one to store (3.5): the client's range is
         * asked for as it is, rather than the whole for nobody. */
        return;
    }
    if ((bn_http_header(r, "range") != NULL || bn_http_header(r, "if-range") != NULL)
        && bn_request_drop_header(r, "range", 5) == BN_OK
        && bn_request_drop_header(r, "if-range", 8) == BN_OK
        && bn_http_build_upstream_head(r) == BN_OK) {
        r->out_len = bn_buf_len(&r->out);
    }
}

int
bn_cache_request_key(bn_request_t *r, bool *no_cache, const char **why)
{
    const bn_conf_cache_t *cc = &r->route->cache;
    const char *rcc = bn_http_header(r, "cache-control");
    const char *pragma = bn_http_header(r, "pragma");
    const char *dummy;
    char *key = bn_var_expand(r, &cc->key);

    why = why != NULL ? why : &dummy;
    *no_cache = false;
    if (key == NULL) {
        *why = "out of memory for the key";
        return BN_DECLINED;
    }
    r->cache.key_text = key;
    bn_cache_key(key, strlen(key), r->cache.key);
    if (strcmp(r->method, "GET") != 0 && !r->head_method) {
        *why = "the method is not GET or HEAD (an unsafe one invalidates the key once answered)";
        return BN_DECLINED;
    }
    bn_cache_control_init(&r->cache.req_cc);
    if (rcc != NULL) {
        bn_cache_control_parse(&r->cache.req_cc, rcc, strlen(rcc));
    }
    if (r->cache.req_cc.no_store) {
        *why = "the request's Cache-Control has no-store";
        return BN_DECLINED;
    }
    *no_cache = r->cache.req_cc.no_cache;
    if (rcc == NULL && pragma != NULL) {
        /* Pragma: no-cache counts only without Cache-Control (RFC 9111
         * 5.4); its list has Cache-Control's grammar. */
        bn_cache_control_t p;
        bn_cache_control_init(&p);
        bn_cache_control_parse(&p, pragma, strlen(pragma));
        *no_cache = p.no_cache;
    }
    *why = r->head_method ? "a HEAD is answered from a stored GET, never stored" : NULL;
    return BN_OK;
}

/*
 * Whether stored entry m may answer r without the origin (RFC 9111 4.2,
 * 5.2.1): fresh, and as fresh as the request's max-age and min-fresh ask;
 * or, with stale, stale by no more than its max-stale allows, and never
 * an entry that said no-cache, must-revalidate or proxy-revalidate.
 */
static bool
usable(bn_request_t *r, const bn_cache_meta_t *m, bool stale)
{
    const bn_cache_control_t *rq = &r->cache.req_cc;
    int64_t now = (int64_t) bn_current_sec, left = m->expires - now;

    if (m->flags & BN_CACHE_F_NO_CACHE) {
        return false;
    }
    if (rq->max_age != BN_CC_ABSENT && current_age(m) > rq->max_age) {
        return false;
    }
    if (!stale) {
        return left > 0 && (rq->min_fresh == BN_CC_ABSENT || left >= rq->min_fresh);
    }
    return left <= 0 && rq->max_stale != BN_CC_ABSENT && !(m->flags & BN_CACHE_F_NO_STALE)
           && -left <= rq->max_stale;
}

/* only-if-cached and nothing usable stored: 504 (RFC 9111 5.2.1.7),
 * which bn_cache_phase() sends; the origin is not asked. */
static int
gateway_timeout(bn_request_t *r)
{
    if (r->cache.fd != -1) {
        close(r->cache.fd);
        r->cache.fd = -1;
    }
    r->cache.lookup = false;
    r->cache_status = "MISS";
    return 504;
}

static int
request_lookup(bn_request_t *r)
{
    bn_cache_meta_t m;
    bool get = strcmp(r->method, "GET") == 0, found, no_cache;

    r->cache.fd = -1;
    r->cache_status = "BYPASS";
    if (!r->req_pipe.in_done || bn_worker_quitting
        || r->client->nrequests >= bn_heritage.conf->limits.keepalive_requests) {
        r->keepalive = false; /* as for any response bouncer makes itself */
    }
    if (bn_cache_request_key(r, &no_cache, NULL) != BN_OK) {
        return BN_DECLINED;
    }
    r->cache.lookup = get; /* a HEAD is answered from a stored GET, never stored */
    memcpy(r->cache.base, r->cache.key, sizeof(r->cache.base));
    found = find_entry(r, &m);
    if (found && !no_cache && usable(r, &m, false) && serve_hot(r, &m) == BN_DONE) {
        return BN_DONE;
    }
    if (get) {
        ask_for_whole(r);
    }
    if (!found || open_stored(r, &m) != BN_OK) {
        if (r->cache.req_cc.only_if_cached) {
            return gateway_timeout(r);
        }
        r->cache_status = "MISS";
        return fill_or_wait(r);
    }
    if (no_cache) {
        /* The client insists on the origin's word: revalidate. */
        r->cache_status = "EXPIRED";
        add_validators(r);
        return BN_DECLINED;
    }
    if (usable(r, &m, false)) {
        promote(r);
        if (serve_stored(r, "HIT") == BN_DONE) {
            return BN_DONE;
        }
        return BN_DECLINED;
    }
    if (usable(r, &m, true)) {
        /* Stale, within what the client's max-stale accepts. */
        return serve_stored(r, "STALE") == BN_DONE ? BN_DONE : BN_DECLINED;
    }
    if (r->cache.req_cc.only_if_cached) {
        return gateway_timeout(r);
    }
    r->cache_status = "EXPIRED";
    return fill_or_wait(r);
}

/* ---- the waiting list (cache.lock) --------------------------------------------------- */

/*
 * Requests waiting for another's fill of a key, in this worker, one list per
 * zone.  The filler, in whichever worker, writes the zone's eventfd when it
 * unlocks a key someone waited for (bn_cache_finish(), after the entry is in
 * the index); every worker's epoll sees the edge and its waiters on that zone
 * look again: a HIT, or one of them takes the lock and fills.  The eventfd
 * does not say which key: a waiter on another key finds its key still locked
 * and waits on (a wake too many costs a lookup).  Its own timer is only the
 * deadline (lock_timeout); then it goes upstream without the lock, as before.
 */
typedef struct {
    bn_io_t io;        /* the zone's wake eventfd */
    bn_list_t waiting; /* requests, through their cache.wait link, oldest first */
    uint64_t round; /* wakes so far */
} waiters_t;

static waiters_t *waiters;
static bn_conf_t *waiters_conf;

static waiters_t *
waiters_of(bn_request_t *r)
{
    return &waiters[r->route->cache.zone - waiters_conf->cache_zones];
}

static void
wait_append(bn_request_t *r)
{
    waiters_t *w = waiters_of(r);

    r->cache.waiting = true;
    r->cache.wait_round = w->round;
    bn_list_insert_tail(&w->waiting, &r->cache.wait);
}

static void
wait_unlink(bn_request_t *r)
{
    bn_list_remove(&r->cache.wait);
    r->cache.waiting = false;
}

/* Takes r's fill lock, noting which key it is (its cache.key may turn to a
 * variant's once the response names a Vary). */
static bool
take_lock(bn_request_t *r)
{
    const bn_conf_cache_t *cc = &r->route->cache;

    if (!bn_cache_lock(cc->zone->zone, r->cache.key, bn_current_msec, cc->lock_timeout,
                       &r->cache.lock_token)) {
        return false;
    }
    memcpy(r->cache.lock_key, r->cache.key, sizeof(r->cache.lock_key));
    return true;
}

static void
give_up_lock(bn_request_t *r)
{
    static const uint64_t one = 1;
    bn_cache_zone_t *z = r->route->cache.zone->zone;

    r->cache.locked = false;
    if (bn_cache_unlock(z, r->cache.lock_key, r->cache.lock_token)
        && write(bn_cache_zone_wake_fd(z), &one, sizeof(one)) == -1) {
        /* Only at 2^64 writes: lock_timeout still bounds every wait. */
    }
}

/*
 * r waited for another's fill of its key, which is over (or lock_timeout
 * passed): it looks again.  Stored meanwhile: a HIT.  Else it takes the lock
 * and fills, or waits on if another request took it first; past its
 * deadline it goes upstream without the lock.
 */
static void
look_again(bn_request_t *r)
{
    bn_cache_meta_t m;
    /* A waiter with a stale entry in hand (for its validators) has its key
     * settled: a Vary marker stored meanwhile is no answer for it. */
    bool found = r->cache.fd == -1 ? find_entry(r, &m)
                                   : bn_cache_lookup(r->route->cache.zone->zone, r->cache.key, &m)
                                         && m.status != 0;

    if (found && usable(r, &m, false)) {
        if (r->cache.fd != -1) {
            close(r->cache.fd);
            r->cache.fd = -1;
        }
        if (open_stored(r, &m) == BN_OK && serve_stored(r, "HIT") == BN_DONE) {
            bn_timer_del(&r->up_timer);
            r->ops->run(r);
            return;
        }
    }
    if (bn_current_msec < r->cache.wait_until && !take_lock(r)) {
        wait_append(r);
        return;
    }
    /* The filler is done without storing anything, or lock_timeout passed:
     * this request goes upstream itself (as the new filler, if it got the
     * lock just now). */
    bn_timer_del(&r->up_timer);
    r->cache.locked = bn_current_msec < r->cache.wait_until;
    if (r->cache.fd != -1) {
        add_validators(r);
    }
    r->state = BN_REQ_CONNECTING;
    r->upstream_start_msec = bn_current_msec;
    bn_upstream_connect(r);
}

static void
wait_timed_out(bn_timer_t *t)
{
    bn_request_t *r = t->data;

    wait_unlink(r);
    r->cache.wait_until = bn_current_msec; /* over, whatever the clock's rounding */
    look_again(r);
}

/* A fill in some worker is over: this worker's waiters on the zone look
 * again, each once (one that waits on joins the next round). */
static void
wake_event(bn_io_t *io, uint32_t events)
{
    waiters_t *w = (waiters_t *) io;
    uint64_t round = ++w->round;
    bn_list_t *first;
    bn_request_t *r;

    while ((first = bn_list_head(&w->waiting)) != NULL
           && (r = bn_list_data(first, bn_request_t, cache.wait))->cache.wait_round != round) {
        wait_unlink(r);
        look_again(r);
    }
}

static int refresh_head(bn_request_t *r);

int
bn_cache_init(bn_conf_t *conf)
{
    bn_cache_refresh_hooks(refresh_head, bn_cache_finish);
    waiters_conf = conf;
    waiters = calloc(conf->ncache_zones + 1, sizeof(waiters_t));
    if (waiters == NULL) {
        return BN_ERROR;
    }
    for (size_t i = 0; i < conf->ncache_zones; i++) {
        bn_list_init(&waiters[i].waiting);
        waiters[i].io.fd = bn_cache_zone_wake_fd(conf->cache_zones[i].zone);
        waiters[i].io.handler = wake_event;
        if (bn_event_add(&waiters[i].io) != BN_OK) {
            return BN_ERROR;
        }
    }
    return BN_OK;
}

/* The request headers that are the client's own business, not a refresh's:
 * its conditions (the refresh sends the entry's validators instead) and
 * ranges (the refresh fetches the whole). */
static const char *const client_only[] = {
    "if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range",
};

/*
 * Hands the refresh of r's stale entry to a background request
 * (cache_refresh.c), which takes r's fill lock; r is then answered from the
 * entry at once.  The refresh's upstream head is made here, in r's context
 * (its client's address and scheme), from r's headers without the client's
 * conditions, with the entry's validators.  r's own head is left as it
 * was: its conditions still judge the stale entry it gets.  BN_OK, or
 * BN_ERROR when no refresh started.
 */
static int
refresh_in_background(bn_request_t *r)
{
    bn_http_head_t saved = r->head;
    char *saved_lines = r->req_header_lines;
    bn_buf_t saved_out = r->out;
    size_t saved_out_len = r->out_len;
    bn_http_header_t *kept = bn_palloc(r->pool, sizeof(*kept) * (r->head.nheaders + 1));
    const char *buf = r->client->in.start;
    unsigned n = 0;
    int rc = BN_ERROR;

    if (kept == NULL) {
        return BN_ERROR;
    }
    r->head.host = -1;
    r->head.upgrade = -1;
    for (unsigned i = 0; i < saved.nheaders; i++) {
        const bn_http_header_t *h = &saved.headers[i];
        bool drop = false;
        for (size_t k = 0; k < BN_NELEMS(client_only); k++) {
            drop |=
                bn_strncaseeq(buf + h->name, h->name_len, client_only[k], strlen(client_only[k]));
        }
        if (drop) {
            continue;
        }
        if ((int) i == saved.host) {
            r->head.host = (int) n;
        }
        kept[n++] = *h;
    }
    r->head.headers = kept;
    r->head.nheaders = n;
    r->cache.revalidating = false;
    add_validators(r);
    if (r->cache.revalidating || bn_http_build_upstream_head(r) == BN_OK) {
        r->out_len = bn_buf_len(&r->out);
        rc = bn_cache_refresh_start(r);
    }
    r->head = saved;
    r->req_header_lines = saved_lines;
    r->out = saved_out;
    r->out_len = saved_out_len;
    r->cache.revalidating = false;
    return rc;
}

/*
 * A miss or a stale entry: with `lock`, one request fills the key and the
 * others wait for it; with use_stale updating (or the response's own
 * stale-while-revalidate), no request waits: the one that takes the lock
 * gets the stale entry too (STALE) and a background request refreshes it,
 * the others get the stale entry meanwhile (UPDATING).
 * BN_DECLINED: go upstream; BN_DONE: answered; BN_AGAIN: waiting.
 */
static int
fill_or_wait(bn_request_t *r)
{
    const bn_conf_cache_t *cc = &r->route->cache;
    bool stale = r->cache.fd != -1;
    bool updating = stale && stale_allowed(r, BN_STALE_UPDATING, true);

    if ((!cc->lock && !updating) || !r->cache.lookup) {
        if (stale) {
            add_validators(r);
        }
        return BN_DECLINED;
    }
    if (take_lock(r)) {
        /* A request with a body of its own (a GET may have one) is not
         * copied into a refresh: it goes upstream itself, as before. */
        if (updating && r->req_pipe.in_mode == BN_BODY_NONE && refresh_in_background(r) == BN_OK) {
            if (serve_stored(r, "STALE") == BN_DONE) {
                return BN_DONE;
            }
            /* The refresh has the lock; this request goes on without it. */
            add_validators(r);
            return BN_DECLINED;
        }
        r->cache.locked = true;
        if (stale) {
            add_validators(r);
        }
        return BN_DECLINED;
    }
    if (updating && serve_stored(r, "UPDATING") == BN_DONE) {
        return BN_DONE;
    }
    if (!cc->lock) {
        if (stale) {
            add_validators(r);
        }
        return BN_DECLINED;
    }
    r->cache.wait_until = bn_current_msec + cc->lock_timeout;
    r->up_timer.handler = wait_timed_out;
    bn_timer_set(&r->up_timer, cc->lock_timeout);
    wait_append(r);
    return BN_AGAIN;
}

static int64_t freshness(bn_request_t *r);
static const char *response_header(bn_request_t *r, const char *name);
static void response_directives(bn_request_t *r, bn_cache_control_t *d);
static bool status_listed(const bn_conf_cache_t *cc, int status, uint64_t *ttl);

/* What a 304 may not change of a stored response (RFC 9111 3.2): its
 * Content-Length describes the stored body, not the 304's; Content-Range is
 * left too, as 3.2 allows. */
static bool
kept_from_304(const char *name, size_t nl)
{
    return bn_strncaseeq(name, nl, "content-length", 14)
           || bn_strncaseeq(name, nl, "content-range", 13);
}

/* Whether header lines (Name: value CRLF ...) have a line named name. */
static bool
lines_have(const char *lines, size_t len, const char *name, size_t nl)
{
    for (const char *p = lines, *end = lines + len; p < end;) {
        const char *eol = memchr(p, '\n', (size_t) (end - p));
        if (eol == NULL) {
            break;
        }
        if ((size_t) (eol - p) > nl && p[nl] == ':' && bn_strncaseeq(p, nl, name, nl)) {
            return true;
        }
        p = eol + 1;
    }
    return false;
}

/*
 * RFC 9111 3.2, 4.3.4: the stored response's header lines as the 304 to
 * its revalidation updates them: each field the 304 carries (as it would
 * be stored: no hop-by-hop ones) replaces the stored lines of that name,
 * new ones are added, the rest stay.  In r's pool, or NULL (no memory, or
 * too long a head to keep).
 */
static char *
updated_lines(bn_request_t *r, size_t *len)
{
    char *m = bn_palloc(r->pool, MAX_STORED_HEAD), *out;
    const char *stored = r->cache.lines, *end = stored + r->cache.lines_len;
    bn_buf_t fresh;
    size_t o = 0;

    if (m == NULL) {
        return NULL;
    }
    bn_buf_init(&fresh, m, MAX_STORED_HEAD);
    if (bn_http_cacheable_lines(r, &fresh) != BN_OK
        || (out = bn_palloc(r->pool, r->cache.lines_len + bn_buf_len(&fresh) + 1)) == NULL) {
        return NULL;
    }
    for (int pass = 0; pass < 2; pass++) {
        const char *p = pass == 0 ? stored : fresh.pos, *e = pass == 0 ? end : fresh.last;
        while (p < e) {
            const char *eol = memchr(p, '\n', (size_t) (e - p));
            const char *colon = memchr(p, ':', (size_t) (e - p));
            size_t nl;
            if (eol == NULL || colon == NULL || colon > eol) {
                break;
            }
            nl = (size_t) (colon - p);
            /* Stored lines the 304 replaces go; its own, but the kept ones, come. */
            if (pass == 0 ? kept_from_304(p, nl) || !lines_have(fresh.pos, bn_buf_len(&fresh), p, nl)
                          : !kept_from_304(p, nl)) {
                memcpy(out + o, p, (size_t) (eol - p + 1));
                o += (size_t) (eol - p + 1);
            }
            p = eol + 1;
        }
    }
    if (o > MAX_STORED_HEAD) {
        return NULL;
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* Bodies up to this are copied into an entry rewritten with the header
 * lines a 304 updated; a longer one keeps its stored lines (only its
 * freshness is renewed) rather than hold a worker for the copy. */
#define REWRITE_MAX (1024 * 1024)

/*
 * The stored file again, with new header lines and the same body: written
 * beside it and renamed over it, as a fill is.  r->cache then serves the
 * new file.  BN_OK, or BN_ERROR (the old file stays).
 */
static int
rewrite_entry(bn_request_t *r, const char *lines, size_t len, bn_cache_meta_t *m)
{
    const bn_conf_cache_t *cc = &r->route->cache;
    char file[PATH_MAX], *tmp;
    off_t in = (off_t) r->cache.body_at, out = (off_t) (META_LEN + len);
    uint64_t left = r->cache.body_len;
    struct stat sb;
    int fd;

    if (r->cache.body_len > REWRITE_MAX || (r->cache.body == NULL && r->cache.fd == -1)) {
        return BN_ERROR;
    }
    tmp = tmp_path(r);
    if (tmp == NULL || (fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
        return BN_ERROR;
    }
    if (bn_cache_meta_write(fd, m, len) != BN_OK
        || pwrite(fd, lines, len, META_LEN) != (ssize_t) len) {
        goto failed;
    }
    if (r->cache.body != NULL) {
        if (pwrite(fd, r->cache.body, left, out) != (ssize_t) left) {
            goto failed;
        }
    } else {
        while (left > 0) {
            ssize_t n = copy_file_range(r->cache.fd, &in, fd, &out, left, 0);
            if (n <= 0) {
                goto failed;
            }
            left -= (uint64_t) n;
        }
    }
    bn_cache_file(cc->zone->zone, r->cache.key, file, sizeof(file));
    if (fstat(fd, &sb) != 0 || rename(tmp, file) != 0) {
        goto failed;
    }
    m->size = (uint64_t) sb.st_size;
    if (r->cache.fd != -1) {
        close(r->cache.fd);
    }
    r->cache.fd = fd;
    r->cache.lines = (char *) lines;
    r->cache.lines_len = len;
    r->cache.body_at = META_LEN + len;
    open_file_forget(r->cache.key);
    return BN_OK;

failed:
    bn_cache_write_failed(cc->zone->zone, &r->client->log, errno, tmp);
    close(fd);
    unlink(tmp);
    return BN_ERROR;
}

/* Whether the file named for r's key is still the one r holds open: a fill
 * may have renamed a newer one over it since. */
static bool
still_stored(bn_request_t *r, int fd)
{
    struct stat named, held;

    return r->cache.fd != -1 && fstat(fd, &named) == 0 && fstat(r->cache.fd, &held) == 0
           && named.st_ino == held.st_ino && named.st_dev == held.st_dev;
}

/* A fresh lease for a stored entry the upstream said still holds (304):
 * the new expiry goes into the file's metadata line and the index, with
 * the header lines the 304 updated when they differ. */
static void
refresh(bn_request_t *r, int64_t ttl, const char *lines, size_t len)
{
    const bn_conf_cache_t *cc = &r->route->cache;
    char file[PATH_MAX];
    bn_cache_meta_t m = r->cache.meta;
    int fd;

    m.stored = (int64_t) bn_current_sec;
    m.expires = (int64_t) bn_current_sec + ttl;
    m.age = r->cache.age;
    m.flags = r->cache.flags;
    m.status = (uint16_t) r->cache.stored_status;
    if (len != r->cache.lines_len || memcmp(lines, r->cache.lines, len) != 0) {
        if (rewrite_entry(r, lines, len, &m) == BN_OK) {
            bn_cache_insert(cc->zone->zone, &m);
            r->cache.meta = m;
            return;
        }
        /* Too long a body to copy, or the disk failed: the file keeps its
         * lines, under the new lease (the 304 said its body holds); this
         * answer carries the updated ones all the same. */
    }
    bn_cache_file(cc->zone->zone, r->cache.key, file, sizeof(file));
    fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd == -1) {
        return;
    }
    if (still_stored(r, fd) && bn_cache_meta_write(fd, &m, r->cache.body_at - META_LEN) == BN_OK) {
        bn_cache_insert(cc->zone->zone, &m);
        r->cache.meta = m;
    }
    close(fd);
}

/*
 * RFC 9111 4.3.4: a 304 that names a strong entity-tag updates the stored
 * response with that tag only; one with a weak tag, or none, the one
 * stored (bouncer keeps one response per key and variant).
 */
static bool
selected_by_304(bn_request_t *r)
{
    const char *etag = bn_http_field(r->pool, &r->rhead, r->rbuf.start, "etag"), *stored;

    if (etag == NULL || strncmp(etag, "W/", 2) == 0) {
        return true;
    }
    stored = stored_header(r, r->cache.lines, "etag");
    return stored != NULL && strcmp(stored, etag) == 0;
}

/*
 * The upstream said r's stale entry still holds (a 304 to its
 * validators): the stored header fields take the 304's (RFC 9111 3.2), and
 * the freshness is judged again from them (4.3.4).  This request is
 * answered with the updated fields.  The entry gets a new lease from them
 * (none: it stays stale, to be validated again), unless they may not be
 * stored at all: a 304 that sets a cookie, or turns private or no-store,
 * is this client's alone, and the entry goes, lest the next client get
 * what the origin no longer lets be shared.  A 304 to a request with
 * credentials that does not itself say its fields may be shared (3.5)
 * leaves the entry as it was: what it carries may be that user's.
 */
static void
revalidated(bn_request_t *r)
{
    size_t len = 0;
    char *lines;
    int64_t ttl;
    bool shared = true;

    if (!selected_by_304(r)) {
        /* Not the response stored: nothing to update; it stays stale. */
        bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                     "upstream's 304 names another entity-tag than the cached response's");
        return;
    }
    if (credentialed(r)) {
        bn_cache_control_t d;
        response_directives(r, &d);
        shared = shared_despite_credentials(&d);
    }
    lines = updated_lines(r, &len);
    if (lines == NULL) {
        return; /* no memory, or too long a head: the entry stays stale */
    }
    if (shared) {
        r->cache.updated = lines;
        ttl = freshness(r);
        r->cache.updated = NULL;
        if (r->cache.refused) {
            bn_cache_remove(r->route->cache.zone->zone, r->cache.key);
        } else {
            refresh(r, BN_MAX(ttl, (int64_t) 0), lines, len);
        }
    }
    r->cache.lines = lines;
    r->cache.lines_len = len;
}

static int
refresh_head(bn_request_t *r)
{
    int status = r->rhead.status;

    if (status == 304 && r->cache.revalidating) {
        revalidated(r);
        return BN_DONE;
    }
    if (r->cache.fd != -1) {
        close(r->cache.fd); /* a new answer: the stale file is of no more use */
        r->cache.fd = -1;
    }
    if (status >= 500 || status == 206) {
        /* The clients go on with the stale entry, as stale-if-error would
         * have them do; a 5xx never replaces it from the background, nor
         * does a part of it (the refresh asked for the whole). */
        return BN_ERROR;
    }
    if (freshness(r) < 0) {
        /* The origin's answer may not be stored now: the stale entry goes
         * too, so that the next request gets the origin's word rather than
         * a copy it no longer stands by. */
        bn_cache_remove(r->route->cache.zone->zone, r->cache.key);
        return BN_DECLINED;
    }
    bn_cache_response(r);
    return r->cache.store ? BN_OK : BN_DECLINED;
}

int
bn_cache_upstream_head(bn_request_t *r)
{
    int status = r->rhead.status;

    if (r->cache.fd == -1 || r->cache.store) {
        return BN_OK;
    }
    if (status == 304 && r->cache.revalidating) {
        revalidated(r);
        bn_upstream_release(r, false);
        return serve_stored(r, "REVALIDATED");
    }
    if (status >= 500 && stale_allowed(r, BN_STALE_HTTP_5XX, false)) {
        bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                     "upstream answered %d: serving the stale cached response", status);
        bn_upstream_release(r, false);
        return serve_stored(r, "STALE");
    }
    /* A new answer: the stale file is of no more use to this request. */
    close(r->cache.fd);
    r->cache.fd = -1;
    return BN_OK;
}

bool
bn_cache_stale_on_failure(bn_request_t *r, int status)
{
    unsigned want = status == 504 ? BN_STALE_TIMEOUT : BN_STALE_ERROR;

    if (r->cache_status == NULL || r->cache.fd == -1 || r->cache.store || r->resp_started
        || !stale_allowed(r, want, false)) {
        return false;
    }
    bn_upstream_release(r, false);
    return serve_stored(r, "STALE") == BN_DONE;
}

/*
 * bn_cache_send() for a hit the route compresses (the entry is stored as
 * the upstream sent it, and coded for each client that accepts a coding):
 * the head, then the body through the encoder, read from memory, or from
 * the file into rout (the page cache, as for TLS) once the head is out.
 */
static int
send_coded(bn_request_t *r)
{
    bn_client_t *c = r->client;
    struct iovec iov[3];
    int progress = 0, niov;
    ssize_t n;

    for (;;) {
        if (bn_buf_len(&r->rout) > 0) {
            n = bn_conn_send_buf(&c->conn, &r->rout, 0);
            if (n == BN_ERROR) {
                return BN_ERROR;
            }
            r->bytes_sent += (uint64_t) n;
            if (bn_buf_len(&r->rout) > 0) {
                return progress;
            }
            progress = 1;
        }
        /* A stalled client meets send_timeout (set_timers() in http.c). */
        r->resp_pipe.need_write = false;
        if (r->cache.zin_len == 0 && r->cache.left > 0) {
            if (r->cache.body != NULL) {
                r->cache.zin = r->cache.body + r->cache.off;
                n = (ssize_t) r->cache.left;
            } else {
                n = pread(r->cache.fd, r->rout.start,
                          (size_t) BN_MIN(r->cache.left, (uint64_t) (r->rout.end - r->rout.start)),
                          (off_t) r->cache.off);
                if (n <= 0) {
                    bn_log_error(BN_LOG_ERR, &c->log, n == 0 ? 0 : errno,
                                 "reading a cached body failed");
                    return BN_ERROR;
                }
                r->cache.zin = r->rout.start;
            }
            r->cache.zin_len = (size_t) n;
            r->cache.off += (uint64_t) n;
            r->cache.left -= (uint64_t) n;
        }
        if (bn_compress_next(r->compress, &r->cache.zin, &r->cache.zin_len, r->cache.left == 0,
                             r->version == 11, iov, &niov)
            != BN_OK) {
            bn_log_error(BN_LOG_ERR, &c->log, 0, "compressing a cached body failed");
            errno = 0;
            return BN_ERROR;
        }
        if (niov == 0 && bn_compress_ended(r->compress)) {
            r->resp_pipe.done = true;
            return BN_DONE;
        }
        if (niov == 0) {
            continue; /* the encoder took it all: more of the body */
        }
        n = bn_conn_sendv(&c->conn, iov, niov, 0);
        if (n == BN_AGAIN) {
            r->resp_pipe.need_write = true;
            return progress;
        }
        if (n < 0) {
            return BN_ERROR;
        }
        r->bytes_sent += (uint64_t) n;
        bn_compress_wrote(r->compress, (size_t) n);
        progress = 1;
    }
}

int
bn_cache_send(bn_request_t *r)
{
    bn_client_t *c = r->client;
    int progress = 0;
    ssize_t n;

    if (r->compress != NULL) {
        return send_coded(r);
    }
    if (r->cache.body != NULL) {
        /* From memory: head and body in one write. */
        while (bn_buf_len(&r->rout) > 0 || r->cache.left > 0) {
            struct iovec iov[2] = {
                { .iov_base = r->rout.pos, .iov_len = bn_buf_len(&r->rout) },
                { .iov_base = (char *) r->cache.body + r->cache.off, .iov_len = r->cache.left },
            };
            size_t head = iov[0].iov_len;
            /* The whole response: the FIN of a closing connection may follow
             * in its segment. */
            n = bn_conn_sendv(&c->conn, head > 0 ? iov : iov + 1, head > 0 ? 2 : 1,
                              r->keepalive ? 0 : MSG_MORE);
            if (n == BN_AGAIN) {
                return progress;
            }
            if (n < 0) {
                return BN_ERROR;
            }
            r->bytes_sent += (uint64_t) n;
            r->rout.pos += BN_MIN((size_t) n, head);
            n -= (ssize_t) BN_MIN((size_t) n, head);
            r->cache.off += (uint64_t) n;
            r->cache.left -= (uint64_t) n;
            progress = 1;
        }
        r->rout.pos = r->rout.last = r->rout.start;
        r->resp_pipe.done = true;
        return BN_DONE;
    }
    for (;;) {
        if (bn_buf_len(&r->rout) > 0) {
            /* Over plain TCP the head waits for sendfile()'s first pages and
             * leaves in their segment: on its own it would cost the client
             * a wakeup and an ACK per response. */
            int more = bn_conn_plain(&c->conn) && r->cache.left > 0 ? MSG_MORE : 0;
            n = bn_conn_send_buf(&c->conn, &r->rout, more);
            if (n == BN_ERROR) {
                return BN_ERROR;
            }
            r->bytes_sent += (uint64_t) n;
            if (bn_buf_len(&r->rout) > 0) {
                return progress;
            }
            progress = 1;
        }
        if (r->cache.left == 0) {
            r->resp_pipe.done = true;
            return BN_DONE;
        }
        if (bn_conn_plain(&c->conn)) {
            /* Plain TCP: the kernel copies from the page cache to the
             * socket, no pass through our memory. */
            off_t off = (off_t) r->cache.off;
            if (!c->conn.writable) {
                return progress;
            }
            n = sendfile(c->conn.io.fd, r->cache.fd, &off, (size_t) BN_MIN(r->cache.left, 1 << 20));
            if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
                c->conn.writable = errno == EINTR;
                if (errno == EAGAIN) {
                    return progress;
                }
                continue;
            }
            if (n <= 0) {
                return BN_ERROR;
            }
            r->cache.off += (uint64_t) n;
            r->cache.left -= (uint64_t) n;
            r->bytes_sent += (uint64_t) n;
            c->conn.unpushed = false; /* sendfile() pushes its last page */
            progress = 1;
            continue;
        }
        /* TLS: the next piece of body into rout (now empty), to encrypt. */
        n = pread(r->cache.fd, r->rout.start,
                  (size_t) BN_MIN(r->cache.left, (uint64_t) (r->rout.end - r->rout.start)),
                  (off_t) r->cache.off);
        if (n <= 0) {
            bn_log_error(BN_LOG_ERR, &c->log, n == 0 ? 0 : errno, "reading a cached body failed");
            return BN_ERROR;
        }
        r->rout.pos = r->rout.start;
        r->rout.last = r->rout.start + n;
        r->cache.off += (uint64_t) n;
        r->cache.left -= (uint64_t) n;
    }
}

static int
purge(bn_request_t *r)
{
    const bn_conf_cache_t *cc = &r->route->cache;
    char *key;

    r->cache_status = "BYPASS";
    r->cache.done = true;
    r->cache.fd = -1;
    if (!bn_cidr_list_match(cc->purge_allow, cc->npurge_allow, &r->client->peer.sa)) {
        bn_log_error(BN_LOG_INFO, &r->client->log, 0, "PURGE from a network not in purge_allow");
        return 403;
    }
    key = bn_var_expand(r, &cc->key);
    if (key == NULL) {
        return 500;
    }
    bn_cache_key(key, strlen(key), r->cache.key);
    if (!bn_cache_remove(cc->zone->zone, r->cache.key)) {
        return 404;
    }
    bn_log_error(BN_LOG_INFO, &r->client->log, 0, "purged \"%s\" from cache zone \"%s\"", key,
                 cc->zone->name);
    return 200;
}

/* ---- response side ------------------------------------------------------------------- */

static bool
status_listed(const bn_conf_cache_t *cc, int status, uint64_t *ttl)
{
    for (size_t i = 0; i < cc->nvalid; i++) {
        for (size_t k = 0; k < cc->valid[i].nstatuses; k++) {
            if ((int) cc->valid[i].statuses[k] == status) {
                *ttl = cc->valid[i].ttl;
                return true;
            }
        }
    }
    return false;
}

/* A field of the response being judged: the upstream's, or, after a 304
 * to a revalidation, of the stored response it updated. */
static const char *
response_header(bn_request_t *r, const char *name)
{
    if (r->cache.updated != NULL) {
        return stored_header(r, r->cache.updated, name);
    }
    return bn_http_field(r->pool, &r->rhead, r->rbuf.start, name);
}

/* The directives of the response being judged, from the most specific
 * field the route reads (RFC 9213). */
static void
response_directives(bn_request_t *r, bn_cache_control_t *d)
{
    directives_of(d, r->route->cache.targeted, response_header(r, "bouncer-cache-control"),
                  response_header(r, "cdn-cache-control"), response_header(r, "cache-control"));
}

/* A date field of the upstream's response, or -1: absent or not a date. */
static int64_t
response_date(bn_request_t *r, const char *name)
{
    const char *v = response_header(r, name);
    int64_t t;

    return v != NULL && bn_http_date_parse(v, strlen(v), &t) ? t : -1;
}

/*
 * How long the upstream's response stays fresh from now (seconds), or -1:
 * it must not be stored.  RFC 9111 3 says what may be stored, 4.2.1 its
 * freshness lifetime (s-maxage, max-age, Expires less Date, then the
 * route's `valid`, then the heuristic of 4.2.2), 4.2.3 its age on arrival
 * (Age, Date and the time the request took), kept in r->cache.age; what
 * each use must do (no-cache, must-revalidate) in r->cache.flags.
 */
static int64_t
freshness(bn_request_t *r)
{
    const bn_conf_cache_t *cc = &r->route->cache;
    const char *vary = response_header(r, "vary");
    const char *expires = response_header(r, "expires");
    const char *age_field = r->cache.updated == NULL ? response_header(r, "age") : NULL;
    /* A 304 to a revalidation renews the stored response, of its status. */
    int status = r->cache.updated != NULL ? r->cache.stored_status : r->rhead.status;
    int64_t lifetime = BN_CC_ABSENT, now = (int64_t) bn_current_sec, date, age, request_time;
    uint64_t listed_ttl = 0;
    bool listed = status_listed(cc, status, &listed_ttl);
    bn_cache_control_t d;

    response_directives(r, &d);
    r->cache.flags = 0;
    r->cache.age = 0;
    r->cache.refused = true;
    if (d.no_store || d.private_) {
        return -1; /* RFC 9111 5.2.2.5, 5.2.2.7 (a qualified private too: the safe reading) */
    }
    if (response_header(r, "set-cookie") != NULL) {
        return -1; /* one user's cookie must never reach another */
    }
    if (vary != NULL && strchr(vary, '*') != NULL) {
        return -1;
    }
    if (status == 206 || status < 200 || (status == 304 && !r->cache.revalidating)) {
        return -1;
    }
    if (status >= 500 && !listed) {
        return -1; /* a 5xx is stored only when `valid` lists it */
    }
    if (credentialed(r) && !shared_despite_credentials(&d)) {
        return -1; /* RFC 9111 3.5 */
    }
    r->cache.refused = false;
    if (d.must_revalidate || d.proxy_revalidate || d.s_maxage != BN_CC_ABSENT) {
        /* 5.2.2.10: s-maxage implies proxy-revalidate for a shared cache. */
        r->cache.flags |= BN_CACHE_F_NO_STALE;
    }

    /* 4.2.3: the age it came with.  Date counts whole seconds: one from
     * the second before this one says nothing of age (else a max-age=1
     * sent at the end of a second would arrive stale). */
    date = response_date(r, "date");
    request_time = now - (int64_t) ((bn_current_msec - r->upstream_start_msec) / 1000);
    age = bn_cache_current_age(
        age_field != NULL ? BN_MAX(bn_http_age_parse(age_field, strlen(age_field)), (int64_t) 0) : 0,
        date >= 0 && now - date > 1 ? date : now, request_time, now, now);
    r->cache.age = (uint32_t) BN_MIN(age, (int64_t) UINT32_MAX);

    /* 4.2.1: the lifetime the origin gave, or the operator's, or 4.2.2's. */
    lifetime = d.s_maxage != BN_CC_ABSENT ? d.s_maxage : d.max_age;
    if (lifetime == BN_CC_ABSENT && d.bad_lifetime) {
        lifetime = 0; /* a max-age that is no number: stale, not Expires' */
    }
    if (lifetime == BN_CC_ABSENT && expires != NULL) {
        int64_t e;
        /* An Expires that is not a date (or is several) means "already
         * expired" (5.3). */
        lifetime = bn_http_date_parse(expires, strlen(expires), &e)
                       ? BN_MAX(e - (date >= 0 ? date : now), (int64_t) 0)
                       : 0;
    }
    if (lifetime == BN_CC_ABSENT && listed) {
        lifetime = (int64_t) (listed_ttl / 1000);
    }
    if (lifetime == BN_CC_ABSENT && cc->heuristic_max > 0
        && (bn_cache_heuristic_status(status) || (status == 501 && listed))) {
        int64_t lm = response_date(r, "last-modified");
        if (lm >= 0) {
            lifetime = bn_cache_heuristic_lifetime(date >= 0 ? date : now, lm,
                                                   (int64_t) (cc->heuristic_max / 1000));
        }
    }
    if (d.no_cache) {
        /* 5.2.2.4: stored, and validated before each use; worth keeping
         * only with a validator to send. */
        if (response_header(r, "etag") == NULL && response_header(r, "last-modified") == NULL) {
            return -1;
        }
        r->cache.flags |= BN_CACHE_F_NO_CACHE;
        return BN_MAX(lifetime - age, (int64_t) 0);
    }
    return lifetime - age > 0 ? lifetime - age : -1;
}

/* The marker under the route's own key: this resource varies on these
 * request headers (status 0, no body). */
static int
write_marker(bn_request_t *r, const char *vary, int64_t ttl)
{
    const bn_conf_cache_t *cc = &r->route->cache;
    char *tmp, file[PATH_MAX], *line = bn_psprintf(r->pool, "Vary: %s\r\n", vary);
    bn_cache_meta_t m = { .stored = (int64_t) bn_current_sec,
                          .expires = (int64_t) bn_current_sec + ttl };
    int fd;

    tmp = tmp_path(r);
    if (tmp == NULL || line == NULL) {
        return BN_ERROR;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        return BN_ERROR;
    }
    if (bn_cache_meta_write(fd, &m, strlen(line)) != BN_OK
        || pwrite(fd, line, strlen(line), META_LEN) != (ssize_t) strlen(line)) {
        close(fd);
        unlink(tmp);
        return BN_ERROR;
    }
    close(fd);
    memcpy(m.key, r->cache.base, sizeof(m.key));
    m.size = META_LEN + strlen(line);
    bn_cache_file(cc->zone->zone, m.key, file, sizeof(file));
    *strrchr(file, '/') = '\0';
    mkdir(file, 0700);
    bn_cache_file(cc->zone->zone, m.key, file, sizeof(file));
    if (rename(tmp, file) != 0) {
        unlink(tmp);
        return BN_ERROR;
    }
    bn_cache_insert(cc->zone->zone, &m);
    return BN_OK;
}

void
bn_cache_response(bn_request_t *r)
{
    const bn_conf_cache_t *cc = &r->route->cache;
    char dir[PATH_MAX];
    const char *vary;
    bn_cache_meta_t meta = { 0 };
    bn_buf_t lines;
    char *m;
    int64_t ttl;
    int fd;

    if (!r->cache.lookup || r->cache.fd != -1 || r->rhead.status == 304) {
        return;
    }
    ttl = freshness(r);
    if (ttl < 0) {
        return;
    }
    m = bn_palloc(r->pool, MAX_STORED_HEAD);
    if (m == NULL) {
        return;
    }
    bn_buf_init(&lines, m, MAX_STORED_HEAD);
    if (bn_http_cacheable_lines(r, &lines) != BN_OK) {
        return; /* too big a head to keep */
    }
    vary = response_header(r, "vary");
    if (vary != NULL) {
        r->cache.vary = vary;
        variant_key(r);
        if (write_marker(r, vary, ttl) != BN_OK) {
            return;
        }
    }
    r->cache.tmp = tmp_path(r);
    if (r->cache.tmp == NULL) {
        return;
    }
    fd = open(r->cache.tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        bn_log_error(BN_LOG_ERR, &r->client->log, errno, "cannot create \"%s\"", r->cache.tmp);
        return;
    }
    r->cache.expires = (int64_t) bn_current_sec + ttl;
    meta.stored = (int64_t) bn_current_sec;
    meta.expires = r->cache.expires;
    meta.status = (uint16_t) r->rhead.status;
    meta.age = r->cache.age;
    meta.flags = r->cache.flags;
    if (bn_cache_meta_write(fd, &meta, bn_buf_len(&lines)) != BN_OK
        || pwrite(fd, lines.pos, bn_buf_len(&lines), META_LEN) != (ssize_t) bn_buf_len(&lines)
        || lseek(fd, (off_t) (META_LEN + bn_buf_len(&lines)), SEEK_SET) == -1) {
        bn_cache_write_failed(cc->zone->zone, &r->client->log, errno, r->cache.tmp);
        close(fd);
        unlink(r->cache.tmp);
        return;
    }
    bn_cache_file(cc->zone->zone, r->cache.key, dir, sizeof(dir));
    *strrchr(dir, '/') = '\0';
    mkdir(dir, 0700); /* the two-digit folder, made on first use */
    r->cache.fd = fd;
    r->cache.store = true;
    r->resp_pipe.tee_fd = fd;
}

/* The entry r stored or served is done with. */
static void
finish_entry(bn_request_t *r, bool complete)
{
    const bn_conf_cache_t *cc = &r->route->cache;
    char file[PATH_MAX];
    struct stat sb;

    if (r->cache.fd == -1) {
        if (complete && r->status >= 200 && r->status < 400 && !bn_http_method_safe(r->method)) {
            /* An unsafe method succeeded: what was stored is stale now
             * (RFC 9111 4.4).  A safe one (OPTIONS, TRACE) changes nothing. */
            bn_cache_remove(cc->zone->zone, r->cache.key);
        }
        return;
    }
    if (!r->cache.store) {
        close(r->cache.fd); /* a hit being served */
        r->cache.fd = -1;
        return;
    }
    r->cache.store = false;
    r->resp_pipe.tee_fd = -1;
    if (r->resp_pipe.tee_failed) {
        bn_cache_write_failed(cc->zone->zone, &r->client->log, r->resp_pipe.tee_errno,
                              r->cache.tmp);
    }
    complete = complete && !r->resp_pipe.tee_failed && r->resp_pipe.in_done;
    if (complete && fstat(r->cache.fd, &sb) == 0) {
        bn_cache_meta_t m = { .stored = (int64_t) bn_current_sec,
                              .expires = r->cache.expires,
                              .size = (uint64_t) sb.st_size,
                              .age = r->cache.age,
                              .status = (uint16_t) r->rhead.status,
                              .flags = r->cache.flags };
        memcpy(m.key, r->cache.key, sizeof(m.key));
        bn_cache_file(cc->zone->zone, r->cache.key, file, sizeof(file));
        close(r->cache.fd);
        r->cache.fd = -1;
        /* Whole, then visible: a reader opens the old file or the new one. */
        if (rename(r->cache.tmp, file) == 0) {
            bn_cache_insert(cc->zone->zone, &m);
            return;
        }
        bn_log_error(BN_LOG_ERR, &r->client->log, errno, "cannot rename \"%s\"", r->cache.tmp);
    } else {
        close(r->cache.fd);
        r->cache.fd = -1;
    }
    unlink(r->cache.tmp);
}

void
bn_cache_finish(bn_request_t *r, bool complete)
{
    if (r->cache.waiting) {
        /* Answered or gone while waiting (its client left, the worker quits). */
        wait_unlink(r);
        bn_timer_del(&r->up_timer);
    }
    if (r->cache.done) {
        return;
    }
    r->cache.done = true;
    finish_entry(r, complete);
    if (r->cache.locked) {
        /* After the insert: a waiter woken now finds the entry. */
        give_up_lock(r);
    }
}

/*
 * The CACHE phase: PURGE is answered here, and a lookup either answers the
 * request (a hit, BN_DONE), hands it on to the upstream, or parks it while
 * another request fills the key (it goes on by itself then).
 */
int
bn_cache_phase(bn_request_t *r)
{
    int rc;

    if (r->route->cache.zone == NULL) {
        return BN_OK;
    }
    if (strcmp(r->method, "PURGE") == 0) {
        r->ops->respond(r, purge(r), NULL, NULL, NULL);
        return BN_DONE;
    }
    rc = request_lookup(r);
    if (rc == 504) {
        r->ops->respond(r, 504, NULL, NULL, NULL);
        return BN_DONE;
    }
    if (rc == BN_DONE) {
        r->ops->run(r); /* answered from the cache */
        return BN_DONE;
    }
    if (rc == BN_AGAIN) {
        /* The key's fill goes on with it (fill_or_wait()). */
        r->state = BN_REQ_CONNECTING;
        return BN_DONE;
    }
    return BN_OK;
}
