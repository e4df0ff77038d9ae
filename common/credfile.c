/*
 * credfile.c: reading the credential files, line by line, and the index of
 * their names.
 */
#include "credfile.h"
#include "str.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

static pthread_once_t mds_once = PTHREAD_ONCE_INIT;
static EVP_MD *mds[3];

static void
fetch_mds(void)
{
    static const char *const names[] = { "MD5", "SHA1", "SHA256" };

    for (size_t i = 0; i < BN_NELEMS(names); i++) {
        mds[i] = EVP_MD_fetch(NULL, names[i], NULL);
    }
}

const EVP_MD *
bn_credfile_md(int which)
{
    BN_ASSERT(which >= 0 && (size_t) which < BN_NELEMS(mds));
    pthread_once(&mds_once, fetch_mds);
    return mds[which];
}

int
bn_credfile_open(bn_credfile_t *f, const char *path, char *err, size_t errlen)
{
    bn_line_t l;
    struct stat st;
    size_t size;
    char *buf = NULL, *nbuf;
    ssize_t n;
    int fd, e;

    memset(f, 0, sizeof(*f));
    f->path = path;
    f->err = err;
    f->errlen = errlen;
    bn_line_init(&l, err, errlen);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        bn_line_printf(&l, "%s: cannot open (%s)", path, strerror(errno));
        return BN_ERROR;
    }
    if (fstat(fd, &st) == -1) {
        e = errno;
        goto failed;
    }
    if (S_ISDIR(st.st_mode)) {
        e = EISDIR;
        goto failed;
    }
    /* The size is a hint only: a pipe says 0, a file may grow meanwhile. */
    size = S_ISREG(st.st_mode) && (uint64_t) st.st_size < BN_CREDFILE_SIZE_MAX
               ? (size_t) st.st_size + 1
               : 4096;
    if ((buf = malloc(size)) == NULL) {
        e = ENOMEM;
        goto failed;
    }
    for (;;) {
        if (f->len == size) {
            /* One byte over the limit tells a file that is too big. */
            if (size > BN_CREDFILE_SIZE_MAX) {
                free(buf);
                close(fd);
                bn_line_printf(&l, "%s: larger than %zu MiB", path, BN_CREDFILE_SIZE_MAX >> 20);
                return BN_ERROR;
            }
            size = BN_MIN(size * 2, BN_CREDFILE_SIZE_MAX + 1);
            if ((nbuf = realloc(buf, size)) == NULL) {
                e = ENOMEM;
                goto failed;
            }
            buf = nbuf;
        }
        n = read(fd, buf + f->len, size - f->len);
        if (n == -1 && errno == EINTR) {
            continue;
        }
        if (n == -1) {
            e = errno;
            goto failed;
        }
        if (n == 0) {
            break;
        }
        f->len += (size_t) n;
    }
    close(fd);
    buf[f->len] = '\0'; /* the read stops short of size: room for it */
    f->data = buf;
    return BN_OK;

failed:
    free(buf);
    close(fd);
    f->len = 0;
    bn_line_printf(&l, "%s: cannot read (%s)", path, strerror(e));
    return BN_ERROR;
}

void
bn_credfile_close(bn_credfile_t *f)
{
    free(f->data);
    f->data = NULL;
    f->len = 0;
}

int
bn_credfile_next(bn_credfile_t *f, const char **s, size_t *len)
{
    const char *p, *nl;
    size_t n, i;

    while (f->pos < f->len) {
        p = f->data + f->pos;
        nl = memchr(p, '\n', f->len - f->pos);
        n = nl != NULL ? (size_t) (nl - p) : f->len - f->pos;
        f->pos += nl != NULL ? n + 1 : n;
        f->line++;
        if (n > 0 && p[n - 1] == '\r') {
            n--;
        }
        /* A byte-order mark, as some editors write first, is no part of a name. */
        if (f->line == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
            p += 3;
            n -= 3;
        }
        if (n > BN_CREDFILE_LINE_MAX) {
            return bn_credfile_error(f, "line longer than %d bytes", BN_CREDFILE_LINE_MAX);
        }
        for (i = 0; i < n && (p[i] == ' ' || p[i] == '\t'); i++) {
        }
        if (i == n || p[i] == '#') {
            continue;
        }
        *s = p;
        *len = n;
        return BN_OK;
    }
    return BN_DONE;
}

size_t
bn_credfile_lines(const bn_credfile_t *f)
{
    size_t n = 1;
    const char *p = f->data, *end = f->data + f->len;

    while (p < end && (p = memchr(p, '\n', (size_t) (end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

int
bn_credfile_load(const char *path, const char *what, bn_credfile_begin_pt begin,
                 bn_credfile_entry_pt entry, void *ctx, char *err, size_t errlen)
{
    bn_credfile_t f;
    const char *s;
    size_t len, n = 0;
    int rc;

    if (bn_credfile_open(&f, path, err, errlen) != BN_OK) {
        return BN_ERROR;
    }
    rc = begin(&f, bn_credfile_lines(&f), ctx);
    while (rc == BN_OK && (rc = bn_credfile_next(&f, &s, &len)) == BN_OK) {
        rc = entry(&f, s, len, ctx);
        n++;
    }
    bn_credfile_close(&f);
    if (rc == BN_ERROR) {
        return BN_ERROR;
    }
    if (n == 0) {
        f.line = 0;
        return bn_credfile_error(&f, "no %s", what);
    }
    return BN_OK;
}

static void
line_head(bn_line_t *l, const bn_credfile_t *f)
{
    if (f->line == 0) {
        bn_line_printf(l, "%s: ", f->path);
    } else {
        bn_line_printf(l, "%s:%u: ", f->path, f->line);
    }
}

int
bn_credfile_error(bn_credfile_t *f, const char *fmt, ...)
{
    bn_line_t l;
    va_list ap;

    bn_line_init(&l, f->err, f->errlen);
    line_head(&l, f);
    va_start(ap, fmt);
    bn_line_vprintf(&l, fmt, ap);
    va_end(ap);
    return BN_ERROR;
}

int
bn_credfile_error_quoted(bn_credfile_t *f, const char *msg, const char *s, const char *tail)
{
    bn_line_t l;

    bn_line_init(&l, f->err, f->errlen);
    line_head(&l, f);
    bn_line_printf(&l, "%s\"", msg);
    bn_line_escape(&l, s, 64, BN_ESCAPE_LOG);
    bn_line_printf(&l, "\"%s", tail);
    return BN_ERROR;
}

bool
bn_credfile_has_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            return true;
        }
    }
    return false;
}

int
bn_credindex_init(bn_pool_t *pool, bn_credindex_t *ix, size_t n)
{
    size_t size = 16;

    /* At most half full, so a probe ends soon at an empty slot. */
    while (size < n * 2) {
        size *= 2;
    }
    ix->slots = bn_pcalloc(pool, size * sizeof(uint32_t));
    if (ix->slots == NULL) {
        return BN_ERROR;
    }
    ix->mask = size - 1;
    return BN_OK;
}

uint64_t
bn_credindex_hash(const void *s, size_t n)
{
    /* FNV-1a: the names come from the operator's file, so nobody picks them
     * to collide; a lookup by a client's name only probes what is there. */
    return bn_fnv1a(BN_FNV1A_START, s, n);
}

uint32_t *
bn_credindex_slot(const bn_credindex_t *ix, uint64_t hash, bn_credindex_eq_pt eq, const void *ctx)
{
    size_t i = (size_t) (hash ^ (hash >> 32)) & ix->mask;

    while (ix->slots[i] != 0 && !eq(ctx, ix->slots[i] - 1)) {
        i = (i + 1) & ix->mask;
    }
    return &ix->slots[i];
}
