/*
 * main.c: the command line.  `start` becomes the master; the other commands
 * either work alone (check, version) or reach the running master through
 * its control socket (stop, quit, reload, reopen, status).
 */
#include "master.h"
#include "control.h"
#include "top.h"
#include "process.h"
#include "../common/heritage.h"

#include <libconfig.h>
#include <openssl/opensslv.h>

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: bouncer [-c FILE] COMMAND\n"
            "\n"
            "commands:\n"
            "  start [--foreground]  start the master and its workers (daemonizes unless\n"
            "                        --foreground or daemon = false)\n"
            "  stop                  fast shutdown\n"
            "  quit                  graceful shutdown: finish in-flight requests first\n"
            "  reload                load the config again; on errors nothing changes\n"
            "  reopen                reopen the log files (after logrotate)\n"
            "  status [--json]       is bouncer running: pid, workers, generation, uptime, requests,\n"
            "                        errors, p99, upstream health, cache; --json: /status.json\n"
            "  top [--once]          a live view of routes and upstream servers (q quits; r e p n\n"
            "                        sort by rate, errors, p99, name); --once: print one and exit\n"
            "  check                 validate the config and exit\n"
            "  purge URL             drop URL from every cache zone (routes with the default\n"
            "                        key, $scheme$host$request_uri)\n"
            "  purge --key KEY       drop the entry of a cache key, in every zone\n"
            "        [--zone NAME]   ... or only in that zone\n"
            "  version               version and configure options\n"
            "\n"
            "options:\n"
            "  -c FILE               config file (default: %s)\n",
            BN_CONF_PATH);
}

static int
check(const char *path)
{
    bn_conf_errors_t errs = { 0 };
    bn_conf_t *c = bn_conf_load(path, &errs);

    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.lines[i]);
    }
    bn_conf_errors_free(&errs);
    if (c == NULL) {
        fprintf(stderr, "bouncer: %s: configuration has errors\n", path);
        return 1;
    }
    printf("bouncer: %s: configuration is valid\n", c->file);
    bn_conf_free(c);
    return 0;
}

/*
 * `purge URL` makes the default key, $scheme$host$request_uri, from the URL:
 * "https://Example.com:8443/a?b" is "https" "example.com" "/a?b".
 */
static int
purge(const char *conf_arg, const char *url, const char *key, const char *zone)
{
    char line[4200], built[4096], *sock;
    int rc;

    if ((url == NULL) == (key == NULL) || strpbrk(zone, " \r\n") != NULL) {
        fprintf(stderr, "bouncer: purge needs a URL or --key KEY (and maybe --zone NAME)\n");
        return 2;
    }
    if (url != NULL) {
        const char *host, *end, *path;
        size_t scheme_len = strncmp(url, "https://", 8) == 0  ? 5
                            : strncmp(url, "http://", 7) == 0 ? 4
                                                              : 0;
        if (scheme_len == 0) {
            fprintf(stderr, "bouncer: purge: \"%s\" is not an http:// or https:// URL\n", url);
            return 2;
        }
        host = url + scheme_len + 3;
        path = host + strcspn(host, "/?");
        end = memchr(host, ':', (size_t) (path - host));
        if (end == NULL) {
            end = path;
        }
        if (end == host || (size_t) (end - host) + strlen(path) + 8 >= sizeof(built)) {
            fprintf(stderr, "bouncer: purge: \"%s\" has no host\n", url);
            return 2;
        }
        int n = snprintf(built, sizeof(built), "%.*s%.*s%s%s", (int) scheme_len, url,
                         (int) (end - host), host, path[0] == '/' ? "" : "/", path);
        for (int i = (int) scheme_len; i < n && built[i] != '/'; i++) {
            built[i] = (char) (built[i] >= 'A' && built[i] <= 'Z' ? built[i] + 32 : built[i]);
        }
        key = built;
    }
    if (strpbrk(key, "\r\n") != NULL || strlen(key) >= sizeof(built)) {
        fprintf(stderr, "bouncer: purge: a key is one line, under 4 KiB\n");
        return 2;
    }
    snprintf(line, sizeof(line), "purge %s %s", zone, key);
    sock = bn_conf_control_socket(conf_arg);
    if (sock == NULL) {
        fprintf(stderr, "bouncer: out of memory\n");
        return 1;
    }
    rc = bn_control_command(sock, line, 10);
    free(sock);
    return rc;
}

static int
version(void)
{
    printf("bouncer version %s\n", BN_VERSION);
    printf("built with %s, PCRE2 %d.%d, libconfig %d.%d.%d, by %s\n", OPENSSL_VERSION_TEXT,
           PCRE2_MAJOR, PCRE2_MINOR, LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
           LIBCONFIG_VER_REVISION, BN_CC);
    printf("configure arguments: %s\n", BN_CONFIGURE_OPTIONS);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *conf_arg = BN_CONF_PATH, *cmd = NULL;
    const char *purge_url = NULL, *purge_key = NULL, *purge_zone = "*";
    char *conf_path;
    bool foreground = false, status_json = false, top_once = false;
    char *sock;
    int rc;

    bn_proctitle_init(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf_arg = argv[++i];
        } else if (cmd != NULL && strcmp(cmd, "purge") == 0 && strcmp(argv[i], "--key") == 0
                   && i + 1 < argc) {
            purge_key = argv[++i];
        } else if (cmd != NULL && strcmp(cmd, "purge") == 0 && strcmp(argv[i], "--zone") == 0
                   && i + 1 < argc) {
            purge_zone = argv[++i];
        } else if (cmd != NULL && strcmp(cmd, "purge") == 0 && argv[i][0] != '-'
                   && purge_url == NULL) {
            purge_url = argv[i];
        } else if (cmd != NULL && strcmp(cmd, "top") == 0 && strcmp(argv[i], "--once") == 0) {
            top_once = true;
        } else if (cmd != NULL && strcmp(cmd, "status") == 0 && strcmp(argv[i], "--json") == 0) {
            status_json = true;
        } else if (strcmp(argv[i], "--foreground") == 0 || strcmp(argv[i], "-f") == 0) {
            foreground = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0
                   || strcmp(argv[i], "help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "-V") == 0
                   || strcmp(argv[i], "--version") == 0) {
            return version();
        } else if (argv[i][0] != '-' && cmd == NULL) {
            cmd = argv[i];
        } else {
            fprintf(stderr, "bouncer: unexpected argument \"%s\"\n\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    /* argv may be overwritten by the process title once bouncer starts:
     * the master keeps its own copy of the path. */
    if (cmd == NULL) {
        usage(stderr);
        return 2;
    }
    if (strcmp(cmd, "version") == 0) {
        return version();
    }
    if (strcmp(cmd, "check") == 0) {
        return check(conf_arg);
    }
    if (strcmp(cmd, "start") == 0) {
        conf_path = strdup(conf_arg);
        if (conf_path == NULL) {
            return 1;
        }
        rc = bn_master_start(conf_path, foreground);
        free(conf_path);
        return rc;
    }
    if (strcmp(cmd, "purge") == 0) {
        return purge(conf_arg, purge_url, purge_key, purge_zone);
    }
    if (strcmp(cmd, "top") == 0) {
        sock = bn_conf_control_socket(conf_arg);
        if (sock == NULL) {
            fprintf(stderr, "bouncer: out of memory\n");
            return 1;
        }
        rc = bn_top(sock, top_once);
        free(sock);
        return rc;
    }
    if (strcmp(cmd, "stop") != 0 && strcmp(cmd, "quit") != 0 && strcmp(cmd, "reload") != 0
        && strcmp(cmd, "reopen") != 0 && strcmp(cmd, "status") != 0) {
        fprintf(stderr, "bouncer: unknown command \"%s\"\n\n", cmd);
        usage(stderr);
        return 2;
    }
    sock = bn_conf_control_socket(conf_arg);
    if (sock == NULL) {
        fprintf(stderr, "bouncer: out of memory\n");
        return 1;
    }
    /* quit may take shutdown_timeout; the master answers when it is done. */
    rc = bn_control_command(sock, status_json ? "status json" : cmd,
                            strcmp(cmd, "quit") == 0 ? 3600 : 120);
    free(sock);
    return rc;
}
