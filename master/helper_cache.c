/*
 * helper_cache.c: the cache loader and manager, in the helper process (see
 * helper_main.c).  The loader reads the files of every zone back into its
 * index after a restart, or after the index was rebuilt empty because a
 * process died holding its lock; the manager drops entries unused for
 * longer than inactive.  Both read or unlink files, so they block on the
 * disk: never in a worker.  The index itself is common/cache.c's, whose
 * layout cache_index.h shares with this file.
 */
#include "helper.h"
#include "../common/cache.h"
#include "../common/cache_index.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>

void
bn_cache_expire_inactive(bn_cache_zone_t *z)
{
    int64_t now = (int64_t) time(NULL);

    bn_cache_index_lock(z);
    while (bn_cache_index_tail(z, LRU) != NULL && z->inactive > 0
           && bn_cache_index_tail(z, LRU)->last_used + z->inactive < now) {
        atomic_fetch_add_explicit(&z->evictions, 1, memory_order_relaxed);
        bn_cache_index_drop(z, bn_cache_index_tail(z, LRU), false);
    }
    bn_slab_unlock(z->slab);
}

/* Parses a file's metadata line and hex name into m; false if not ours. */
static bool
load_file(const char *dir, const char *name, bn_cache_meta_t *m)
{
    char path[PATH_MAX + 64];
    size_t hl;
    struct stat sb;
    bool ok;
    int fd, rc;

    if (strlen(name) != BN_CACHE_KEY_LEN * 2) {
        return false;
    }
    for (int i = 0; i < BN_CACHE_KEY_LEN; i++) {
        unsigned v;
        if (sscanf(name + i * 2, "%2x", &v) != 1) {
            return false;
        }
        m->key[i] = (unsigned char) v;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return false;
    }
    rc = bn_cache_meta_read(fd, m, &hl);
    ok = rc == BN_OK && fstat(fd, &sb) == 0;
    close(fd);
    if (rc == BN_DECLINED) {
        /* Stored by an earlier release, in a format this one does not
         * read: its room is given back rather than left unindexed. */
        unlink(path);
    }
    m->size = ok ? (uint64_t) sb.st_size : 0;
    return ok;
}

size_t
bn_cache_zone_load(bn_cache_zone_t *z)
{
    unsigned gen = atomic_load(&z->generation);
    bool first = atomic_load(&z->loaded) == 0;
    DIR *top, *sub;
    struct dirent *de, *fe;
    char dir[PATH_MAX];
    size_t n = 0;

    if (atomic_load(&z->loaded) == gen + 1) {
        return 0; /* a reload's new helper: the index already has them */
    }
    top = opendir(z->path);
    if (top == NULL) {
        return 0;
    }
    while ((de = readdir(top)) != NULL) {
        if (strncmp(de->d_name, ".tmp-", 5) == 0) {
            /* Left by a writer that died mid-body: never complete.  After
             * the first load, live workers are writing theirs meanwhile. */
            int pid = atoi(de->d_name + 5);
            if (first || (pid > 0 && kill(pid, 0) == -1 && errno == ESRCH)) {
                snprintf(dir, sizeof(dir), "%s/%s", z->path, de->d_name);
                unlink(dir);
            }
            continue;
        }
        if (strlen(de->d_name) != 2 || de->d_name[0] == '.') {
            continue;
        }
        snprintf(dir, sizeof(dir), "%s/%s", z->path, de->d_name);
        if ((sub = opendir(dir)) == NULL) {
            continue;
        }
        while ((fe = readdir(sub)) != NULL) {
            bn_cache_meta_t m;
            bn_cache_meta_t seen;
            if (fe->d_name[0] == '.' || !load_file(dir, fe->d_name, &m)) {
                continue;
            }
            /* An entry a worker stored meanwhile is newer than the file we saw. */
            if (!bn_cache_lookup(z, m.key, &seen)) {
                bn_cache_insert(z, &m);
                n++;
            }
        }
        closedir(sub);
    }
    closedir(top);
    atomic_store(&z->loaded, gen + 1);
    return n;
}

/*
 * The cache loader: what earlier runs stored is indexed again, at start and
 * whenever an index was rebuilt after a process died holding its lock.  It
 * reads the disk; here it delays only health checks, never a request.
 */
void
bn_cache_load_zones(const bn_conf_t *conf)
{
    for (size_t i = 0; i < conf->ncache_zones; i++) {
        size_t n = bn_cache_zone_load(conf->cache_zones[i].zone);
        if (n > 0) {
            bn_log_error(BN_LOG_NOTICE, NULL, 0, "cache zone \"%s\": %zu entries loaded from disk",
                         conf->cache_zones[i].name, n);
        }
    }
}
