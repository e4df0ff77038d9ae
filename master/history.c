/*
 * history.c: the configs that loaded, beside the pid file.  The master
 * keeps one at every start, reload and rollback that succeeds, and writes
 * bouncer.conf.last-good; `bouncer history` and `bouncer rollback` read
 * the folder, the first one without the master.
 *
 * bouncer.conf.history/NNNNNN/ (NNNNNN: 1, 2, ... in the order they loaded)
 * holds one config, whole:
 *   entry        what it is, a line "key<TAB>value" each: loaded,
 *                last_loaded, sha256, file, main, rollback_of, and
 *                "include<TAB>STORED<TAB>ORIGINAL" per @included file
 *   loaded.conf  the parsed config as libconfig writes it (bn_conf_t.text):
 *                what a rollback loads.  libconfig 1.5 resolves an @include
 *                against one folder, with no hook to redirect it, so the
 *                files as written could not be loaded from here without
 *                changing them (an "../x" include leaves the entry); this
 *                text is exactly the tree that loaded, includes in place.
 *   files/       the main file and each @included file as they were, by
 *                the names written in the @include (others: include-N),
 *                for the operator to read and for `rollback --write`
 * An entry is made in .new/ and renamed into place, so one either is whole
 * or is not there.  The folders are 0700 and the files 0600: a config may
 * hold secrets, and the workers' user must not write where root does.
 */
#include "history.h"
#include "process.h"
#include "../common/credfile.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>

#define ENTRY_NAME_FMT "%06u"
#define MAX_INCLUDES 256
#define MAX_INCLUDE_DEPTH 10 /* libconfig's */

static unsigned running_seq, running_of;

/*
 * snprintf() for paths: a name that does not fit becomes "", which no
 * open(2) or rename(2) takes, rather than a shorter name that might be
 * another file.
 */
static void path_printf(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
path_printf(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out, len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t) n >= len) {
        out[0] = '\0';
    }
}

char *
bn_history_dir(const char *pid_file)
{
    char *copy = strdup(pid_file), *dir = NULL;

    if (copy != NULL && asprintf(&dir, "%s/bouncer.conf.history", dirname(copy)) == -1) {
        dir = NULL;
    }
    free(copy);
    return dir;
}

/* ---- reading ----------------------------------------------------------------- */

static int
entry_cmp(const void *a, const void *b)
{
    const bn_history_entry_t *x = a, *y = b;

    return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

/* The value of key in an entry file's text, up to its line's end (or tab). */
static const char *
meta_value(const char *text, const char *key, size_t *len)
{
    size_t klen = strlen(key);

    for (const char *l = text; l != NULL && *l != '\0'; l = strchr(l, '\n'), l = l ? l + 1 : l) {
        if (strncmp(l, key, klen) == 0 && l[klen] == '\t') {
            *len = strcspn(l + klen + 1, "\t\n");
            return l + klen + 1;
        }
    }
    *len = 0;
    return NULL;
}

static char *
meta_string(const char *text, const char *key)
{
    size_t len;
    const char *v = meta_value(text, key, &len);

    return v != NULL ? strndup(v, len) : NULL;
}

static unsigned long long
meta_number(const char *text, const char *key)
{
    size_t len;
    const char *v = meta_value(text, key, &len);

    return v != NULL ? strtoull(v, NULL, 10) : 0;
}

/* The entry file of folder seq, read whole (bn_credfile_close() frees it). */
static int
read_meta(const char *dir, unsigned seq, bn_credfile_t *f, char *path, size_t pathlen, char *err,
          size_t errlen)
{
    path_printf(path, pathlen, "%s/" ENTRY_NAME_FMT "/entry", dir, seq);
    return bn_credfile_open(f, path, err, errlen);
}

int
bn_history_read(char *dir, bn_history_t *h, char *err, size_t errlen)
{
    DIR *d;
    struct dirent *de;
    size_t cap = 0;

    memset(h, 0, sizeof(*h));
    h->dir = dir;
    d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT) {
            return BN_OK;
        }
        snprintf(err, errlen, "cannot read \"%s\": %s", dir, strerror(errno));
        return BN_ERROR;
    }
    while ((de = readdir(d)) != NULL) {
        char path[PATH_MAX], ferr[512], *end;
        unsigned long seq = strtoul(de->d_name, &end, 10);
        bn_credfile_t f;
        bn_history_entry_t *e;

        /* Only what the master names: .new/ is an entry being made. */
        if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end != '\0' || seq == 0
            || seq > UINT_MAX) {
            continue;
        }
        if (read_meta(dir, (unsigned) seq, &f, path, sizeof(path), ferr, sizeof(ferr)) != BN_OK) {
            continue; /* not one of ours, or half gone: nothing to load from */
        }
        if (h->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            bn_history_entry_t *ne = realloc(h->entries, ncap * sizeof(*ne));
            if (ne == NULL) {
                bn_credfile_close(&f);
                closedir(d);
                snprintf(err, errlen, "out of memory");
                return BN_ERROR;
            }
            h->entries = ne;
            cap = ncap;
        }
        e = &h->entries[h->n];
        memset(e, 0, sizeof(*e));
        e->seq = (unsigned) seq;
        e->loaded = (time_t) meta_number(f.data, "loaded");
        e->last_loaded = (time_t) meta_number(f.data, "last_loaded");
        e->rollback_of = (unsigned) meta_number(f.data, "rollback_of");
        {
            size_t len;
            const char *v = meta_value(f.data, "sha256", &len);
            snprintf(e->sha256, sizeof(e->sha256), "%.*s", (int) len, v ? v : "");
        }
        e->file = meta_string(f.data, "file");
        e->main_name = meta_string(f.data, "main");
        bn_credfile_close(&f);
        if (e->file == NULL || e->main_name == NULL) {
            free(e->file);
            free(e->main_name);
            continue;
        }
        h->n++;
    }
    closedir(d);
    if (h->n > 1) {
        qsort(h->entries, h->n, sizeof(*h->entries), entry_cmp);
    }
    return BN_OK;
}

void
bn_history_free(bn_history_t *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->entries[i].file);
        free(h->entries[i].main_name);
    }
    free(h->entries);
    free(h->dir);
    memset(h, 0, sizeof(*h));
}

/* ---- counting back ------------------------------------------------------------- */

/* Where the running entry stands: the entry it copied, if a rollback made it. */
static unsigned
standing(const bn_history_t *h, unsigned running)
{
    if (running == 0) {
        return UINT_MAX; /* not in the history: every entry is before it */
    }
    for (size_t i = 0; i < h->n; i++) {
        if (h->entries[i].seq == running) {
            return h->entries[i].rollback_of != 0 ? h->entries[i].rollback_of : running;
        }
    }
    return running;
}

int
bn_history_number(const bn_history_t *h, unsigned running, size_t i)
{
    unsigned at = standing(h, running);
    int n = 0;

    if (h->entries[i].seq == running) {
        return 0;
    }
    if (h->entries[i].seq >= at) {
        return -1;
    }
    for (size_t k = 0; k <= i; k++) {
        n += h->entries[k].seq < at;
    }
    return n;
}

const bn_history_entry_t *
bn_history_target(const bn_history_t *h, unsigned running, unsigned n)
{
    for (size_t i = 0; i < h->n && n > 0; i++) {
        if (bn_history_number(h, running, i) == (int) n) {
            return &h->entries[i];
        }
    }
    return NULL;
}

unsigned
bn_history_running(unsigned *rollback_of)
{
    *rollback_of = running_of;
    return running_seq;
}

/* ---- writing ------------------------------------------------------------------- */

/*
 * Writes data to path through path.tmp and a rename, so that a reader sees
 * the old file or the new one, never half of one.  mode: the new file's.
 */
static int
put_file(const char *path, const char *data, size_t len, mode_t mode, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    size_t off = 0;
    int fd;

    path_printf(tmp, sizeof(tmp), "%s.tmp", path);
    if (tmp[0] == '\0') {
        snprintf(err, errlen, "\"%s\": the name is too long", path);
        return BN_ERROR;
    }
    unlink(tmp); /* a crash's leftover */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd == -1) {
        snprintf(err, errlen, "cannot create \"%s\": %s", tmp, strerror(errno));
        return BN_ERROR;
    }
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n <= 0) {
            snprintf(err, errlen, "cannot write \"%s\": %s", tmp,
                     n == 0 ? "no room" : strerror(errno));
            close(fd);
            unlink(tmp);
            return BN_ERROR;
        }
        off += (size_t) n;
    }
    if (fsync(fd) == -1 || close(fd) == -1) {
        snprintf(err, errlen, "cannot write \"%s\": %s", tmp, strerror(errno));
        unlink(tmp);
        return BN_ERROR;
    }
    if (rename(tmp, path) == -1) {
        snprintf(err, errlen, "cannot rename \"%s\" to \"%s\": %s", tmp, path, strerror(errno));
        unlink(tmp);
        return BN_ERROR;
    }
    return BN_OK;
}

static int
copy_file(const char *from, const char *to, mode_t mode, char *err, size_t errlen)
{
    bn_credfile_t f;
    int rc;

    if (bn_credfile_open(&f, from, err, errlen) != BN_OK) {
        return BN_ERROR;
    }
    rc = put_file(to, f.data, f.len, mode, err, errlen);
    bn_credfile_close(&f);
    return rc;
}

/* mkdir -p of the folders of name under base (name relative, as stored). */
static int
make_dirs_under(const char *base, const char *name, char *err, size_t errlen)
{
    char path[PATH_MAX];
    size_t blen = strlen(base);

    path_printf(path, sizeof(path), "%s/%s", base, name);
    if (path[0] == '\0') {
        snprintf(err, errlen, "\"%s/%s\": the name is too long", base, name);
        return BN_ERROR;
    }
    for (char *p = path + blen + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(path, 0700) == -1 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create \"%s\": %s", path, strerror(errno));
            return BN_ERROR;
        }
        *p = '/';
    }
    return BN_OK;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

/* rm -r, never following a link out of the tree. */
static void
remove_tree(const char *path)
{
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

typedef struct {
    char stored[PATH_MAX];
    char original[PATH_MAX];
} include_t;

typedef struct {
    include_t *v;
    size_t n;
} includes_t;

/* The name an included file is kept under in files/: as written, when it
 * stays under files/ and is not the main file's name. */
static void
stored_name(const char *name, const char *main_name, size_t index, char *out, size_t len)
{
    bool plain = name[0] != '/' && strcmp(name, main_name) != 0 && strstr(name, "./") == NULL
                 && strstr(name, "//") == NULL && strcmp(name, "..") != 0
                 && strcmp(name + BN_MAX(strlen(name), 3) - 3, "/..") != 0;

    if (plain && snprintf(out, len, "%s", name) < (int) len) {
        return;
    }
    snprintf(out, len, "include-%zu", index + 1);
}

/*
 * The files that file @includes, and theirs, as libconfig 1.5 finds them:
 * the name as written, under the main file's folder (include_dir).
 */
static void
scan_includes(const char *file, const char *include_dir, const char *main_name, unsigned depth,
              includes_t *inc)
{
    char line[PATH_MAX + 64], name[PATH_MAX];
    FILE *f;

    if (depth > MAX_INCLUDE_DEPTH || (f = fopen(file, "re")) == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char original[PATH_MAX];
        bool seen = false;
        if (sscanf(line, " @include \"%4095[^\"]\"", name) != 1
            || snprintf(original, sizeof(original), "%s/%s", include_dir, name)
                   >= (int) sizeof(original)
            || strchr(name, '\t') != NULL || strchr(name, '\n') != NULL) {
            continue;
        }
        for (size_t i = 0; i < inc->n; i++) {
            seen = seen || strcmp(inc->v[i].original, original) == 0;
        }
        if (seen || inc->n == MAX_INCLUDES) {
            continue;
        }
        stored_name(name, main_name, inc->n, inc->v[inc->n].stored, sizeof(inc->v[0].stored));
        snprintf(inc->v[inc->n].original, sizeof(inc->v[0].original), "%s", original);
        inc->n++;
        scan_includes(original, include_dir, main_name, depth + 1, inc);
    }
    fclose(f);
}

/* The includes an entry's file lists ("include<TAB>STORED<TAB>ORIGINAL"). */
static int
entry_includes(const char *dir, unsigned seq, includes_t *inc, char *err, size_t errlen)
{
    char path[PATH_MAX];
    bn_credfile_t f;

    if (read_meta(dir, seq, &f, path, sizeof(path), err, errlen) != BN_OK) {
        return BN_ERROR;
    }
    for (const char *l = f.data; l != NULL && *l != '\0' && inc->n < MAX_INCLUDES;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t) (nl - l) : strlen(l);
        const char *t1, *t2;
        if (len > 8 && strncmp(l, "include\t", 8) == 0
            && (t1 = memchr(l + 8, '\t', len - 8)) != NULL) {
            t2 = l + len;
            snprintf(inc->v[inc->n].stored, sizeof(inc->v[0].stored), "%.*s", (int) (t1 - l - 8),
                     l + 8);
            snprintf(inc->v[inc->n].original, sizeof(inc->v[0].original), "%.*s",
                     (int) (t2 - t1 - 1), t1 + 1);
            inc->n++;
        }
        l = nl ? nl + 1 : NULL;
    }
    bn_credfile_close(&f);
    return BN_OK;
}

/* The history folder, made when missing: root's alone (mode 0700), never a
 * link, and not under a folder the workers can write. */
static int
open_history_dir(bn_conf_t *c, const char *dir, uid_t uid, gid_t gid, bool drop, char *err,
                 size_t errlen)
{
    struct stat st;

    if (drop && bn_path_safe_from_workers(dir, c->user, uid, gid, err, errlen) != BN_OK) {
        return BN_ERROR;
    }
    if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create \"%s\": %s", dir, strerror(errno));
        return BN_ERROR;
    }
    if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        snprintf(err, errlen, "\"%s\" is not a folder of bouncer's user (a link, or another's)",
                 dir);
        return BN_ERROR;
    }
    if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) == -1) {
        snprintf(err, errlen, "cannot chmod \"%s\": %s", dir, strerror(errno));
        return BN_ERROR;
    }
    return BN_OK;
}

/* Makes entry seq of config c in dir/.new, then renames it into place. */
static int
make_entry(bn_conf_t *c, const bn_history_t *h, unsigned seq, unsigned rollback_of,
           const char *main_name, const char *main_from, char *err, size_t errlen)
{
    char tmp[PATH_MAX], files[PATH_MAX], path[PATH_MAX], final[PATH_MAX],
        hex[2 * BN_CONF_HASH_LEN + 1];
    char *meta = NULL, *dir;
    size_t meta_len = 0;
    includes_t inc = { 0 };
    FILE *m;
    int rc = BN_ERROR;
    time_t now = time(NULL);

    path_printf(tmp, sizeof(tmp), "%s/.new", h->dir);
    path_printf(files, sizeof(files), "%s/files", tmp);
    path_printf(final, sizeof(final), "%s/" ENTRY_NAME_FMT, h->dir, seq);
    remove_tree(tmp); /* a crash's leftover */
    if (mkdir(tmp, 0700) == -1 || mkdir(files, 0700) == -1) {
        snprintf(err, errlen, "cannot create \"%s\": %s", files, strerror(errno));
        goto done;
    }
    inc.v = calloc(MAX_INCLUDES, sizeof(include_t));
    if (inc.v == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    path_printf(path, sizeof(path), "%s/loaded.conf", tmp);
    if (put_file(path, c->text, c->text_len, 0600, err, errlen) != BN_OK) {
        goto done;
    }
    path_printf(path, sizeof(path), "%s/%s", files, main_name);
    if (copy_file(main_from, path, 0600, err, errlen) != BN_OK) {
        goto done;
    }
    if (rollback_of != 0) {
        /* The copied entry's files, as it kept them. */
        if (entry_includes(h->dir, rollback_of, &inc, err, errlen) != BN_OK) {
            goto done;
        }
    } else {
        dir = strdup(c->file);
        if (dir == NULL) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        scan_includes(c->file, dirname(dir), main_name, 1, &inc);
        free(dir);
    }
    for (size_t i = 0; i < inc.n; i++) {
        char from[PATH_MAX];
        if (rollback_of != 0) {
            path_printf(from, sizeof(from), "%s/" ENTRY_NAME_FMT "/files/%s", h->dir, rollback_of,
                        inc.v[i].stored);
        } else {
            path_printf(from, sizeof(from), "%s", inc.v[i].original);
        }
        path_printf(path, sizeof(path), "%s/%s", files, inc.v[i].stored);
        if (make_dirs_under(files, inc.v[i].stored, err, errlen) != BN_OK
            || copy_file(from, path, 0600, err, errlen) != BN_OK) {
            goto done;
        }
    }
    m = open_memstream(&meta, &meta_len);
    if (m == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    bn_conf_hash_hex(c->sha256, hex);
    fprintf(m, "loaded\t%lld\nlast_loaded\t%lld\nsha256\t%s\nfile\t%s\nmain\t%s\nrollback_of\t%u\n",
            (long long) now, (long long) now, hex, c->file, main_name, rollback_of);
    for (size_t i = 0; i < inc.n; i++) {
        fprintf(m, "include\t%s\t%s\n", inc.v[i].stored, inc.v[i].original);
    }
    if (fclose(m) != 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    path_printf(path, sizeof(path), "%s/entry", tmp);
    if (put_file(path, meta, meta_len, 0600, err, errlen) != BN_OK) {
        goto done;
    }
    if (rename(tmp, final) == -1) {
        snprintf(err, errlen, "cannot rename \"%s\" to \"%s\": %s", tmp, final, strerror(errno));
        goto done;
    }
    rc = BN_OK;
done:
    if (rc != BN_OK) {
        remove_tree(tmp);
    }
    free(meta);
    free(inc.v);
    return rc;
}

/* A reload of the config the newest entry holds: only its time moves. */
static int
touch_entry(const bn_history_t *h, const bn_history_entry_t *e, char *err, size_t errlen)
{
    char path[PATH_MAX];
    bn_credfile_t f;
    char *meta = NULL;
    size_t len = 0;
    FILE *m;
    int rc;

    if (read_meta(h->dir, e->seq, &f, path, sizeof(path), err, errlen) != BN_OK) {
        return BN_ERROR;
    }
    m = open_memstream(&meta, &len);
    if (m == NULL) {
        bn_credfile_close(&f);
        snprintf(err, errlen, "out of memory");
        return BN_ERROR;
    }
    for (const char *l = f.data; l != NULL && *l != '\0';) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t) (nl - l + 1) : strlen(l);
        if (strncmp(l, "last_loaded\t", 12) == 0) {
            fprintf(m, "last_loaded\t%lld\n", (long long) time(NULL));
        } else {
            fwrite(l, 1, n, m);
        }
        l = nl ? nl + 1 : NULL;
    }
    bn_credfile_close(&f);
    if (fclose(m) != 0) {
        free(meta);
        snprintf(err, errlen, "out of memory");
        return BN_ERROR;
    }
    rc = put_file(path, meta, len, 0600, err, errlen);
    free(meta);
    return rc;
}

int
bn_history_save(bn_conf_t *c, unsigned rollback_of, uid_t uid, gid_t gid, bool drop, char *err,
                size_t errlen)
{
    bn_history_t h;
    char hex[2 * BN_CONF_HASH_LEN + 1], main_from[PATH_MAX], last_good[PATH_MAX], *dir, *copy;
    const char *main_name;
    const bn_history_entry_t *from = NULL;
    int rc = BN_ERROR;

    running_seq = running_of = 0;
    dir = bn_history_dir(c->pid_file);
    copy = strdup(c->file);
    if (dir == NULL || copy == NULL) {
        free(dir);
        free(copy);
        snprintf(err, errlen, "out of memory");
        return BN_ERROR;
    }
    main_name = basename(copy);
    if (bn_history_read(dir, &h, err, errlen) != BN_OK) {
        free(copy);
        bn_history_free(&h);
        return BN_ERROR;
    }
    for (size_t i = 0; i < h.n && rollback_of != 0; i++) {
        if (h.entries[i].seq == rollback_of) {
            from = &h.entries[i];
        }
    }
    if (from != NULL) {
        path_printf(main_from, sizeof(main_from), "%s/" ENTRY_NAME_FMT "/files/%s", h.dir,
                    from->seq, from->main_name);
    } else {
        path_printf(main_from, sizeof(main_from), "%s", c->file);
    }

    /* bouncer.conf.last-good, history or not: the main file that loaded. */
    path_printf(last_good, sizeof(last_good), "%.*s/bouncer.conf.last-good",
                (int) (strrchr(h.dir, '/') - h.dir), h.dir);
    if (copy_file(main_from, last_good, 0600, err, errlen) != BN_OK) {
        goto done;
    }
    if (c->config_history == 0) {
        rc = BN_OK;
        goto done;
    }
    if (open_history_dir(c, h.dir, uid, gid, drop, err, errlen) != BN_OK) {
        goto done;
    }
    bn_conf_hash_hex(c->sha256, hex);
    if (from == NULL && h.n > 0 && strcmp(h.entries[0].sha256, hex) == 0) {
        /* The same config again (a reload for new certificates, say): a
         * new entry would only push the older ones out. */
        if (touch_entry(&h, &h.entries[0], err, errlen) != BN_OK) {
            goto done;
        }
        running_seq = h.entries[0].seq;
        running_of = h.entries[0].rollback_of;
    } else {
        unsigned seq = h.n > 0 ? h.entries[0].seq + 1 : 1;
        if (make_entry(c, &h, seq, from != NULL ? from->seq : 0, main_name, main_from, err, errlen)
            != BN_OK) {
            goto done;
        }
        running_seq = seq;
        running_of = from != NULL ? from->seq : 0;
        /* The new entry counts as one of config_history. */
        for (size_t i = c->config_history > 0 ? c->config_history - 1 : 0; i < h.n; i++) {
            char old[PATH_MAX];
            path_printf(old, sizeof(old), "%s/" ENTRY_NAME_FMT, h.dir, h.entries[i].seq);
            remove_tree(old);
        }
    }
    rc = BN_OK;
done:
    free(copy);
    bn_history_free(&h);
    return rc;
}

/* ---- rollback --write ------------------------------------------------------------ */

/* Puts the file "from" at "to", keeping what was at "to" beside it. */
static int
write_back_one(const char *from, const char *to, const char *stamp,
               void (*say)(int fd, const char *fmt, ...), int fd)
{
    char err[1024], kept[PATH_MAX];
    bn_credfile_t f, old;
    struct stat st;
    mode_t mode = 0600;
    bool existed = lstat(to, &st) == 0;

    if (bn_credfile_open(&f, from, err, sizeof(err)) != BN_OK) {
        say(fd, "error %s", err);
        return BN_ERROR;
    }
    if (existed) {
        if (!S_ISREG(st.st_mode)) {
            say(fd, "error \"%s\" is not a plain file: not replaced", to);
            bn_credfile_close(&f);
            return BN_ERROR;
        }
        mode = st.st_mode & 07777;
        if (bn_credfile_open(&old, to, err, sizeof(err)) == BN_OK) {
            bool same = old.len == f.len && memcmp(old.data, f.data, f.len) == 0;
            bn_credfile_close(&old);
            if (same) {
                say(fd, "| %s: unchanged", to);
                bn_credfile_close(&f);
                return BN_OK;
            }
        }
        /* A hard link keeps the replaced file, owner and mode too, while
         * the name moves to the new one in one rename. */
        for (unsigned i = 0;; i++) {
            path_printf(kept, sizeof(kept), i ? "%s.replaced-%s-%u" : "%s.replaced-%s", to, stamp,
                        i);
            if (link(to, kept) == 0) {
                break;
            }
            if (errno != EEXIST || i == 99) {
                say(fd, "error cannot keep \"%s\" as \"%s\": %s", to, kept, strerror(errno));
                bn_credfile_close(&f);
                return BN_ERROR;
            }
        }
    }
    if (put_file(to, f.data, f.len, mode, err, sizeof(err)) != BN_OK) {
        say(fd, "error %s", err);
        bn_credfile_close(&f);
        return BN_ERROR;
    }
    bn_credfile_close(&f);
    if (existed && (chown(to, st.st_uid, st.st_gid) == -1 || chmod(to, mode) == -1)) {
        say(fd, "| %s: cannot give it its old owner and mode back: %s", to, strerror(errno));
    }
    if (existed) {
        say(fd, "| wrote %s (the file it replaced is %s)", to, kept);
    } else {
        say(fd, "| wrote %s (it was not there)", to);
    }
    return BN_OK;
}

int
bn_history_write_back(const bn_history_t *h, const bn_history_entry_t *e,
                      void (*say)(int fd, const char *fmt, ...), int fd)
{
    char err[1024], from[PATH_MAX], stamp[32];
    includes_t inc = { 0 };
    time_t now = time(NULL);
    struct tm tm;
    int rc = BN_OK;

    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    inc.v = calloc(MAX_INCLUDES, sizeof(include_t));
    if (inc.v == NULL || entry_includes(h->dir, e->seq, &inc, err, sizeof(err)) != BN_OK) {
        say(fd, "error %s", inc.v == NULL ? "out of memory" : err);
        free(inc.v);
        return BN_ERROR;
    }
    path_printf(from, sizeof(from), "%s/" ENTRY_NAME_FMT "/files/%s", h->dir, e->seq, e->main_name);
    rc = write_back_one(from, e->file, stamp, say, fd);
    for (size_t i = 0; i < inc.n && rc == BN_OK; i++) {
        path_printf(from, sizeof(from), "%s/" ENTRY_NAME_FMT "/files/%s", h->dir, e->seq,
                    inc.v[i].stored);
        rc = write_back_one(from, inc.v[i].original, stamp, say, fd);
    }
    free(inc.v);
    return rc;
}
