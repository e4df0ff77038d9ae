/*
 * conf_processes.c: the root-level settings of the processes: daemon,
 * workers, user and group, pid_file, control_socket, accepting and
 * shutting down.
 */
#include "conf_load.h"

#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>

/* "default: beside the pid file": bouncer.pid gives bouncer.sock. */
static const char *
default_control_socket(bn_pool_t *pool, const char *pid_file)
{
    const char *dot = strrchr(pid_file, '.');

    if (dot != NULL && strcmp(dot, ".pid") == 0) {
        return bn_psprintf(pool, "%.*s.sock", (int) (dot - pid_file), pid_file);
    }
    return bn_psprintf(pool, "%s.sock", pid_file);
}

void
bn_conf_load_processes(bn_conf_loader_t *ld, const config_setting_t *root)
{
    bn_conf_t *c = ld->conf;
    config_setting_t *w = bn_conf_member(root, "workers");
    long ncpu;

    c->daemon = bn_conf_get_bool(ld, root, "daemon", true);
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    c->workers = ncpu > 0 ? (unsigned) ncpu : 1;
    bn_conf_note_default(ld, root, "workers", "auto");
    if (w != NULL) {
        if (config_setting_type(w) == CONFIG_TYPE_STRING
            && strcmp(config_setting_get_string(w), "auto") == 0) {
            /* one per CPU, as above */
        } else if (bn_conf_is_int(w) && config_setting_get_int64(w) >= 1
                   && config_setting_get_int64(w) <= 1024) {
            c->workers = (unsigned) config_setting_get_int64(w);
        } else {
            bn_conf_err(ld, w, "expected \"auto\" or a number from 1 to 1024");
        }
    }
    c->user = bn_conf_get_string(ld, root, "user", "nobody");
    c->group = bn_conf_get_string(ld, root, "group", "nogroup");
    /* Only root changes user; checking the names elsewhere would fail for nothing. */
    if (geteuid() == 0) {
        if (getpwnam(c->user) == NULL) {
            bn_conf_err(ld, bn_conf_member(root, "user") ?: root, "no user \"%s\" on this system",
                        c->user);
        }
        if (getgrnam(c->group) == NULL) {
            bn_conf_err(ld, bn_conf_member(root, "group") ?: root, "no group \"%s\" on this system",
                        c->group);
        }
    }
    c->pid_file = bn_conf_abs_path(ld, bn_conf_get_string(ld, root, "pid_file", BN_PID_PATH));
    c->control_socket = default_control_socket(c->pool, c->pid_file);
    c->control_socket =
        bn_conf_abs_path(ld, bn_conf_get_string(ld, root, "control_socket", c->control_socket));
    if (strlen(c->control_socket) >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
        bn_conf_err(ld, bn_conf_member(root, "control_socket") ?: root,
                    "\"%s\": a unix socket path must be shorter than 108 bytes", c->control_socket);
    }
    c->worker_connections = bn_conf_get_uint(ld, root, "worker_connections", 10000, 16, 10000000);
    c->backlog = (int) bn_conf_get_uint(ld, root, "backlog", 511, 1, 65535);
    c->smart_accept = bn_conf_get_bool(ld, root, "smart_accept", true);
    c->defer_accept = bn_conf_get_bool(ld, root, "defer_accept", true);
    c->tcp_notsent_lowat = bn_conf_get_size(ld, root, "tcp_notsent_lowat", "64k");
    if (c->tcp_notsent_lowat > 1024 * 1024 * 1024) {
        bn_conf_err(ld, bn_conf_member(root, "tcp_notsent_lowat"), "expected at most \"1g\"");
    }
    c->shutdown_timeout = bn_conf_get_duration(ld, root, "shutdown_timeout", "30s");
    c->busy_poll = bn_conf_get_usec(ld, root, "busy_poll", "20us", 10000);
    c->max_draining_generations = bn_conf_get_uint(ld, root, "max_draining_generations", 4, 1, 64);
    c->upgrade_timeout = bn_conf_get_duration(ld, root, "upgrade_timeout", "30s");
    c->debug_dumpable = bn_conf_get_bool(ld, root, "debug_dumpable", false);
    c->config_history = bn_conf_get_uint(ld, root, "config_history", 10, 0, 1000);
}

/*
 * Finds the pid file, the control socket and config_history of the config
 * at path, even when path no longer loads: `bouncer reload` must reach the
 * master to hear why a new config is rejected.  A file that does not even
 * parse is scanned for the settings as text.  *pid_out and *sock_out are
 * malloc'd (NULL when memory runs out).
 */
static void
find_settings(const char *path, char **pid_out, char **sock_out, unsigned *history)
{
    bn_conf_t c;
    bn_conf_loader_t ld;
    bn_conf_errors_t errs = { 0 };
    config_t cfg;
    const char *pid = NULL, *sock = NULL, *v;
    char resolved[PATH_MAX], *dir;
    char pidbuf[PATH_MAX], sockbuf[PATH_MAX], line[PATH_MAX + 64];
    unsigned n;
    int iv;
    FILE *f;

    *pid_out = *sock_out = NULL;
    *history = 10;
    memset(&c, 0, sizeof(c));
    if (realpath(path, resolved) == NULL) {
        snprintf(resolved, sizeof(resolved), "%s", path);
    }
    c.pool = bn_pool_create(4096);
    if (c.pool == NULL) {
        return;
    }
    c.file = resolved;
    ld.conf = &c;
    ld.errs = &errs;
    ld.warns = NULL;
    config_init(&cfg);
    dir = bn_pstrdup(c.pool, resolved);
    config_set_include_dir(&cfg, dirname(dir));
    if (config_read_file(&cfg, resolved) == CONFIG_TRUE) {
        if (config_lookup_string(&cfg, "pid_file", &v) == CONFIG_TRUE) {
            pid = bn_pstrdup(c.pool, v);
        }
        if (config_lookup_string(&cfg, "control_socket", &v) == CONFIG_TRUE) {
            sock = bn_pstrdup(c.pool, v);
        }
        if (config_lookup_int(&cfg, "config_history", &iv) == CONFIG_TRUE && iv >= 0) {
            *history = (unsigned) iv;
        }
    } else if ((f = fopen(resolved, "r")) != NULL) {
        while (fgets(line, sizeof(line), f) != NULL) {
            if (sscanf(line, " pid_file = \"%4095[^\"]\"", pidbuf) == 1) {
                pid = pidbuf;
            } else if (sscanf(line, " control_socket = \"%4095[^\"]\"", sockbuf) == 1) {
                sock = sockbuf;
            } else if (sscanf(line, " config_history = %u", &n) == 1) {
                *history = n;
            }
        }
        fclose(f);
    }
    config_destroy(&cfg);
    pid = bn_conf_abs_path(&ld, pid ? pid : BN_PID_PATH);
    sock = sock ? bn_conf_abs_path(&ld, sock) : default_control_socket(c.pool, pid);
    if (pid != NULL) {
        *pid_out = strdup(pid);
    }
    if (sock != NULL) {
        *sock_out = strdup(sock);
    }
    bn_pool_destroy(c.pool);
    bn_conf_errors_free(&errs);
}

char *
bn_conf_control_socket(const char *path)
{
    char *pid, *sock;
    unsigned history;

    find_settings(path, &pid, &sock, &history);
    free(pid);
    return sock;
}

char *
bn_conf_pid_file(const char *path, unsigned *config_history)
{
    char *pid, *sock;

    find_settings(path, &pid, &sock, config_history);
    free(sock);
    return pid;
}
