/*
 * upgrade.c: the mechanics of `bouncer upgrade` (SIGUSR2), both ends.  The
 * running master starts the binary it was started from as a new master,
 * which inherits across exec the listening sockets, the pid file's open
 * file (its lock with it) and one end of a channel; the environment says
 * which descriptors they are, as nginx's NGINX variable does:
 *
 *   BOUNCER_LISTEN_FDS="127.0.0.1:8080=5;[::1]:8443=6"  the listeners
 *   BOUNCER_PID_FD=7                                   the pid file
 *   BOUNCER_UPGRADE_FD=8                               the channel
 *
 * The channel is a SOCK_SEQPACKET pair: each message is one line, and a
 * closed end reads as end of file.  The new master sends its errors as
 * lines, then "ready VERSION" once its workers accept; the old master
 * answers "go" once systemd has heard the new MAINPID; the new one takes
 * the pid file and the control socket and answers "serving".  master.c
 * drives those steps; this file starts the process and reads what it
 * inherited.
 */
#include "upgrade.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

extern char **environ;

#define ENV_LISTEN "BOUNCER_LISTEN_FDS"
#define ENV_PID "BOUNCER_PID_FD"
#define ENV_CHANNEL "BOUNCER_UPGRADE_FD"

/* The binary and argv this master was started with: the path is resolved
 * at start, since `make install` may replace the file later (and
 * /proc/self/exe then names the deleted one). */
static char *exe_path;
static char **exe_argv;

/* What a new master inherited: the listeners not yet claimed. */
typedef struct {
    int fd;
    bn_addr_t addr;
} inherited_t;

static inherited_t *inherited;
static size_t ninherited;

/* Closes the inherited listeners no listener of the config took. */
static void
close_unclaimed(void)
{
    for (size_t k = 0; k < ninherited; k++) {
        if (inherited[k].fd != -1) {
            close(inherited[k].fd);
        }
    }
    free(inherited);
    inherited = NULL;
    ninherited = 0;
}

void
bn_upgrade_save_exe(int argc, char **argv)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

    if (n <= 0 || (exe_argv = calloc((size_t) argc + 1, sizeof(char *))) == NULL) {
        return;
    }
    buf[n] = '\0';
    exe_path = strdup(buf);
    for (int i = 0; i < argc; i++) {
        exe_argv[i] = strdup(argv[i]);
    }
}

void
bn_upgrade_free_exe(void)
{
    close_unclaimed(); /* a master that failed before it took its listeners */
    for (size_t i = 0; exe_argv != NULL && exe_argv[i] != NULL; i++) {
        free(exe_argv[i]);
    }
    free(exe_argv);
    exe_argv = NULL;
    free(exe_path);
    exe_path = NULL;
}

const char *
bn_upgrade_exe(void)
{
    return exe_path != NULL ? exe_path : "(unknown)";
}

/* "NAME=value" in a malloc'd string; NULL when out of memory. */
static char *
env_entry(const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 2;
    char *e = malloc(n);

    if (e != NULL) {
        snprintf(e, n, "%s=%s", name, value);
    }
    return e;
}

pid_t
bn_upgrade_exec(const bn_conf_t *conf, int pid_fd, int *channel, char *err, size_t errlen)
{
    char **envp = NULL, *listen_fds = NULL, num[16];
    size_t nenv = 0, len = 1, k = 0;
    int sv[2] = { -1, -1 };
    pid_t pid = -1;
    bn_line_t l;
    sigset_t none;

    if (exe_path == NULL || exe_argv == NULL || exe_argv[0] == NULL) {
        snprintf(err, errlen, "the path of the running binary is not known");
        return -1;
    }
    for (size_t i = 0; i < conf->nlistens; i++) {
        len += strlen(conf->listens[i].addr.text) + 16;
    }
    while (environ[nenv] != NULL) {
        nenv++;
    }
    listen_fds = malloc(len);
    envp = calloc(nenv + 4, sizeof(char *));
    if (listen_fds == NULL || envp == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    bn_line_init(&l, listen_fds, len);
    for (size_t i = 0; i < conf->nlistens; i++) {
        if (conf->listens[i].fd != -1) {
            bn_line_printf(&l, "%s%s=%d", l.len ? ";" : "", conf->listens[i].addr.text,
                           conf->listens[i].fd);
        }
    }
    /* Our own variables, from the upgrade that started us, are not passed
     * on: the new master hears only of its own descriptors. */
    for (size_t i = 0; i < nenv; i++) {
        if (strncmp(environ[i], "BOUNCER_", 8) != 0
            || (strncmp(environ[i], ENV_LISTEN "=", sizeof(ENV_LISTEN)) != 0
                && strncmp(environ[i], ENV_PID "=", sizeof(ENV_PID)) != 0
                && strncmp(environ[i], ENV_CHANNEL "=", sizeof(ENV_CHANNEL)) != 0)) {
            envp[k++] = environ[i];
        }
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
        snprintf(err, errlen, "socketpair() failed: %s", strerror(errno));
        goto done;
    }
    snprintf(num, sizeof(num), "%d", pid_fd);
    envp[k] = env_entry(ENV_PID, num);
    snprintf(num, sizeof(num), "%d", sv[1]);
    envp[k + 1] = env_entry(ENV_CHANNEL, num);
    envp[k + 2] = env_entry(ENV_LISTEN, listen_fds);
    if (envp[k] == NULL || envp[k + 1] == NULL || envp[k + 2] == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    pid = fork();
    if (pid == -1) {
        snprintf(err, errlen, "fork() failed: %s", strerror(errno));
        goto done;
    }
    if (pid == 0) {
        /* Exactly these cross the exec; every other descriptor of the
         * master is close-on-exec.  The signals the master takes through
         * its signalfd are blocked: a new program would inherit that. */
        fcntl(pid_fd, F_SETFD, 0);
        fcntl(sv[1], F_SETFD, 0);
        for (size_t i = 0; i < conf->nlistens; i++) {
            if (conf->listens[i].fd != -1) {
                fcntl(conf->listens[i].fd, F_SETFD, 0);
            }
        }
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        execve(exe_path, exe_argv, envp);
        dprintf(sv[1], "cannot run \"%s\": %s", exe_path, strerror(errno));
        _exit(127);
    }
    *channel = sv[0];
    sv[0] = -1;
    fcntl(*channel, F_SETFL, O_NONBLOCK);

done:
    if (sv[0] != -1) {
        close(sv[0]);
    }
    if (sv[1] != -1) {
        close(sv[1]);
    }
    if (envp != NULL) {
        for (size_t i = k; i < k + 3; i++) {
            free(envp[i]);
        }
    }
    free(envp);
    free(listen_fds);
    return pid;
}

/* A descriptor number from the environment; -1 when absent or not open. */
static int
env_fd(const char *name)
{
    const char *v = getenv(name);
    char *end;
    long n;

    if (v == NULL || *v == '\0') {
        return -1;
    }
    n = strtol(v, &end, 10);
    if (*end != '\0' || n < 3 || n > 65535 || fcntl((int) n, F_GETFD) == -1) {
        return -1;
    }
    return (int) n;
}

int
bn_upgrade_inherit(int *pid_fd)
{
    const char *list = getenv(ENV_LISTEN);
    int channel = env_fd(ENV_CHANNEL);

    *pid_fd = env_fd(ENV_PID);
    if (channel == -1 || *pid_fd == -1) {
        return -1;
    }
    fcntl(channel, F_SETFD, FD_CLOEXEC);
    /* "addr=fd;addr=fd": the fd after the last '=' of each entry (an
     * address has none).  Which address a socket has is asked of the
     * socket itself; the text is for people reading the environment. */
    while (list != NULL && *list != '\0') {
        const char *semi = strchr(list, ';'), *end = semi ? semi : list + strlen(list);
        const char *eq = NULL;
        for (const char *p = list; p < end; p++) {
            eq = *p == '=' ? p : eq;
        }
        if (eq != NULL) {
            int fd = atoi(eq + 1), yes = 0;
            socklen_t yl = sizeof(yes);
            inherited_t *grown;
            bn_addr_t a;
            memset(&a, 0, sizeof(a));
            a.len = sizeof(a.sa);
            if (fd > 2 && getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &yes, &yl) == 0 && yes
                && getsockname(fd, (struct sockaddr *) &a.sa, &a.len) == 0
                && bn_sockaddr_text((struct sockaddr *) &a.sa, a.len, a.text, sizeof(a.text))
                && (grown = realloc(inherited, (ninherited + 1) * sizeof(*inherited))) != NULL) {
                inherited = grown;
                inherited[ninherited].fd = fd;
                inherited[ninherited++].addr = a;
                fcntl(fd, F_SETFD, FD_CLOEXEC);
            }
        }
        list = semi ? semi + 1 : end;
    }
    return channel;
}

void
bn_upgrade_take_listeners(bn_conf_t *conf)
{
    for (size_t i = 0; i < conf->nlistens; i++) {
        bn_conf_listen_t *l = &conf->listens[i];
        for (size_t k = 0; k < ninherited && l->fd == -1; k++) {
            if (inherited[k].fd != -1 && bn_sockaddr_equal(&inherited[k].addr, &l->addr)) {
                l->fd = inherited[k].fd;
                inherited[k].fd = -1;
                /* The new config's backlog; the options follow in
                 * bn_listen_open() as for a listener kept on reload. */
                listen(l->fd, conf->backlog);
            }
        }
    }
    /* Addresses the new config dropped: the old master's workers drain
     * what is queued on them, as on a reload. */
    close_unclaimed();
}

int
bn_upgrade_recv(int channel, char *buf, size_t len)
{
    ssize_t n = recv(channel, buf, len - 1, MSG_DONTWAIT);

    if (n == -1) {
        return errno == EAGAIN || errno == EINTR ? BN_AGAIN : BN_DONE;
    }
    if (n == 0) {
        return BN_DONE;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return BN_OK;
}

void
bn_upgrade_send(int channel, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if (send(channel, buf, BN_MIN((size_t) n, sizeof(buf) - 1), MSG_NOSIGNAL) == -1) {
        /* The other master went away: it learns nothing more, and the
         * end of file tells this one. */
    }
}
