/*
 * master.c: the master process.  It never handles a request: it starts
 * workers, watches them, replaces them on reload or when they die, and
 * answers the control socket and signals.  Its loop waits in poll() on a
 * signalfd and the control socket, so signals are handled synchronously,
 * one at a time, like any other event.
 */
#include "master.h"
#include "control.h"
#include "listen.h"
#include "process.h"
#include "notify.h"
#include "upgrade.h"
#include "helper.h"
#include "history.h"
#include "../common/heritage.h"
#include "../common/clock.h"
#include "../common/auth_cache.h"
#include "../common/limit_zone.h"
#include "../common/waf.h"
#include "../common/peers.h"
#include "../common/cache.h"
#include "../common/metrics.h"
#include "../common/status_pages.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#define RESPAWN_FAST_MSEC 1000 /* dying sooner than this counts as a crash loop */
#define RESPAWN_MAX_DELAY_MSEC 10000
#define KILL_GRACE_MSEC 2000 /* after shutdown_timeout, before SIGKILL */

typedef struct {
    pid_t pid; /* 0: slot free */
    unsigned generation;
    unsigned slot;
    bn_msec_t started;
    bool draining;
    bool helper;              /* the helper process, not a worker */
    bn_msec_t drain_deadline; /* SIGKILL after this */
    time_t started_wall;
} proc_t;

typedef struct {
    unsigned fast_deaths;
    bn_msec_t respawn_at; /* 0: nothing pending */
} slot_t;

static bn_conf_t *conf;
static unsigned generation;
static proc_t *procs;
static size_t nprocs, procs_cap;
static slot_t *slots;
static int sig_fd = -1, ctl_fd = -1;
static int client_fd = -1; /* the control client being answered, if any */
static int ready_fd = -1;  /* to the `bouncer start` that daemonized us */
static int error_fd = -1, access_fd = -1;
static time_t started_at;
static bool stopping, quitting;
static int *waiters; /* control clients of stop/quit, answered by exit */
static size_t nwaiters;
static uid_t w_uid;
static gid_t w_gid;
static bool w_drop;
static void release_limit_conns(int proc);
static void publish_procs(void);
static bn_metrics_t *metrics; /* mapped once, kept across reloads */
static bn_msec_t ticket_rotate_at; /* 0: no server uses session tickets */

/*
 * bouncer upgrade (upgrade.c has the protocol).  The old master's side: the
 * new master while it starts, the channel to it, and the control client
 * that waits for the outcome.
 */
static pid_t up_pid; /* 0: no upgrade under way */
static int up_fd = -1, up_reply = -1;
static bn_msec_t up_deadline;
static bool up_told; /* it heard "go": systemd knows it as the main process */
static char up_version[64];
static bool handed_over; /* the new master serves: ours drain, then we exit */
/* The new master's side: the channel to the old one until it takes over,
 * and the pipe its first workers say on that they accept. */
static int old_fd = -1, ready_rfd = -1, ready_wfd = -1;
static unsigned nready;
/* Whether systemd hears us: with NotifyAccess=main, only its main process
 * speaks, and during an upgrade that is the old master until it names the
 * new one. */
static bool main_process = true;
static void upgrade_failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
signal_name(int s)
{
    static char buf[16];
    const char *n = sigabbrev_np(s);

    if (n == NULL) {
        snprintf(buf, sizeof(buf), "%d", s);
        return buf;
    }
    snprintf(buf, sizeof(buf), "SIG%s", n);
    return buf;
}

static proc_t *
proc_add(void)
{
    for (size_t i = 0; i < nprocs; i++) {
        if (procs[i].pid == 0) {
            return &procs[i];
        }
    }
    if (nprocs == procs_cap) {
        size_t cap = procs_cap ? procs_cap * 2 : 16;
        proc_t *p = realloc(procs, cap * sizeof(proc_t));
        if (p == NULL) {
            return NULL;
        }
        procs = p;
        procs_cap = cap;
    }
    memset(&procs[nprocs], 0, sizeof(proc_t));
    return &procs[nprocs++];
}

static void
close_in_child(void)
{
    close(sig_fd);
    close(ctl_fd);
    if (client_fd != -1) {
        close(client_fd);
    }
    if (ready_fd != -1) {
        close(ready_fd);
    }
    for (size_t i = 0; i < nwaiters; i++) {
        close(waiters[i]);
    }
    int upgrade_fds[] = { up_fd, up_reply, old_fd, ready_rfd };
    for (size_t i = 0; i < BN_NELEMS(upgrade_fds); i++) {
        if (upgrade_fds[i] != -1) {
            close(upgrade_fds[i]);
        }
    }
    if (bn_pidfile_fd() != -1) {
        close(bn_pidfile_fd());
    }
}

static int
spawn_worker(unsigned slot)
{
    proc_t *p = proc_add();
    pid_t pid;

    if (p == NULL) {
        bn_log_error(BN_LOG_ALERT, NULL, ENOMEM, "cannot track a new worker");
        return BN_ERROR;
    }
    pid = fork();
    if (pid == -1) {
        bn_log_error(BN_LOG_ALERT, NULL, errno, "fork() failed");
        return BN_ERROR;
    }
    if (pid == 0) {
        close_in_child();
        bn_metrics_use_row(NULL, -1); /* the master's row has one writer: the master */
        bn_log_stderr_too = false;
        bn_heritage.conf = conf;
        bn_heritage.generation = generation;
        bn_heritage.slot = slot;
        bn_heritage.proc = p - procs < BN_PEERS_PROCS ? (int) (p - procs) : -1;
        bn_heritage.master_pid = getppid();
        bn_heritage.access_log_fd = access_fd;
        bn_heritage.drop_privileges = w_drop;
        bn_heritage.uid = w_uid;
        bn_heritage.gid = w_gid;
        bn_heritage.ready_fd = slot < conf->workers ? ready_wfd : -1;
        if (slot == conf->workers) {
            if (ready_wfd != -1) {
                close(ready_wfd);
            }
            bn_helper_main();
        }
        bn_worker_main();
    }
    p->pid = pid;
    p->generation = generation;
    p->slot = slot;
    p->started = bn_current_msec;
    p->started_wall = time(NULL);
    p->draining = false;
    p->helper = slot == conf->workers;
    publish_procs();
    bn_log_error(BN_LOG_INFO, NULL, 0, "started %s process %d (generation %u)",
                 p->helper ? "helper" : "worker", (int) pid, generation);
    return BN_OK;
}

/* The workers of the current config, and its helper when it needs one (the
 * slot after the workers'). */
static void
spawn_generation(void)
{
    for (unsigned i = 0; i < conf->workers; i++) {
        spawn_worker(i);
    }
    if (bn_helper_needed(conf)) {
        spawn_worker(conf->workers);
    }
}

static void
signal_workers(int signo, bool draining_too)
{
    for (size_t i = 0; i < nprocs; i++) {
        if (procs[i].pid != 0 && (draining_too || !procs[i].draining)) {
            kill(procs[i].pid, signo);
        }
    }
}

static size_t
live_workers(void)
{
    size_t n = 0;

    for (size_t i = 0; i < nprocs; i++) {
        n += procs[i].pid != 0;
    }
    return n;
}

static void upgrade_exited(int status);

static void
reap(void)
{
    int status;
    pid_t pid;
    const char *kind;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        proc_t *p = NULL;
        if (up_pid != 0 && pid == up_pid) {
            upgrade_exited(status);
            continue;
        }
        for (size_t i = 0; i < nprocs; i++) {
            if (procs[i].pid == pid) {
                p = &procs[i];
                break;
            }
        }
        if (p == NULL) {
            continue;
        }
        p->pid = 0;
        kind = p->helper ? "helper" : "worker";
        /* Whatever it held (in-flight counts, queue places) is given back:
         * nobody else would ever release it. */
        bn_peers_release_proc((int) (p - procs));
        release_limit_conns((int) (p - procs));
        bn_metrics_release_row(metrics, (int) (p - procs));
        publish_procs();
        if (p->draining || stopping || quitting) {
            if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
                bn_log_error(BN_LOG_ALERT, NULL, 0, "%s process %d exited on signal %s", kind,
                             (int) pid, signal_name(WTERMSIG(status)));
            } else {
                bn_log_error(BN_LOG_INFO, NULL, 0, "%s process %d exited", kind, (int) pid);
            }
            continue;
        }
        bn_metric_add(conf->metrics_global, BN_MV_RESTARTS + (WIFSIGNALED(status)
                                                                  ? (unsigned) WTERMSIG(status) % 65
                                                                  : 0),
                      1);
        if (WIFSIGNALED(status)) {
            bn_log_error(BN_LOG_ALERT, NULL, 0, "%s process %d exited on signal %s%s", kind,
                         (int) pid, signal_name(WTERMSIG(status)),
                         WCOREDUMP(status) ? " (core dumped)" : "");
        } else if (WEXITSTATUS(status) != 0) {
            bn_log_error(BN_LOG_ALERT, NULL, 0, "%s process %d exited with code %d", kind,
                         (int) pid, WEXITSTATUS(status));
        } else {
            bn_log_error(BN_LOG_NOTICE, NULL, 0, "%s process %d exited unexpectedly", kind,
                         (int) pid);
        }
        /* Respawn at once, unless it is dying in a loop: then back off. */
        slot_t *s = &slots[p->slot];
        if (bn_current_msec - p->started < RESPAWN_FAST_MSEC) {
            s->fast_deaths++;
        } else {
            s->fast_deaths = 0;
        }
        if (s->fast_deaths == 0) {
            spawn_worker(p->slot);
        } else {
            bn_msec_t delay = BN_MIN((bn_msec_t) 100 << BN_MIN(s->fast_deaths, 10),
                                     (bn_msec_t) RESPAWN_MAX_DELAY_MSEC);
            bn_log_error(BN_LOG_ALERT, NULL, 0,
                         "%s process died %u times in a row right after starting; "
                         "respawning in %" PRIu64 "ms",
                         kind, s->fast_deaths, delay);
            s->respawn_at = bn_current_msec + delay;
        }
    }
}

/* Ends the oldest draining generations beyond max_draining_generations. */
static void
limit_draining(void)
{
    unsigned gens[256];
    size_t ngens = 0;

    for (size_t i = 0; i < nprocs; i++) {
        bool seen = false;
        if (procs[i].pid == 0 || !procs[i].draining) {
            continue;
        }
        for (size_t k = 0; k < ngens; k++) {
            seen = seen || gens[k] == procs[i].generation;
        }
        if (!seen && ngens < BN_NELEMS(gens)) {
            gens[ngens++] = procs[i].generation;
        }
    }
    while (ngens > conf->max_draining_generations) {
        unsigned oldest = gens[0];
        size_t oi = 0;
        for (size_t k = 1; k < ngens; k++) {
            if (gens[k] < oldest) {
                oldest = gens[k];
                oi = k;
            }
        }
        bn_log_error(BN_LOG_NOTICE, NULL, 0,
                     "more than %u generations draining: stopping generation %u now",
                     conf->max_draining_generations, oldest);
        for (size_t i = 0; i < nprocs; i++) {
            if (procs[i].pid != 0 && procs[i].generation == oldest) {
                kill(procs[i].pid, SIGTERM);
            }
        }
        gens[oi] = gens[--ngens];
    }
}

static void
set_master_logs(int efd, int afd)
{
    if (error_fd != -1 && error_fd != efd) {
        close(error_fd);
    }
    if (access_fd != -1 && access_fd != afd) {
        close(access_fd);
    }
    error_fd = efd;
    access_fd = afd;
    bn_log_fd = efd;
}

/*
 * What the workers of a config share besides the config: its servers' slots
 * in the peer table, and an eventfd per upstream with a queue (a slot was
 * freed: every worker's queued requests may go).
 */
/*
 * Cache zones outlive configs: a reload with a zone of the same name keeps
 * its index (and the files under it).  Those past ncommitted were mapped by
 * a reload still being prepared: a failed one unmaps them (and removes the
 * folders it made), so that it changes nothing.
 */
typedef struct {
    bn_cache_zone_t *zone;
    bool made_dir;
} zone_t;

static zone_t *zones;
static size_t nzones, ncommitted;

static int
prepare_cache_zone(bn_conf_t *c, bn_conf_cache_zone_t *cz, uid_t uid, gid_t gid, bool drop,
                   bn_conf_errors_t *errs)
{
    bn_cache_zone_t *z;
    zone_t *nz;
    bool made_dir;
    char err[1024];

    for (size_t i = 0; i < nzones; i++) {
        if (strcmp(bn_cache_zone_name(zones[i].zone), cz->name) == 0) {
            if (strcmp(bn_cache_zone_path(zones[i].zone), cz->path) != 0) {
                bn_conf_errors_add(errs,
                                   "%s: cache zone \"%s\": its path cannot change on reload "
                                   "(restart bouncer for that)",
                                   c->file, cz->name);
                return BN_ERROR;
            }
            /* Its new limits wait for commit_shared(): the live generation
             * keeps using this zone until the reload cannot fail. */
            cz->zone = zones[i].zone;
            return BN_OK;
        }
    }
    if (drop && bn_path_safe_from_workers(cz->path, c->user, uid, gid, err, sizeof(err)) != BN_OK) {
        bn_conf_errors_add(errs, "%s: cache zone \"%s\": %s", c->file, cz->name, err);
        return BN_ERROR;
    }
    made_dir = mkdir(cz->path, 0700) == 0;
    if (!made_dir && errno != EEXIST) {
        bn_conf_errors_add(errs, "%s: cache zone \"%s\": cannot create \"%s\": %s", c->file,
                           cz->name, cz->path, strerror(errno));
        return BN_ERROR;
    }
    nz = realloc(zones, (nzones + 1) * sizeof(*zones));
    if (nz == NULL) {
        bn_conf_errors_add(errs, "%s: cache zone \"%s\": %s", c->file, cz->name, strerror(errno));
        goto failed;
    }
    zones = nz;
    /* By descriptor, and not through a link: the folder is the workers',
     * and what they put at its name must not be what root chowns. */
    if (drop) {
        int fd = open(cz->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd == -1 || fchown(fd, uid, gid) == -1) {
            int e = errno;
            struct stat ls;
            /* O_DIRECTORY makes a link ENOTDIR, not ELOOP. */
            if (e == ENOTDIR && lstat(cz->path, &ls) == 0 && S_ISLNK(ls.st_mode)) {
                e = ELOOP;
            }
            bn_conf_errors_add(errs,
                               "%s: cache zone \"%s\": cannot give \"%s\" to the workers: %s",
                               c->file, cz->name, cz->path, bn_nofollow_strerror(e));
            if (fd != -1) {
                close(fd);
            }
            goto failed;
        }
        close(fd);
    }
    z = bn_cache_zone_create(cz->name, cz->path, cz->memory);
    if (z == NULL) {
        bn_conf_errors_add(errs, "%s: cache zone \"%s\": cannot map %" PRIu64 " bytes: %s", c->file,
                           cz->name, cz->memory, strerror(errno));
        goto failed;
    }
    zones[nzones].zone = z;
    zones[nzones++].made_dir = made_dir;
    cz->zone = z;
    return BN_OK;

failed:
    if (made_dir) {
        rmdir(cz->path);
    }
    return BN_ERROR;
}

/*
 * The zones of rate_limits and limit_conn, kept across reloads by name and
 * kind as cache zones are (a reload keeps every key's budget and count);
 * those past nlimit_committed were mapped by a reload still being
 * prepared.  Their size is the first config's: changing it needs a restart.
 */
static bn_limit_zone_t **limit_zones;
static size_t nlimit_zones, nlimit_committed;

static bn_limit_zone_t *
prepare_limit_zone(bn_conf_t *c, const char *name, int kind, uint64_t memory,
                   bn_conf_errors_t *errs)
{
    bn_limit_zone_t *z, **grown;

    for (size_t i = 0; i < nlimit_zones; i++) {
        z = limit_zones[i];
        if (bn_limit_zone_kind(z) == kind && strcmp(bn_limit_zone_name(z), name) == 0) {
            if (bn_limit_zone_memory(z) != memory) {
                bn_log_error(BN_LOG_NOTICE, NULL, 0,
                             "%s \"%s\": its memory stays %zu bytes until bouncer restarts",
                             kind == BN_LIMIT_RATE ? "rate_limits" : "limit_conn", name,
                             bn_limit_zone_memory(z));
            }
            return z;
        }
    }
    grown = realloc(limit_zones, (nlimit_zones + 1) * sizeof(*limit_zones));
    if (grown == NULL) {
        bn_conf_errors_add(errs, "%s: %s", c->file, strerror(errno));
        return NULL;
    }
    limit_zones = grown;
    z = bn_limit_zone_create(name, kind, memory);
    if (z == NULL) {
        bn_conf_errors_add(errs, "%s: %s \"%s\": cannot map %" PRIu64 " bytes: %s", c->file,
                           kind == BN_LIMIT_RATE ? "rate_limits" : "limit_conn", name, memory,
                           strerror(errno));
        return NULL;
    }
    limit_zones[nlimit_zones++] = z;
    return z;
}

/* Gives back what process proc held in every limit_conn zone. */
static void
release_limit_conns(int proc)
{
    for (size_t i = 0; i < nlimit_zones; i++) {
        if (bn_limit_zone_kind(limit_zones[i]) == BN_LIMIT_CONN) {
            bn_limit_conn_release_proc(limit_zones[i], proc);
        }
    }
}

/* A reload failed: the zones it mapped go, and the folders it made. */
static void
undo_shared(void)
{
    while (nlimit_zones > nlimit_committed) {
        bn_limit_zone_destroy(limit_zones[--nlimit_zones]);
    }
    while (nzones > ncommitted) {
        zone_t *z = &zones[--nzones];
        if (z->made_dir) {
            rmdir(bn_cache_zone_path(z->zone)); /* only while empty: nothing stored there yet */
        }
        bn_cache_zone_destroy(z->zone);
    }
}

/* The config c is the running one now: its zones take its limits. */
static void
commit_shared(bn_conf_t *c)
{
    for (size_t i = 0; i < c->ncache_zones; i++) {
        bn_conf_cache_zone_t *cz = &c->cache_zones[i];
        bn_cache_zone_limits(cz->zone, cz->max_size, cz->inactive, cz->hot_max_object,
                             cz->hot_memory);
    }
    ncommitted = nzones;
    nlimit_committed = nlimit_zones;
    bn_peers_forget_checks(c);
}

/* The WAF's counts by rule and part: one table for the master's life, so
 * they never go backwards across reloads and worker restarts. */
static bn_waf_counters_t *waf_counters;

static int32_t
series_of(bool *full, bn_metric_kind_t kind, const char *l1, const char *l2, const uint64_t *b,
          unsigned nb)
{
    int32_t at = bn_metrics_series(metrics, kind, l1, l2, b, nb);

    *full |= at < 0;
    return at;
}

/*
 * The series c counts in, found again by labels when an earlier config had
 * them (metrics.h).  A table that is full leaves the rest uncounted, said
 * once in the log.
 */
static void
register_series(bn_conf_t *c)
{
    const uint64_t *b = c->status.buckets;
    unsigned nb = c->status.nbuckets;
    bool full = false;

    c->metrics = metrics;
    c->metrics_global = series_of(&full, BN_MK_GLOBAL, NULL, NULL, NULL, 0);
    for (size_t i = 0; i < c->nservers; i++) {
        bn_conf_server_t *srv = &c->servers[i];
        srv->metrics = srv->metrics_unrouted = -1;
        if (srv->status) {
            for (size_t k = 0; k < srv->nroutes; k++) {
                srv->routes[k].metrics = -1; /* its own requests are not client traffic */
            }
            continue;
        }
        srv->metrics = series_of(&full, BN_MK_SERVER, srv->label, NULL, NULL, 0);
        srv->metrics_unrouted = series_of(&full, BN_MK_ROUTE, srv->label, "", b, nb);
        for (size_t k = 0; k < srv->nroutes; k++) {
            srv->routes[k].metrics = series_of(&full, BN_MK_ROUTE, srv->label, srv->routes[k].name, b, nb);
        }
    }
    for (size_t i = 0; i < c->nupstreams; i++) {
        bn_conf_upstream_t *u = &c->upstreams[i];
        for (size_t k = 0; k < u->npeers; k++) {
            u->peers[k].metrics = series_of(&full, BN_MK_PEER, u->name, u->peers[k].label, b, nb);
        }
    }
    for (size_t i = 0; i < c->ncache_zones; i++) {
        c->cache_zones[i].metrics = series_of(&full, BN_MK_CACHE, c->cache_zones[i].name, NULL, NULL, 0);
    }
    for (size_t i = 0; i < c->nauth_policies; i++) {
        bn_conf_auth_t *a = c->auth_policies[i];
        /* Inline policies are labelled by where they stand: "" would merge them. */
        a->metrics = a->name[0] != '\0' ? series_of(&full, BN_MK_AUTH, a->name, NULL, NULL, 0) : -1;
    }
    for (size_t i = 0; i < c->nrate_limits; i++) {
        c->rate_limits[i].metrics = series_of(&full, BN_MK_RATE, c->rate_limits[i].name, NULL, NULL, 0);
    }
    for (size_t i = 0; i < c->nlimit_conns; i++) {
        c->limit_conns[i].metrics = series_of(&full, BN_MK_CONN, c->limit_conns[i].name, NULL, NULL, 0);
    }
    if (full) {
        bn_log_error(BN_LOG_WARN, NULL, 0,
                     "the metrics table is full: some routes, servers or zones are not counted");
    }
}

static void
publish_config(void)
{
    bn_metric_master_t *ms = bn_metrics_master(metrics);

    ms->loaded = (int64_t) conf->loaded_at;
    snprintf(ms->config, sizeof(ms->config), "%s", conf->file);
}

/* What readers of the metrics know of the master and its processes. */
static void
publish_procs(void)
{
    bn_metric_master_t *ms = bn_metrics_master(metrics);

    ms->pid = (int32_t) getpid();
    ms->generation = generation;
    ms->started = (int64_t) started_at;
    for (size_t i = 0; i < BN_PEERS_PROCS; i++) {
        bn_metric_proc_t *mp = bn_metrics_proc(metrics, (int) i);
        if (i < nprocs && procs[i].pid != 0) {
            mp->generation = procs[i].generation;
            mp->started = (int64_t) procs[i].started_wall;
            mp->helper = procs[i].helper;
            mp->draining = procs[i].draining;
            mp->pid = (int32_t) procs[i].pid;
        } else {
            mp->pid = 0;
        }
    }
}

static int
prepare_shared(bn_conf_t *c, uid_t uid, gid_t gid, bool drop, bn_conf_errors_t *errs)
{
    char err[256];

    if (waf_counters == NULL && (waf_counters = bn_waf_counters_create()) == NULL) {
        bn_conf_errors_add(errs, "%s: cannot map the WAF's counters: %s", c->file,
                           strerror(errno));
        return BN_ERROR;
    }
    c->waf_counters = waf_counters;
    if (metrics == NULL) {
        if ((metrics = bn_metrics_create()) == NULL) {
            bn_conf_errors_add(errs, "%s: cannot map the metrics table: %s", c->file,
                               strerror(errno));
            return BN_ERROR;
        }
        bn_metrics_use_row(metrics, BN_METRICS_MASTER_ROW);
    }
    register_series(c);

    for (size_t i = 0; i < c->ncache_zones; i++) {
        if (prepare_cache_zone(c, &c->cache_zones[i], uid, gid, drop, errs) != BN_OK) {
            return BN_ERROR;
        }
    }

    for (size_t i = 0; i < c->nrate_limits; i++) {
        bn_conf_rate_limit_t *rl = &c->rate_limits[i];
        if ((rl->zone = prepare_limit_zone(c, rl->name, BN_LIMIT_RATE, rl->memory, errs)) == NULL) {
            return BN_ERROR;
        }
    }
    for (size_t i = 0; i < c->nlimit_conns; i++) {
        bn_conf_limit_conn_t *lc = &c->limit_conns[i];
        if ((lc->zone = prepare_limit_zone(c, lc->name, BN_LIMIT_CONN, lc->memory, errs)) == NULL) {
            return BN_ERROR;
        }
    }

    if (bn_peers_assign(c, err, sizeof(err)) != BN_OK) {
        bn_conf_errors_add(errs, "%s: %s", c->file, err);
        return BN_ERROR;
    }
    for (size_t i = 0; i < c->nupstreams; i++) {
        bn_conf_upstream_t *u = &c->upstreams[i];
        if (u->queue_size == 0) {
            continue;
        }
        u->queue_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (u->queue_fd == -1) {
            bn_conf_errors_add(errs, "%s: eventfd() failed: %s", c->file, strerror(errno));
            return BN_ERROR;
        }
    }
    return BN_OK;
}

/* When the shared ticket keys next rotate: the shortest ticket_key_rotation
 * of the servers that use tickets. */
static void
schedule_ticket_rotation(void)
{
    uint64_t every = 0;

    for (size_t i = 0; i < conf->nservers; i++) {
        const bn_conf_server_tls_t *t = &conf->servers[i].tls;
        if (t->enabled && t->conf.session_tickets
            && (every == 0 || t->ticket_key_rotation < every)) {
            every = t->ticket_key_rotation;
        }
    }
    ticket_rotate_at = every ? bn_current_msec + every : 0;
}

/* Writes one answer line to a control client. */
static void answer(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void config_status(int fd);

static void
answer(int fd, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    int n;

    if (fd == -1) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    n = BN_MIN(n, (int) sizeof(buf) - 2);
    buf[n++] = '\n';
    if (send(fd, buf, (size_t) n, MSG_NOSIGNAL) == -1) {
        /* The client went away; the log has the outcome. */
    }
}

/*
 * Keeps the config that now serves in the history and as last-good.  The
 * config serves whatever happens here: a failure is said, not undone.
 */
static void
save_history(unsigned rollback_of, int reply_fd)
{
    char err[1024];

    if (bn_history_save(conf, rollback_of, w_uid, w_gid, w_drop, err, sizeof(err)) != BN_OK) {
        bn_log_error(BN_LOG_WARN, NULL, 0, "the config that loaded is not kept in the history: %s",
                     err);
        answer(reply_fd, "| warning: the config that loaded is not kept in the history: %s", err);
    }
}

/*
 * Reload: everything that can fail is done first (parse, bind new
 * listeners, open logs).  On any failure the old generation keeps serving
 * and nothing changes.  Then the new generation starts and the old one is
 * told to drain.  from: a history entry's loaded.conf to read instead of
 * the file (a rollback of entry rollback_of), whose caller answers "ok".
 */
static int
reload(int reply_fd, const char *from, unsigned rollback_of)
{
    bn_conf_errors_t errs = { 0 }, warns = { 0 };
    bn_conf_t *nc;
    int efd = -1, afd = -1;
    char err[512];
    uid_t uid;
    gid_t gid;
    bool drop;

    if (quitting || stopping) {
        bn_log_error(BN_LOG_NOTICE, NULL, 0, "not reloading: bouncer is shutting down");
        answer(reply_fd, "error not reloading: bouncer is shutting down");
        return BN_ERROR;
    }
    if (up_pid != 0 || old_fd != -1) {
        bn_log_error(BN_LOG_NOTICE, NULL, 0, "not reloading: an upgrade is under way");
        answer(reply_fd, "error not reloading: an upgrade is under way");
        return BN_ERROR;
    }
    if (from != NULL) {
        bn_log_error(BN_LOG_NOTICE, NULL, 0,
                     "rolling back to the configuration of history entry %u (\"%s\")",
                     rollback_of, from);
    } else {
        bn_log_error(BN_LOG_NOTICE, NULL, 0, "reloading configuration \"%s\"", conf->file);
    }
    bn_notify("RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading \"%s\"",
              bn_notify_monotonic_usec(), from != NULL ? from : conf->file);
    nc = from != NULL ? bn_conf_load_from(conf->file, from, &errs, &warns)
                      : bn_conf_load_warn(conf->file, &errs, &warns);
    if (nc == NULL) {
        goto failed;
    }
    if (strcmp(nc->pid_file, conf->pid_file) != 0
        || strcmp(nc->control_socket, conf->control_socket) != 0) {
        bn_conf_errors_add(&errs,
                           "%s: pid_file and control_socket cannot change on reload "
                           "(restart bouncer for that)",
                           nc->file);
        goto failed;
    }
    if (bn_worker_identity(nc, &uid, &gid, &drop) != BN_OK) {
        bn_conf_errors_add(&errs, "%s: no user \"%s\" or group \"%s\"", nc->file, nc->user,
                           nc->group);
        goto failed;
    }
    if (prepare_shared(nc, uid, gid, drop, &errs) != BN_OK) {
        undo_shared();
        goto failed;
    }
    if (bn_listen_open(nc, conf, &errs) != BN_OK) {
        bn_listen_undo(nc, conf);
        undo_shared();
        goto failed;
    }
    if (bn_open_logs(nc, uid, gid, drop, &efd, &afd, err, sizeof(err)) != BN_OK) {
        bn_conf_errors_add(&errs, "%s: %s", nc->file, err);
        bn_listen_undo(nc, conf);
        undo_shared();
        goto failed;
    }

    /* Nothing can fail from here on. */
    commit_shared(nc);
    /* SIGHUP, not SIGQUIT: a worker that is replaced keeps its WebSocket
     * tunnels up to their drain_timeout, which a quit does not wait for
     * (the helper takes either as a quit). */
    for (size_t i = 0; i < nprocs; i++) {
        if (procs[i].pid != 0 && !procs[i].draining) {
            procs[i].draining = true;
            procs[i].drain_deadline = bn_current_msec + bn_conf_drain_time(conf) + KILL_GRACE_MSEC;
            kill(procs[i].pid, SIGHUP);
        }
    }
    bn_listen_close_all(conf); /* only those the new config did not take */
    bn_conf_free(conf);
    conf = nc;
    if (ticket_rotate_at == 0) {
        schedule_ticket_rotation();
    }
    w_uid = uid;
    w_gid = gid;
    w_drop = drop;
    set_master_logs(efd, afd);
    bn_log_level = conf->error_log_level;
    generation++;
    free(slots);
    slots = calloc(conf->workers + 1, sizeof(slot_t));
    spawn_generation();
    limit_draining();
    save_history(rollback_of, reply_fd);
    conf->loaded_at = time(NULL);
    bn_metric_add(conf->metrics_global, BN_MV_RELOADS_OK, 1);
    publish_config();
    publish_procs();
    bn_log_error(BN_LOG_NOTICE, NULL, 0, "reloaded: generation %u", generation);
    /* A count, not the lines: a config that is reloaded often would repeat
     * the same ones each time; start logged them once, check lists them. */
    if (warns.n > 0) {
        bn_log_error(BN_LOG_NOTICE, NULL, 0,
                     "the configuration has %zu warning%s; `bouncer check` lists them", warns.n,
                     warns.n == 1 ? "" : "s");
    }
    bn_conf_errors_free(&warns);
    bn_notify("READY=1\nSTATUS=serving: generation %u, %u workers", generation, conf->workers);
    if (from != NULL) {
        answer(reply_fd, "| rolled back to history entry %u: generation %u, %u workers",
               rollback_of, generation, conf->workers);
    } else {
        answer(reply_fd, "ok reloaded: generation %u, %u workers", generation, conf->workers);
    }
    return BN_OK;

failed:
    for (size_t i = 0; i < errs.n; i++) {
        bn_log_error(BN_LOG_ERR, NULL, 0, "%s", errs.lines[i]);
        answer(reply_fd, "%s", errs.lines[i]);
    }
    bn_metric_add(conf->metrics_global, BN_MV_RELOADS_FAILED, 1);
    bn_log_error(BN_LOG_ERR, NULL, 0, "%s failed; the running configuration is unchanged",
                 from != NULL ? "rollback" : "reload");
    bn_notify("READY=1\nSTATUS=serving: generation %u, %u workers (the last reload failed)",
              generation, conf->workers);
    answer(reply_fd, "error %s failed; the running configuration is unchanged",
           from != NULL ? "rollback" : "reload");
    bn_conf_errors_free(&errs);
    bn_conf_errors_free(&warns);
    bn_conf_free(nc);
    return BN_ERROR;
}

static void
reopen_logs(void)
{
    int efd, afd;
    char err[512];

    if (bn_open_logs(conf, w_uid, w_gid, w_drop, &efd, &afd, err, sizeof(err)) != BN_OK) {
        bn_log_error(BN_LOG_ALERT, NULL, 0, "reopening logs failed: %s", err);
        return;
    }
    set_master_logs(efd, afd);
    signal_workers(SIGUSR1, true);
    bn_log_error(BN_LOG_NOTICE, NULL, 0, "logs reopened");
}

static void
begin_stop(bool graceful)
{
    if (up_pid != 0) {
        kill(up_pid, SIGTERM);
        upgrade_failed("cancelled: bouncer is shutting down");
    }
    if (graceful) {
        if (!quitting && !stopping) {
            bn_log_error(BN_LOG_NOTICE, NULL, 0, "gracefully shutting down");
            if (main_process) {
                bn_notify("STOPPING=1\nSTATUS=finishing the requests in flight");
            }
            quitting = true;
            /* Old generations too: a quit ends their tunnels by
             * shutdown_timeout, whatever drain_timeout they were given. */
            bn_msec_t deadline = bn_current_msec + conf->shutdown_timeout + KILL_GRACE_MSEC;
            for (size_t i = 0; i < nprocs; i++) {
                if (procs[i].pid != 0
                    && (!procs[i].draining || procs[i].drain_deadline > deadline)) {
                    procs[i].draining = true;
                    procs[i].drain_deadline = deadline;
                }
            }
            signal_workers(SIGQUIT, true);
        }
        return;
    }
    if (!stopping) {
        bn_log_error(BN_LOG_NOTICE, NULL, 0, "shutting down");
        if (main_process) {
            bn_notify("STOPPING=1\nSTATUS=shutting down");
        }
        stopping = true;
        for (size_t i = 0; i < nprocs; i++) {
            if (procs[i].pid != 0) {
                procs[i].draining = true;
                procs[i].drain_deadline = bn_current_msec + KILL_GRACE_MSEC * 2;
            }
        }
        signal_workers(SIGTERM, true);
    }
}

/*
 * bouncer upgrade, the old master's side: starts the binary it was started
 * from as a new master, which inherits the listeners and the pid file.
 * Nothing here waits: what the new master says comes on the channel, its
 * exit through SIGCHLD, and upgrade_timeout through run_deadlines().
 * Returns whether reply_fd is kept, to be answered with the outcome.
 */
static bool
upgrade_start(int reply_fd)
{
    char err[512];

    if (quitting || stopping) {
        answer(reply_fd, "error not upgrading: bouncer is shutting down");
        return false;
    }
    if (up_pid != 0 || old_fd != -1) {
        answer(reply_fd, "error not upgrading: an upgrade is under way");
        return false;
    }
    up_pid = bn_upgrade_exec(conf, bn_pidfile_fd(), &up_fd, err, sizeof(err));
    if (up_pid == -1) {
        up_pid = 0;
        bn_log_error(BN_LOG_ERR, NULL, 0, "upgrade failed: %s", err);
        answer(reply_fd, "error upgrade failed: %s", err);
        return false;
    }
    up_reply = reply_fd;
    up_told = false;
    up_version[0] = '\0';
    up_deadline = bn_current_msec + conf->upgrade_timeout;
    bn_log_error(BN_LOG_NOTICE, NULL, 0, "upgrading: started \"%s\" as pid %d", bn_upgrade_exe(),
                 (int) up_pid);
    answer(reply_fd, "| started \"%s\" as pid %d", bn_upgrade_exe(), (int) up_pid);
    return reply_fd != -1;
}

static void
upgrade_done(void)
{
    if (up_reply != -1) {
        close(up_reply);
        up_reply = -1;
    }
    if (up_fd != -1) {
        close(up_fd);
        up_fd = -1;
    }
    up_pid = 0;
    up_told = false;
}

/* The upgrade did not happen: this master goes on serving as before. */
static void
upgrade_failed(const char *fmt, ...)
{
    char why[1024], err[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    bn_log_error(BN_LOG_ERR, NULL, 0, "upgrade failed: %s; pid %d keeps serving", why,
                 (int) getpid());
    answer(up_reply, "error upgrade failed: %s; the running master (pid %d) keeps serving", why,
           (int) getpid());
    if (up_told) {
        /* It had the pid file and the control socket, or was taking
         * them: they are ours again.  systemd was told it is the main
         * process, which only the main process can take back. */
        bn_log_error(BN_LOG_ALERT, NULL, 0,
                     "the new master went away while taking over; systemd may take the "
                     "service for stopped");
        main_process = true;
        bn_pidfile_write();
        close(ctl_fd);
        ctl_fd = bn_control_listen(conf->control_socket, err, sizeof(err));
        if (ctl_fd == -1) {
            bn_log_error(BN_LOG_ALERT, NULL, 0, "%s", err);
        }
    }
    upgrade_done();
}

/* The new master serves: this one's workers drain as on a reload (their
 * WebSocket tunnels to drain_timeout), and it exits when they are gone,
 * leaving the pid file and the control socket to the new one. */
static void
hand_over(void)
{
    bn_msec_t deadline = bn_current_msec + bn_conf_drain_time(conf) + KILL_GRACE_MSEC;

    bn_log_error(BN_LOG_NOTICE, NULL, 0,
                 "upgraded: pid %d (bouncer %s) serves; the workers of pid %d drain", (int) up_pid,
                 up_version, (int) getpid());
    answer(up_reply, "ok upgraded: pid %d, bouncer %s (was pid %d, bouncer %s)", (int) up_pid,
           up_version, (int) getpid(), BN_VERSION);
    upgrade_done();
    handed_over = true;
    quitting = true;
    close(ctl_fd);
    ctl_fd = -1;
    bn_listen_close_all(conf);
    for (size_t i = 0; i < nprocs; i++) {
        if (procs[i].pid != 0 && !procs[i].draining) {
            procs[i].draining = true;
            procs[i].drain_deadline = deadline;
            kill(procs[i].pid, SIGHUP);
        }
    }
    publish_procs();
    bn_proctitle_set("bouncer: master process (upgraded, draining) -c %s", conf->file);
}

/* What the new master says on the channel. */
static void
upgrade_message(void)
{
    char msg[2048];
    int rc;

    while (up_fd != -1 && (rc = bn_upgrade_recv(up_fd, msg, sizeof(msg))) == BN_OK) {
        if (strncmp(msg, "ready ", 6) == 0 && !up_told) {
            /* systemd first: with NotifyAccess=main it takes the new
             * master's READY=1 only once it knows it as the main process. */
            snprintf(up_version, sizeof(up_version), "%.63s", msg + 6);
            bn_notify("MAINPID=%d\nSTATUS=upgrading: pid %d takes over", (int) up_pid,
                      (int) up_pid);
            main_process = false;
            up_told = true;
            bn_upgrade_send(up_fd, "go");
        } else if (strcmp(msg, "serving") == 0 && up_told) {
            hand_over();
            return;
        } else {
            bn_log_error(BN_LOG_ERR, NULL, 0, "upgrade: %s", msg);
            answer(up_reply, "%s", msg);
        }
    }
    if (up_fd != -1 && rc == BN_DONE) {
        /* The outcome waits for its exit status. */
        close(up_fd);
        up_fd = -1;
    }
}

static void
upgrade_exited(int status)
{
    upgrade_message(); /* what it said before it went */
    if (up_pid == 0) {
        return;
    }
    if (WIFSIGNALED(status)) {
        upgrade_failed("the new master was killed by signal %s before it served",
                       signal_name(WTERMSIG(status)));
    } else {
        upgrade_failed("the new master exited with code %d before it served",
                       WEXITSTATUS(status));
    }
}

/* The new master's side: its first workers all accept; the old master
 * hears it is ready. */
static void
workers_ready(void)
{
    char buf[64];
    ssize_t n;

    while ((n = read(ready_rfd, buf, sizeof(buf))) > 0) {
        nready += (unsigned) n;
    }
    if (nready < conf->workers) {
        return;
    }
    close(ready_rfd);
    close(ready_wfd);
    ready_rfd = ready_wfd = -1;
    if (old_fd != -1) {
        bn_upgrade_send(old_fd, "ready %s", BN_VERSION);
    }
}

/* The new master's side: the old one said "go" (systemd knows us as the
 * main process now): the control socket and the pid file become ours. */
static void
take_over(void)
{
    char err[512];

    if (bn_control_rename(conf->control_socket) != BN_OK) {
        /* No socket of a temporary name (the path had no room for it). */
        if (ctl_fd != -1) {
            close(ctl_fd);
        }
        ctl_fd = bn_control_listen(conf->control_socket, err, sizeof(err));
        if (ctl_fd == -1) {
            bn_log_error(BN_LOG_ALERT, NULL, 0, "%s", err);
        }
    }
    bn_pidfile_write();
    main_process = true;
    bn_notify("READY=1\nMAINPID=%d\nSTATUS=serving: generation %u, %u workers", (int) getpid(),
              generation, conf->workers);
    bn_upgrade_send(old_fd, "serving");
    close(old_fd);
    old_fd = -1;
    bn_log_error(BN_LOG_NOTICE, NULL, 0, "upgrade done: pid %d serves", (int) getpid());
}

static void
old_master_message(void)
{
    char msg[256];
    int rc;

    while (old_fd != -1 && (rc = bn_upgrade_recv(old_fd, msg, sizeof(msg))) == BN_OK) {
        if (strcmp(msg, "go") == 0) {
            take_over();
            return;
        }
    }
    if (old_fd != -1 && rc == BN_DONE) {
        /* The old master gave up on this upgrade, or died: serving beside
         * it, unknown to it, would be worse than not at all. */
        bn_log_error(BN_LOG_ERR, NULL, 0, "the old master ended the upgrade; exiting");
        close(old_fd);
        old_fd = -1;
        begin_stop(false);
    }
}

/* The figures `bouncer status` adds, from the same counters as /metrics. */
static void
traffic_summary(int fd)
{
    static uint64_t last_total;
    static bn_msec_t last_at;
    size_t nseries, up = 0, npeers = 0;
    const bn_metric_series_t *series = bn_metrics_list(metrics, &nseries);
    uint64_t cls[5] = { 0 }, total = 0, hits = 0, lookups = 0, buckets[BN_METRICS_MAX_BUCKETS + 1];
    const bn_metric_series_t *shape = NULL;
    double p99 = -1;

    memset(buckets, 0, sizeof(buckets));
    for (size_t i = 0; i < nseries; i++) {
        const bn_metric_series_t *s = &series[i];
        if (s->retired) {
            continue;
        }
        if (s->kind == BN_MK_ROUTE) {
            for (unsigned c = 0; c < 5; c++) {
                cls[c] += bn_metrics_read(metrics, s->base + BN_MV_CLASS + c);
            }
            /* The latency of the series made with the running buckets. */
            if (s->nbuckets == conf->status.nbuckets) {
                shape = s;
                for (unsigned b = 0; b <= s->nbuckets; b++) {
                    buckets[b] += bn_metrics_read(metrics, s->base + BN_MV_ROUTE_HIST + b);
                }
            }
        } else if (s->kind == BN_MK_CACHE) {
            for (unsigned k = 0; k < BN_MV_CACHE_N; k++) {
                uint64_t n = bn_metrics_read(metrics, s->base + k);
                lookups += n;
                hits += k == BN_MV_CACHE_HIT || k == BN_MV_CACHE_STALE
                                || k == BN_MV_CACHE_UPDATING || k == BN_MV_CACHE_REVALIDATED
                            ? n
                            : 0;
            }
        }
    }
    for (unsigned c = 0; c < 5; c++) {
        total += cls[c];
    }
    if (shape != NULL && total > 0) {
        /* The upper bound of the bucket the 99th percentile falls in. */
        uint64_t want = (total * 99 + 99) / 100, cum = 0;
        for (unsigned b = 0; b <= shape->nbuckets; b++) {
            cum += buckets[b];
            if (cum >= want) {
                p99 = b < shape->nbuckets ? shape->bounds[b] / 1000.0 : -2;
                break;
            }
        }
    }
    answer(fd, "| requests: %" PRIu64 " (2xx %" PRIu64 ", 3xx %" PRIu64 ", 4xx %" PRIu64
               ", 5xx %" PRIu64 ")",
           total, cls[1], cls[2], cls[3], cls[4]);
    if (last_at != 0 && bn_current_msec > last_at) {
        answer(fd, "| rate: %.1f/s since the last status, %.1fs ago",
               (double) (total - last_total) * 1000.0 / (double) (bn_current_msec - last_at),
               (double) (bn_current_msec - last_at) / 1000.0);
    } else {
        time_t up_s = time(NULL) - started_at;
        answer(fd, "| rate: %.1f/s since start", up_s > 0 ? (double) total / (double) up_s : 0.0);
    }
    last_total = total;
    last_at = bn_current_msec;
    answer(fd, "| errors: %.2f%% 5xx", total > 0 ? 100.0 * (double) cls[4] / (double) total : 0.0);
    if (p99 >= 0) {
        answer(fd, "| p99: <= %.3fs", p99);
    } else if (p99 == -2) {
        answer(fd, "| p99: > %.3fs", shape->bounds[shape->nbuckets - 1] / 1000.0);
    } else {
        answer(fd, "| p99: -");
    }
    for (size_t i = 0; i < conf->nupstreams; i++) {
        const bn_conf_upstream_t *u = &conf->upstreams[i];
        char line[1024];
        bn_line_t l;
        bn_line_init(&l, line, sizeof(line));
        for (size_t k = 0; k < u->npeers; k++) {
            const char *h = bn_peer_health_name(&u->peers[k], bn_current_msec);
            npeers++;
            up += strcmp(h, "up") == 0 || strcmp(h, "trial") == 0;
            bn_line_printf(&l, "%s%s %s", k ? ", " : "", u->peers[k].label, h);
        }
        bn_line_mark_cut(&l, " ...");
        answer(fd, "| upstream %s: %s", u->name, line);
    }
    if (npeers > 0) {
        answer(fd, "| upstream servers up: %zu of %zu", up, npeers);
    }
    if (lookups > 0) {
        answer(fd, "| cache hit ratio: %.1f%% of %" PRIu64, 100.0 * (double) hits / (double) lookups,
               lookups);
    }
}

/* `bouncer status --json`: /status.json, on one line. */
static void
status_json_answer(int fd)
{
    bn_pool_t *pool = bn_pool_create(65536);
    const char *page = pool != NULL ? bn_status_page(conf, pool, BN_STATUS_JSON, "") : NULL;

    if (page == NULL) {
        answer(fd, "error out of memory");
    } else {
        size_t n = strlen(page), off = 0;
        /* A client that stops reading must not hold the master: it waits
         * at most this for room, then the answer is cut. */
        struct timeval tv = { 2, 0 };
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        /* answer() takes a line of its size: the page (which ends in a
         * newline) goes as it is. */
        if (send(fd, "| ", 2, MSG_NOSIGNAL) != 2) {
            off = n + 1;
        }
        while (off < n) {
            ssize_t w = send(fd, page + off, n - off, MSG_NOSIGNAL);
            if (w <= 0) {
                break;
            }
            off += (size_t) w;
        }
        if (off == n) {
            answer(fd, "ok");
        }
    }
    if (pool != NULL) {
        bn_pool_destroy(pool);
    }
}

static void
status_answer(int fd)
{
    char pids[1024];
    bn_line_t line;

    bn_line_init(&line, pids, sizeof(pids));
    for (size_t i = 0; i < nprocs; i++) {
        if (procs[i].pid != 0) {
            bn_line_printf(&line, "%s%d%s%s", line.len ? " " : "", (int) procs[i].pid,
                           procs[i].helper ? "(helper)" : "", procs[i].draining ? "(draining)" : "");
        }
    }
    bn_line_mark_cut(&line, " ...");
    answer(fd, "| bouncer is running");
    answer(fd, "| pid: %d", (int) getpid());
    answer(fd, "| generation: %u", generation);
    answer(fd, "| uptime: %lds", (long) (time(NULL) - started_at));
    answer(fd, "| workers: %s", pids);
    answer(fd, "| config: %s", conf->file);
    answer(fd, "| version: %s", BN_VERSION);
    config_status(fd);
    traffic_summary(fd);
    for (size_t i = 0; i < conf->ncache_zones; i++) {
        bn_cache_zone_t *z = conf->cache_zones[i].zone;
        size_t entries;
        uint64_t bytes;
        bn_cache_usage(z, &entries, &bytes);
        answer(fd, "| cache zone %s: %zu entries, %" PRIu64 " bytes, %" PRIu64 " failed writes",
               bn_cache_zone_name(z), entries, bytes, bn_cache_write_failures(z));
    }
    answer(fd, "ok");
}

/* "purge ZONE KEY" (ZONE "*": every zone). */
static void
purge_answer(int fd, const char *args)
{
    const char *sp = strchr(args, ' ');
    unsigned char key[BN_CACHE_KEY_LEN];
    size_t zlen, purged = 0, matched = 0;

    if (sp == NULL || sp[1] == '\0') {
        answer(fd, "error purge: expected a zone and a key");
        return;
    }
    zlen = (size_t) (sp - args);
    bn_cache_key(sp + 1, strlen(sp + 1), key);
    for (size_t i = 0; i < conf->ncache_zones; i++) {
        bn_conf_cache_zone_t *z = &conf->cache_zones[i];
        if (!(zlen == 1 && args[0] == '*')
            && !(strlen(z->name) == zlen && strncmp(z->name, args, zlen) == 0)) {
            continue;
        }
        matched++;
        if (bn_cache_remove(z->zone, key)) {
            answer(fd, "| purged from cache zone \"%s\"", z->name);
            purged++;
        }
    }
    if (matched == 0) {
        answer(fd, "error no cache zone named \"%.*s\"", (int) zlen, args);
    } else if (purged == 0) {
        answer(fd, "error nothing cached under \"%s\"", sp + 1);
    } else {
        bn_log_error(BN_LOG_NOTICE, NULL, 0, "purged \"%s\" from %zu cache zone%s", sp + 1, purged,
                     purged == 1 ? "" : "s");
        answer(fd, "ok");
    }
}

/* `bouncer rollback`, `history` and `check` ask which config runs. */
static void
config_answer(int fd)
{
    char hex[2 * BN_CONF_HASH_LEN + 1];
    unsigned of, seq = bn_history_running(&of);

    bn_conf_hash_hex(conf->sha256, hex);
    answer(fd, "| file %s", conf->file);
    answer(fd, "| sha256 %s", hex);
    answer(fd, "| entry %u", seq);
    answer(fd, "| rollback_of %u", of);
    answer(fd, "| config_history %u", conf->config_history);
    answer(fd, "ok");
}

/*
 * What status says of the config: the history entry running, and whether
 * the file still holds that config (hashed as it loads, so an edit of its
 * comments alone is no difference).
 */
static void
config_status(int fd)
{
    unsigned char sha[BN_CONF_HASH_LEN];
    unsigned of, seq = bn_history_running(&of);
    bool parses = bn_conf_hash_file(conf->file, sha) == BN_OK;
    bool same = parses && memcmp(sha, conf->sha256, sizeof(sha)) == 0;

    if (seq != 0 && of != 0) {
        answer(fd, "| config running: history entry %u, a rollback to entry %u%s", seq, of,
               same ? " (the same as the file)" : "");
    } else if (seq != 0) {
        answer(fd, "| config running: history entry %u", seq);
    }
    if (!parses) {
        answer(fd, "| config file: it differs from the running config: it does not parse now "
                   "(`bouncer check` says why)");
    } else if (!same && of != 0) {
        answer(fd, "| config file: it differs from the running config (the rollback did not write "
                   "it): `bouncer reload` loads the file, `bouncer rollback --write 0` writes the "
                   "running config to it");
    } else if (!same) {
        answer(fd, "| config file: it differs from the running config (changed since it loaded): "
                   "`bouncer reload` loads it");
    }
}

/* "rollback N" or "rollback N write": see bn_history_number(). */
static void
rollback_answer(int fd, const char *args)
{
    char *end, from[PATH_MAX], err[512];
    unsigned long n = strtoul(args, &end, 10);
    bool write_back = strcmp(end, " write") == 0;
    const bn_history_entry_t *e = NULL;
    unsigned of, running = bn_history_running(&of);
    bn_history_t h;
    char *dir;
    int most = 0;

    if (args[0] < '0' || args[0] > '9' || (*end != '\0' && !write_back) || n > 1000000) {
        answer(fd, "error rollback: expected the number of configs to go back (1, 2, ...)");
        return;
    }
    if (conf->config_history == 0) {
        answer(fd, "error config_history = 0 in the running config: no history is kept, so "
                   "there is nothing to roll back to (bouncer.conf.last-good is the config "
                   "that loaded last)");
        return;
    }
    if (n == 0 && !write_back) {
        answer(fd, "error rollback 0 is the running config: `bouncer rollback --write 0` "
                   "writes it to the config file");
        return;
    }
    dir = bn_history_dir(conf->pid_file);
    if (dir == NULL) {
        answer(fd, "error out of memory");
        return;
    }
    if (bn_history_read(dir, &h, err, sizeof(err)) != BN_OK) {
        answer(fd, "error %s", err);
        bn_history_free(&h);
        return;
    }
    for (size_t i = 0; i < h.n; i++) {
        int k = bn_history_number(&h, running, i);
        most = BN_MAX(most, k);
        if (k == (int) n && (n > 0 || running != 0)) {
            e = &h.entries[i];
        }
    }
    if (e == NULL && n == 0) {
        answer(fd, "error the running config is not in the history (see the error log)");
    } else if (e == NULL && most == 0 && h.n <= 1) {
        answer(fd, "error rollback %lu: there is no config before the running one in the "
                   "history: it holds only the running one (`bouncer history` lists it)", n);
    } else if (e == NULL && most == 0) {
        /* The running config is a rollback to the oldest entry kept: the
         * others are newer than it, not before it. */
        answer(fd, "error rollback %lu: there is no config before the running one in the "
                   "history: of the %zu configs it holds, none is older than the one the "
                   "running config rolled back to (`bouncer history` lists them)", n, h.n);
    } else if (e == NULL) {
        answer(fd,
               "error rollback %lu: there %s only %d config%s before the running one in the "
               "history (`bouncer history` lists them)",
               n, most == 1 ? "is" : "are", most, most == 1 ? "" : "s");
    } else if (strcmp(e->file, conf->file) != 0) {
        answer(fd, "error history entry %u was loaded as \"%s\", not as the running \"%s\"", e->seq,
               e->file, conf->file);
    } else if (n > 0
               && (snprintf(from, sizeof(from), "%s/%06u/loaded.conf", h.dir, e->seq),
                   reload(fd, from, e->seq) != BN_OK)) {
        /* reload() said why. */
    } else if (write_back && bn_history_write_back(&h, e, answer, fd) != BN_OK) {
        /* bn_history_write_back() said why. */
    } else {
        answer(fd, "ok");
    }
    bn_history_free(&h);
}

static void
control_client(void)
{
    char cmd[4352];
    ssize_t n;
    struct timeval tv = { .tv_sec = 2 };
    int fd = accept4(ctl_fd, NULL, NULL, SOCK_CLOEXEC);

    if (fd == -1) {
        return;
    }
    /* The client writes its line at once; never wait on it for long. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    n = recv(fd, cmd, sizeof(cmd) - 1, 0);
    if (n <= 0) {
        close(fd);
        return;
    }
    cmd[n] = '\0';
    cmd[strcspn(cmd, "\r\n")] = '\0';
    client_fd = fd; /* workers forked while answering must not hold it */
    if (strcmp(cmd, "reload") == 0) {
        reload(fd, NULL, 0);
    } else if (strncmp(cmd, "rollback ", 9) == 0) {
        rollback_answer(fd, cmd + 9);
    } else if (strcmp(cmd, "config") == 0) {
        config_answer(fd);
    } else if (strcmp(cmd, "reopen") == 0) {
        reopen_logs();
        answer(fd, "ok");
    } else if (strcmp(cmd, "status") == 0) {
        status_answer(fd);
    } else if (strcmp(cmd, "status json") == 0) {
        status_json_answer(fd);
    } else if (strncmp(cmd, "purge ", 6) == 0) {
        purge_answer(fd, cmd + 6);
    } else if (strcmp(cmd, "upgrade") == 0) {
        if (upgrade_start(fd)) {
            client_fd = -1;
            return; /* answered with the outcome */
        }
    } else if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "quit") == 0) {
        int *w = realloc(waiters, (nwaiters + 1) * sizeof(int));
        if (w != NULL) {
            waiters = w;
            waiters[nwaiters++] = fd;
            begin_stop(strcmp(cmd, "quit") == 0);
            client_fd = -1;
            return; /* answered when the master exits */
        }
        begin_stop(strcmp(cmd, "quit") == 0);
        answer(fd, "ok");
    } else {
        answer(fd, "error unknown command \"%s\"", cmd);
    }
    client_fd = -1;
    close(fd);
}

static void
handle_signal(void)
{
    struct signalfd_siginfo si;

    while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGHUP:
            reload(-1, NULL, 0);
            break;
        case SIGQUIT:
            begin_stop(true);
            break;
        case SIGTERM:
        case SIGINT:
            begin_stop(false);
            break;
        case SIGUSR1:
            reopen_logs();
            break;
        case SIGUSR2:
            upgrade_start(-1);
            break;
        case SIGCHLD:
            reap();
            break;
        default:
            break;
        }
    }
}

/* Milliseconds until the next thing the master must do by time. */
static int
next_deadline(void)
{
    bn_msec_t next = 0;

    for (unsigned i = 0; slots != NULL && i <= conf->workers; i++) {
        if (slots[i].respawn_at != 0 && (next == 0 || slots[i].respawn_at < next)) {
            next = slots[i].respawn_at;
        }
    }
    for (size_t i = 0; i < nprocs; i++) {
        if (procs[i].pid != 0 && procs[i].draining
            && (next == 0 || procs[i].drain_deadline < next)) {
            next = procs[i].drain_deadline;
        }
    }
    if (ticket_rotate_at != 0 && (next == 0 || ticket_rotate_at < next)) {
        next = ticket_rotate_at;
    }
    if (up_pid != 0 && (next == 0 || up_deadline < next)) {
        next = up_deadline;
    }
    if (next == 0) {
        return 60000;
    }
    return next <= bn_current_msec ? 0 : (int) BN_MIN(next - bn_current_msec, 60000u);
}

static void
run_deadlines(void)
{
    if (up_pid != 0 && up_deadline <= bn_current_msec) {
        /* Stuck, or far too slow: its workers follow it out (their
         * parent-death signal), finishing what they took. */
        kill(up_pid, SIGKILL);
        upgrade_failed("the new master was not serving after upgrade_timeout (%" PRIu64
                       "ms); killed it",
                       conf->upgrade_timeout);
    }
    if (ticket_rotate_at != 0 && ticket_rotate_at <= bn_current_msec) {
        bn_tls_rotate_ticket_keys();
        bn_log_error(BN_LOG_INFO, NULL, 0, "TLS session ticket keys rotated");
        schedule_ticket_rotation();
    }
    for (unsigned i = 0; slots != NULL && i <= conf->workers; i++) {
        if (slots[i].respawn_at != 0 && slots[i].respawn_at <= bn_current_msec) {
            slots[i].respawn_at = 0;
            if (!stopping && !quitting) {
                spawn_worker(i);
            }
        }
    }
    for (size_t i = 0; i < nprocs; i++) {
        if (procs[i].pid != 0 && procs[i].draining && procs[i].drain_deadline <= bn_current_msec) {
            bn_log_error(BN_LOG_WARN, NULL, 0, "worker process %d did not exit in time; killing it",
                         (int) procs[i].pid);
            kill(procs[i].pid, SIGKILL);
            procs[i].drain_deadline = bn_current_msec + KILL_GRACE_MSEC;
        }
    }
}

static void
master_loop(void)
{
    struct pollfd pfd[5];

    for (;;) {
        /* A negative fd is left out by poll(): the upgrade's are open
         * only while one is under way. */
        int fds[] = { sig_fd, ctl_fd, up_fd, old_fd, ready_rfd };
        for (size_t i = 0; i < BN_NELEMS(pfd); i++) {
            pfd[i].fd = fds[i];
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
        }
        if (poll(pfd, BN_NELEMS(pfd), next_deadline()) == -1 && errno != EINTR) {
            bn_log_error(BN_LOG_ALERT, NULL, errno, "poll() failed");
        }
        bn_time_update();
        if (pfd[0].revents & POLLIN) {
            handle_signal();
        }
        if ((pfd[1].revents & POLLIN) && !stopping && ctl_fd != -1) {
            control_client();
        }
        if (pfd[2].revents != 0 && up_fd == pfd[2].fd) {
            upgrade_message();
        }
        if (pfd[3].revents != 0 && old_fd == pfd[3].fd) {
            old_master_message();
        }
        if (pfd[4].revents != 0 && ready_rfd == pfd[4].fd) {
            workers_ready();
        }
        run_deadlines();
        if ((stopping || quitting) && live_workers() == 0) {
            return;
        }
    }
}

/* Why the master could not start: on stderr and, for a master started by
 * an upgrade, to the old one, whose `bouncer upgrade` prints it. */
static void start_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
start_error(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", buf);
    if (old_fd != -1) {
        bn_upgrade_send(old_fd, "%s", buf);
    }
}

/*
 * The control socket.  A master started by an upgrade binds it under a
 * temporary name (PATH.new) while the old master still answers at PATH,
 * and renames it over PATH when it takes over (take_over()).
 */
static int
control_open(char *err, size_t errlen)
{
    char tmp[sizeof(((struct sockaddr_un *) 0)->sun_path)];
    int n;

    if (old_fd == -1) {
        return bn_control_listen(conf->control_socket, err, errlen);
    }
    n = snprintf(tmp, sizeof(tmp), "%s.new", conf->control_socket);
    if (n < 0 || (size_t) n >= sizeof(tmp)) {
        return -2; /* no room for the name: bound at PATH when taking over */
    }
    return bn_control_listen(tmp, err, errlen);
}

int
bn_master_start(const char *conf_path, bool foreground)
{
    /* Static: kept reachable on the early returns below, until the log
     * they go to is open. */
    static bn_conf_errors_t warns;
    bn_conf_errors_t errs = { 0 };
    char err[512];
    sigset_t set;
    int efd, afd, pid_fd = -1;

    bn_time_update();
    bn_notify_init();
    old_fd = bn_upgrade_inherit(&pid_fd);
    main_process = old_fd == -1;
    conf = bn_conf_load_warn(conf_path, &errs, &warns);
    if (conf == NULL) {
        for (size_t i = 0; i < errs.n; i++) {
            start_error("%s", errs.lines[i]);
        }
        start_error("bouncer: configuration has errors; not started");
        bn_conf_errors_free(&errs);
        return 1;
    }
    if (!conf->daemon) {
        foreground = true;
    }
    bn_log_level = conf->error_log_level;
    if ((old_fd != -1 ? bn_pidfile_adopt(pid_fd, conf->pid_file, err, sizeof(err))
                      : bn_pidfile_lock(conf->pid_file, err, sizeof(err)))
        != BN_OK) {
        start_error("bouncer: %s", err);
        return 1;
    }
    if (bn_worker_identity(conf, &w_uid, &w_gid, &w_drop) != BN_OK) {
        if (old_fd != -1) {
            bn_upgrade_send(old_fd, "bouncer: no user \"%s\" or group \"%s\"", conf->user,
                            conf->group);
        }
        bn_pidfile_remove();
        return 1;
    }
    /* forward.cache's zone: mapped always (untouched pages cost nothing),
     * its size fixed at start like the other shared zones. */
    if (bn_peers_create() != BN_OK || bn_tls_shared_create() != BN_OK
        || bn_auth_cache_create(conf->auth_cache_memory) != BN_OK) {
        start_error("bouncer: cannot map shared memory: %s", strerror(errno));
        bn_pidfile_remove();
        return 1;
    }
    if (old_fd != -1) {
        bn_upgrade_take_listeners(conf);
    }
    if (prepare_shared(conf, w_uid, w_gid, w_drop, &errs) != BN_OK
        || bn_listen_open(conf, NULL, &errs) != BN_OK) {
        for (size_t i = 0; i < errs.n; i++) {
            start_error("%s", errs.lines[i]);
        }
        bn_conf_errors_free(&errs);
        bn_pidfile_remove();
        return 1;
    }
    if (bn_open_logs(conf, w_uid, w_gid, w_drop, &efd, &afd, err, sizeof(err)) != BN_OK) {
        start_error("bouncer: %s", err);
        bn_pidfile_remove();
        return 1;
    }
    commit_shared(conf);
    set_master_logs(efd, afd);
    bn_raise_nofile(conf);
    /* A master started by an upgrade is the old one's child, already
     * detached (or not) as it was. */
    if (!foreground && old_fd == -1 && bn_daemonize(&ready_fd) != BN_OK) {
        fprintf(stderr, "bouncer: cannot daemonize: %s\n", strerror(errno));
        return 1;
    }
    bn_log_stderr_too = foreground;
    /* Once, at start, where the operator looks first; a reload logs only
     * their count. */
    for (size_t i = 0; i < warns.n; i++) {
        bn_log_error(BN_LOG_WARN, NULL, 0, "%s", warns.lines[i]);
    }
    bn_conf_errors_free(&warns);
    if (old_fd == -1 && bn_pidfile_write() != BN_OK) {
        return 1;
    }
    ctl_fd = control_open(err, sizeof(err));
    if (ctl_fd == -1) {
        bn_log_error(BN_LOG_EMERG, NULL, 0, "%s", err);
        if (ready_fd != -1) {
            dprintf(ready_fd, "bouncer: %s\n", err);
        }
        if (old_fd != -1) {
            bn_upgrade_send(old_fd, "bouncer: %s", err);
        }
        bn_pidfile_remove();
        return 1;
    }
    ctl_fd = ctl_fd == -2 ? -1 : ctl_fd;

    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sig_fd == -1) {
        bn_log_error(BN_LOG_EMERG, NULL, errno, "signalfd() failed");
        bn_control_remove();
        bn_pidfile_remove();
        return 1;
    }
    /* The workers of the first generation each say when they accept: the
     * old master lets its own go only then. */
    if (old_fd != -1) {
        int p[2];
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1) {
            start_error("bouncer: pipe() failed: %s", strerror(errno));
            bn_control_remove();
            bn_pidfile_remove();
            return 1;
        }
        ready_rfd = p[0];
        ready_wfd = p[1];
    }

    bn_load_secret(conf, bn_heritage.secret, sizeof(bn_heritage.secret));
    schedule_ticket_rotation();
    bn_proctitle_set("bouncer: master process -c %s", conf->file);
    started_at = time(NULL);
    generation = 1;
    conf->loaded_at = started_at;
    publish_config();
    slots = calloc(conf->workers + 1, sizeof(slot_t));
    /* Before the workers: once they accept, an upgrade is answered, and
     * `bouncer history` must then show what this master runs. */
    save_history(0, -1);
    spawn_generation();
    bn_log_error(BN_LOG_NOTICE, NULL, 0, "bouncer %s started: pid %d, %u workers%s", BN_VERSION,
                 (int) getpid(), conf->workers,
                 old_fd != -1 ? " (an upgrade: taking over once they accept)" : "");
    if (old_fd == -1) {
        bn_notify("READY=1\nMAINPID=%d\nSTATUS=serving: generation %u, %u workers",
                  (int) getpid(), generation, conf->workers);
    }
    if (ready_fd != -1) {
        if (write(ready_fd, "ok", 2) == -1) {
            /* The starting command went away; nothing to tell. */
        }
        close(ready_fd);
        ready_fd = -1;
        dup2(STDIN_FILENO, STDERR_FILENO); /* /dev/null from now on */
    }

    master_loop();

    bn_log_error(BN_LOG_NOTICE, NULL, 0, "exiting");
    if (ctl_fd != -1) {
        close(ctl_fd);
    }
    bn_control_remove();
    bn_pidfile_remove();
    bn_listen_close_all(conf);
    for (size_t i = 0; i < nwaiters; i++) {
        answer(waiters[i], "ok stopped");
        close(waiters[i]);
    }
    free(waiters);
    free(procs);
    free(slots);
    int fds[] = { up_fd, up_reply, old_fd, ready_rfd, ready_wfd, sig_fd };
    for (size_t i = 0; i < BN_NELEMS(fds); i++) {
        if (fds[i] != -1) {
            close(fds[i]);
        }
    }
    bn_conf_free(conf);
    return 0;
}
