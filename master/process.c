/*
 * process.c: what the master does for the process as a whole: the pid file
 * and its lock, daemonizing, the descriptor limit, the worker user, and the
 * log files it opens for workers before they lose the right to.
 */
#include "process.h"

#include <openssl/rand.h>

#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

static int pid_fd = -1;
static char *pid_path;

/* mkdir -p for the folder that will hold path. */
static int
make_parent_dirs(const char *path)
{
    char buf[4096];
    char *p;

    if (strlen(path) >= sizeof(buf)) {
        return BN_ERROR;
    }
    strcpy(buf, path);
    p = strrchr(buf, '/');
    if (p == NULL || p == buf) {
        return BN_OK;
    }
    *p = '\0';
    for (p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
                return BN_ERROR;
            }
            *p = '/';
        }
    }
    if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
        return BN_ERROR;
    }
    return BN_OK;
}

pid_t
bn_pidfile_read(const char *path)
{
    char buf[32];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        return -1;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return -1;
    }
    buf[n] = '\0';
    return (pid_t) atol(buf);
}

/*
 * Takes the pid file's lock (flock, which fork passes on with the open file,
 * so the daemonized master keeps it).  A live bouncer holding it means we
 * must not start; a stale file from a crash is simply reused.
 */
int
bn_pidfile_lock(const char *path, char *err, size_t errlen)
{
    make_parent_dirs(path);
    pid_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (pid_fd == -1) {
        snprintf(err, errlen, "cannot open the pid file \"%s\": %s", path, strerror(errno));
        return BN_ERROR;
    }
    if (flock(pid_fd, LOCK_EX | LOCK_NB) == -1) {
        pid_t pid = bn_pidfile_read(path);
        if (errno == EWOULDBLOCK) {
            snprintf(err, errlen, "bouncer is already running (pid %d, pid file \"%s\")", (int) pid,
                     path);
        } else {
            snprintf(err, errlen, "cannot lock the pid file \"%s\": %s", path, strerror(errno));
        }
        close(pid_fd);
        pid_fd = -1;
        return BN_ERROR;
    }
    free(pid_path);
    pid_path = strdup(path);
    return BN_OK;
}

int
bn_pidfile_write(void)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());

    if (ftruncate(pid_fd, 0) == -1 || pwrite(pid_fd, buf, (size_t) n, 0) != n) {
        bn_log_error(BN_LOG_EMERG, NULL, errno, "cannot write the pid file \"%s\"", pid_path);
        return BN_ERROR;
    }
    return BN_OK;
}

/*
 * The lock is on the open file, which an upgrade hands to the new master
 * (the old one's descriptor, inherited across exec): the old master then
 * exits with the file naming the new one, and must leave it; so must a new
 * master that fails while the file still names the old one.  A stale pid,
 * or none, is ours to remove.
 */
void
bn_pidfile_remove(void)
{
    if (pid_fd != -1) {
        pid_t pid = bn_pidfile_read(pid_path);
        if (pid <= 0 || pid == getpid() || (kill(pid, 0) == -1 && errno == ESRCH)) {
            unlink(pid_path);
        }
        close(pid_fd);
        pid_fd = -1;
    }
    free(pid_path);
    pid_path = NULL;
}

int
bn_pidfile_adopt(int fd, const char *path, char *err, size_t errlen)
{
    struct stat a, b;

    if (fstat(fd, &a) == -1 || stat(path, &b) == -1 || a.st_dev != b.st_dev
        || a.st_ino != b.st_ino) {
        snprintf(err, errlen,
                 "the pid file \"%s\" is not the running master's: pid_file cannot change "
                 "on upgrade (restart bouncer for that)",
                 path);
        return BN_ERROR;
    }
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 || (pid_path = strdup(path)) == NULL) {
        snprintf(err, errlen, "cannot keep the pid file: %s", strerror(errno));
        return BN_ERROR;
    }
    pid_fd = fd;
    return BN_OK;
}

int
bn_pidfile_fd(void)
{
    return pid_fd;
}

/*
 * Detaches from the terminal.  The parent waits on *ready_fd's other end for
 * the daemon to say it started, so `bouncer start` reports a failure that
 * happens after the fork too; it never returns to the caller.
 */
int
bn_daemonize(int *ready_fd)
{
    int p[2], fd;
    pid_t pid;
    char buf[1024];
    ssize_t n;
    size_t got = 0;

    if (pipe2(p, O_CLOEXEC) == -1) {
        return BN_ERROR;
    }
    pid = fork();
    if (pid == -1) {
        return BN_ERROR;
    }
    if (pid > 0) {
        close(p[1]);
        while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0) {
            got += (size_t) n;
            if (got >= 2 && strncmp(buf, "ok", 2) == 0) {
                break;
            }
        }
        buf[got] = '\0';
        if (strncmp(buf, "ok", 2) == 0) {
            _exit(0);
        }
        fprintf(stderr, "%s", got > 0 ? buf : "bouncer: the daemon exited during start\n");
        _exit(1);
    }
    close(p[0]);
    if (setsid() == -1) {
        return BN_ERROR;
    }
    fd = open("/dev/null", O_RDWR);
    if (fd != -1) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        if (fd > STDERR_FILENO) {
            close(fd);
        }
    }
    *ready_fd = p[1];
    return BN_OK;
}

void
bn_raise_nofile(bn_conf_t *conf)
{
    struct rlimit rl;
    rlim_t want = (rlim_t) conf->worker_connections + 256;

    if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
        return;
    }
    if (rl.rlim_cur < want) {
        /* Up to the hard limit, never beyond: that is the operator's call. */
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
            bn_log_error(BN_LOG_WARN, NULL, errno, "setrlimit(RLIMIT_NOFILE) failed");
        }
    }
    if (rl.rlim_cur < (rlim_t) conf->worker_connections + 32) {
        bn_log_error(
            BN_LOG_WARN, NULL, 0,
            "the descriptor limit (%llu, hard limit %llu) is below what "
            "worker_connections = %u needs; workers will pause accepting when they run out",
            (unsigned long long) rl.rlim_cur, (unsigned long long) rl.rlim_max,
            conf->worker_connections);
    }
}

int
bn_worker_identity(bn_conf_t *conf, uid_t *uid, gid_t *gid, bool *drop)
{
    struct passwd *pw;
    struct group *gr;

    *drop = geteuid() == 0;
    *uid = geteuid();
    *gid = getegid();
    if (!*drop) {
        return BN_OK;
    }
    pw = getpwnam(conf->user);
    gr = getgrnam(conf->group);
    if (pw == NULL || gr == NULL) {
        bn_log_error(BN_LOG_EMERG, NULL, 0, "no user \"%s\" or group \"%s\"", conf->user,
                     conf->group);
        return BN_ERROR;
    }
    *uid = pw->pw_uid;
    *gid = gr->gr_gid;
    return BN_OK;
}

/* Whether a process of uid, in the groups "groups", may add, remove and
 * rename entries of the folder that st describes. */
static bool
can_write_dir(const struct stat *st, uid_t uid, const gid_t *groups, int ngroups)
{
    if (st->st_uid == uid) {
        return (st->st_mode & S_IWUSR) != 0;
    }
    for (int i = 0; i < ngroups; i++) {
        if (st->st_gid == groups[i]) {
            return (st->st_mode & S_IWGRP) != 0;
        }
    }
    return (st->st_mode & S_IWOTH) != 0;
}

/*
 * From the folder dir up to "/": the workers could swap the entry below any
 * folder they may write, except under the sticky bit (as /tmp has) an entry
 * that is not theirs in a folder that is not theirs.  The first folder, the
 * one that holds path, must not be theirs at all: root creates or opens the
 * entry there.  dir is cut short as the walk goes up.
 */
static int
check_folders(char *dir, const char *path, const char *user, uid_t uid, const gid_t *groups,
              int ngroups, char *err, size_t errlen)
{
    uid_t child_uid = 0;
    bool parent = true;
    struct stat st;
    char *slash;

    for (;;) {
        if (stat(dir, &st) == -1) {
            snprintf(err, errlen, "cannot stat \"%s\": %s", dir, strerror(errno));
            return BN_ERROR;
        }
        if (can_write_dir(&st, uid, groups, ngroups)
            && (parent || !(st.st_mode & S_ISVTX) || st.st_uid == uid || child_uid == uid)) {
            snprintf(err, errlen,
                     "refusing \"%s\": the folder \"%s\" can be written by user \"%s\", "
                     "who the workers run as (a worker could put a symbolic link there)",
                     path, dir, user);
            return BN_ERROR;
        }
        slash = strrchr(dir, '/');
        if (slash == NULL || strcmp(dir, "/") == 0) {
            return BN_OK;
        }
        child_uid = st.st_uid;
        parent = false;
        slash[slash == dir ? 1 : 0] = '\0';
    }
}

int
bn_path_safe_from_workers(const char *path, const char *user, uid_t uid, gid_t gid, char *err,
                          size_t errlen)
{
    char *copy = NULL, *real = NULL;
    gid_t small[64], *groups = small;
    int ngroups = 64, rc = BN_ERROR;

    if (uid == 0) {
        return BN_OK;
    }
    if (getgrouplist(user, gid, groups, &ngroups) == -1) {
        groups = malloc((size_t) ngroups * sizeof(*groups));
        if (groups == NULL || getgrouplist(user, gid, groups, &ngroups) == -1) {
            snprintf(err, errlen, "cannot list the groups of user \"%s\"", user);
            free(groups);
            return BN_ERROR;
        }
    }
    /* The folders as written (a link among them may be the workers'), and
     * as they resolve (where the entry really is). */
    copy = strdup(path);
    if (copy == NULL || (real = realpath(dirname(copy), NULL)) == NULL) {
        snprintf(err, errlen, "cannot find the folder of \"%s\": %s", path, strerror(errno));
        goto done;
    }
    free(copy);
    copy = strdup(path);
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (check_folders(dirname(copy), path, user, uid, groups, ngroups, err, errlen) != BN_OK
        || check_folders(real, path, user, uid, groups, ngroups, err, errlen) != BN_OK) {
        goto done;
    }
    rc = BN_OK;
done:
    free(real);
    free(copy);
    if (groups != small) {
        free(groups);
    }
    return rc;
}

/* What an open(2) of a path bouncer does not follow links at failed with. */
const char *
bn_nofollow_strerror(int err)
{
    return err == ELOOP ? "it is a symbolic link, which bouncer does not follow there"
                        : strerror(err);
}

/*
 * Opens a log for appending; when the workers run as another user, gives it
 * to them.  Root then neither follows a symbolic link at path nor opens one
 * in a folder they can write.
 */
static int
open_log(bn_conf_t *conf, const char *path, uid_t uid, gid_t gid, bool chown_it, char *err,
         size_t errlen)
{
    struct stat st;
    int fd;

    make_parent_dirs(path);
    if (chown_it
        && bn_path_safe_from_workers(path, conf->user, uid, gid, err, errlen) != BN_OK) {
        return -1;
    }
    fd = bn_log_open_file(path, chown_it);
    if (fd == -1) {
        snprintf(err, errlen, "cannot open the log \"%s\": %s", path,
                 chown_it ? bn_nofollow_strerror(errno) : strerror(errno));
        return -1;
    }
    /* Workers reopen logs themselves on `reopen`: the file must be theirs.
     * Not a device or a pipe the operator named (/dev/null stays root's). */
    if (chown_it && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fchown(fd, uid, gid) == -1) {
        bn_log_error(BN_LOG_WARN, NULL, errno, "cannot chown \"%s\"", path);
    }
    return fd;
}

int
bn_open_logs(bn_conf_t *conf, uid_t uid, gid_t gid, bool chown_them, int *error_fd, int *access_fd,
             char *err, size_t errlen)
{
    *access_fd = -1;
    *error_fd = open_log(conf, conf->error_log, uid, gid, chown_them, err, errlen);
    if (*error_fd == -1) {
        return BN_ERROR;
    }
    if (conf->access_format != BN_ACCESS_OFF) {
        *access_fd = open_log(conf, conf->access_log, uid, gid, chown_them, err, errlen);
        if (*access_fd == -1) {
            close(*error_fd);
            *error_fd = -1;
            return BN_ERROR;
        }
    }
    return BN_OK;
}

/*
 * The key of sticky cookies, beside the pid file: kept there so a restart
 * does not move every pinned client.  Made on first start (root-only file).
 */
void
bn_load_secret(bn_conf_t *conf, unsigned char *key, size_t len)
{
    char path[4096], *copy = strdup(conf->pid_file);
    int fd;

    if (RAND_bytes(key, (int) len) != 1) {
        bn_log_error(BN_LOG_WARN, NULL, 0, "RAND_bytes() failed; sticky cookies are weakly keyed");
    }
    if (copy == NULL) {
        return;
    }
    snprintf(path, sizeof(path), "%s/bouncer.secret", dirname(copy));
    free(copy);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd != -1) {
        unsigned char buf[64];
        ssize_t n = read(fd, buf, sizeof(buf));
        close(fd);
        if (n == (ssize_t) len) {
            memcpy(key, buf, len);
            return;
        }
        bn_log_error(BN_LOG_WARN, NULL, 0, "\"%s\" is not a %zu-byte key; making a new one", path,
                     len);
        unlink(path);
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1 || write(fd, key, len) != (ssize_t) len) {
        bn_log_error(BN_LOG_WARN, NULL, errno,
                     "cannot keep the sticky cookie key in \"%s\": cookies will not survive "
                     "a restart",
                     path);
    }
    if (fd != -1) {
        close(fd);
    }
}
