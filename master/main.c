/*
 * main.c: the command line.  `start` becomes the master; the other commands
 * either work alone (check, version, history) or reach the running master
 * through its control socket (stop, quit, reload, reopen, status, rollback,
 * upgrade).
 */
#include "master.h"
#include "control.h"
#include "top.h"
#include "process.h"
#include "history.h"
#include "../common/explain.h"
#include "upgrade.h"
#include "../common/heritage.h"

#include <inttypes.h>
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
            "  history               the configs that loaded, newest first (config_history)\n"
            "  rollback [N]          load the Nth config before the running one (default 1)\n"
            "                        from the history, as reload does; the file is not written\n"
            "           [--write]    ... and write it to the config file (and its @included\n"
            "                        files), each replaced file kept as FILE.replaced-TIME;\n"
            "                        --write 0 writes the running config without a reload\n"
            "  upgrade               start the installed binary as a new master on the same\n"
            "                        listeners; the old one drains and exits (on errors it\n"
            "                        keeps serving)\n"
            "  reopen                reopen the log files (after logrotate)\n"
            "  status [--json]       is bouncer running: pid, workers, generation, uptime, requests,\n"
            "                        errors, p99, upstream health, cache; --json: /status.json\n"
            "  top [--once]          a live view of routes and upstream servers (q quits; r e p n\n"
            "                        sort by rate, errors, p99, name); --once: print one and exit\n"
            "  check [--strict]      validate the config, print its errors and warnings, exit;\n"
            "        [--certs]       --strict: exit 1 on a warning too; --certs: list every\n"
            "                        certificate with its subject, names and expiry\n"
            "  dump [--secrets]      print the effective config: @includes inlined, defaults\n"
            "                        written out (inline secrets hidden unless --secrets)\n"
            "  explain [-H 'Name: value']... [--from ADDR] [--json] METHOD URL\n"
            "                        which server block, route, access checks, upstream and\n"
            "                        cache key a request for URL would meet (from the config\n"
            "                        alone); ADDR: the client's address (default 127.0.0.1)\n"
            "  purge URL             drop URL from every cache zone (routes with the default\n"
            "                        key, $scheme$host$request_uri)\n"
            "  purge --key KEY       drop the entry of a cache key, in every zone\n"
            "        [--zone NAME]   ... or only in that zone\n"
            "  version               version and configure options\n"
            "  help                  this text\n"
            "\n"
            "options:\n"
            "  -c FILE               config file (default: %s)\n"
            "  -f, --foreground      with start: stay in the foreground\n"
            "  -h, --help            the same as help\n"
            "  -V, --version         the same as version\n",
            BN_CONF_PATH);
}

/* The value of "| key VALUE" in a control answer, up to its line's end. */
static const char *
answer_value(const char *reply, const char *key, size_t *len)
{
    size_t klen = strlen(key);

    for (const char *l = reply; l != NULL && *l != '\0'; l = strchr(l, '\n'), l = l ? l + 1 : l) {
        if (strncmp(l, "| ", 2) == 0 && strncmp(l + 2, key, klen) == 0 && l[2 + klen] == ' ') {
            *len = strcspn(l + 3 + klen, "\n");
            return l + 3 + klen;
        }
    }
    *len = 0;
    return NULL;
}

static unsigned
answer_number(const char *reply, const char *key)
{
    size_t len;
    const char *v = answer_value(reply, key, &len);

    return v != NULL ? (unsigned) strtoul(v, NULL, 10) : 0;
}

/*
 * The running master's config, when it answers (the control socket is
 * root's when it runs as root): "config" lines, malloc'd; NULL when it is
 * not running or cannot be reached.
 */
static char *
running_config(const char *conf_arg)
{
    char *sock = bn_conf_control_socket(conf_arg), *reply;
    size_t len;

    if (sock == NULL) {
        return NULL;
    }
    reply = bn_control_query(sock, "config", 10, &len);
    free(sock);
    if (reply != NULL && answer_value(reply, "sha256", &len) == NULL) {
        free(reply);
        reply = NULL;
    }
    return reply;
}

/* `check` says when the running config is not the file's (a rollback, an edit). */
static void
running_differs(const char *conf_arg, const bn_conf_t *c)
{
    char *reply = running_config(conf_arg), hex[2 * BN_CONF_HASH_LEN + 1];
    const char *file, *sha;
    size_t flen, slen;
    unsigned seq, of;

    if (reply == NULL) {
        return;
    }
    file = answer_value(reply, "file", &flen);
    sha = answer_value(reply, "sha256", &slen);
    seq = answer_number(reply, "entry");
    of = answer_number(reply, "rollback_of");
    bn_conf_hash_hex(c->sha256, hex);
    if (file != NULL && flen == strlen(c->file) && strncmp(file, c->file, flen) == 0
        && (slen != strlen(hex) || strncmp(sha, hex, slen) != 0)) {
        if (seq != 0 && of != 0) {
            printf("bouncer: note: the running config differs from this file: it is history entry "
                   "%u, a rollback to entry %u (`bouncer reload` loads the file, `bouncer rollback "
                   "--write 0` writes the running config to it)\n",
                   seq, of);
        } else if (seq != 0) {
            printf("bouncer: note: the running config differs from this file: it is history entry "
                   "%u (`bouncer reload` loads the file)\n",
                   seq);
        } else {
            printf("bouncer: note: the running config differs from this file (`bouncer reload` "
                   "loads the file)\n");
        }
    }
    free(reply);
}

/* --certs: one line per certificate the config loads, where it is used. */
static void
print_cert(const char *file, const char *used_by, const X509 *x)
{
    bn_tls_cert_info_t info;

    bn_tls_cert_info(x, &info);
    printf("%s: %s: subject \"%s\", names \"%s\", expires %s (in %" PRId64 " day%s)\n", file,
           used_by, info.subject, info.names, info.not_after, info.days_left,
           info.days_left == 1 ? "" : "s");
}

static void
print_certs(const bn_conf_t *c)
{
    char used_by[512];

    for (size_t i = 0; i < c->nservers; i++) {
        const bn_conf_server_t *srv = &c->servers[i];
        for (size_t k = 0; k < srv->tls.conf.ncerts; k++) {
            if (srv->status) {
                snprintf(used_by, sizeof(used_by), "status.tls.certificates[%zu]", k);
            } else {
                snprintf(used_by, sizeof(used_by), "servers[%zu].tls.certificates[%zu] (\"%s\")", i,
                         k, srv->label);
            }
            print_cert(srv->tls.conf.certs[k].cert, used_by, srv->tls.conf.certs[k].leaf);
        }
    }
    for (size_t i = 0; i < c->nupstreams; i++) {
        const bn_conf_upstream_t *u = &c->upstreams[i];
        if (u->tls_ctx != NULL && u->tls.cert != NULL) {
            snprintf(used_by, sizeof(used_by),
                     "upstreams[%zu].tls.cert (\"%s\", a client certificate)", i, u->name);
            print_cert(u->tls.cert, used_by, SSL_CTX_get0_certificate(u->tls_ctx));
        }
    }
}

/*
 * Loads path (dumped to dump when that is set), printing its errors, and
 * its warnings when nwarns is set (their count in it).
 */
static bn_conf_t *
load_reporting(const char *path, FILE *dump, bool secrets, size_t *nwarns)
{
    bn_conf_errors_t errs = { 0 }, warns = { 0 };
    bn_conf_t *c = dump != NULL ? bn_conf_dump(path, &errs, dump, secrets)
                                : bn_conf_load_warn(path, &errs, nwarns != NULL ? &warns : NULL);

    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.lines[i]);
    }
    for (size_t i = 0; i < warns.n; i++) {
        fprintf(stderr, "%s\n", warns.lines[i]);
    }
    if (nwarns != NULL) {
        *nwarns = warns.n;
    }
    bn_conf_errors_free(&errs);
    bn_conf_errors_free(&warns);
    if (c == NULL) {
        fprintf(stderr, "bouncer: %s: configuration has errors\n", path);
    }
    return c;
}

/* `dump`: the effective config on stdout, written only once it loaded. */
static int
dump(const char *path, bool secrets)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    bn_conf_t *c;

    if (mem == NULL) {
        fprintf(stderr, "bouncer: out of memory\n");
        return 1;
    }
    c = load_reporting(path, mem, secrets, NULL);
    fclose(mem);
    if (c != NULL) {
        fwrite(text, 1, len, stdout);
    }
    free(text);
    bn_conf_free(c);
    return c != NULL && fflush(stdout) == 0 ? 0 : 1;
}

static void
json_string(const char *s)
{
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char) *s;
        if (ch == '"' || ch == '\\') {
            printf("\\%c", ch);
        } else if (ch < 0x20) {
            printf("\\u%04x", ch);
        } else {
            putchar(ch);
        }
    }
    putchar('"');
}

/*
 * `explain`: the answer's lines as "key: value", or with --json one object
 * whose keys are the lines' (a key of several lines: an array), "status"
 * a number (0: bouncer answers nothing itself) and "why".
 */
static int
explain(const char *path, const bn_explain_query_t *q, bool json)
{
    static const char *const lists[] = { "access", "upstream_server", "runtime", "client", NULL };
    bn_explain_t e;
    bn_conf_t *c;
    int rc;

    for (size_t i = 0; i < q->nheaders; i++) {
        const char *colon = strchr(q->headers[i], ':');
        if (colon == NULL || colon == q->headers[i] || strpbrk(q->headers[i], "\r\n") != NULL) {
            fprintf(stderr, "bouncer: explain: -H \"%s\" is not a header line \"Name: value\"\n",
                    q->headers[i]);
            return 2;
        }
    }
    if (q->method == NULL || q->url == NULL) {
        fprintf(stderr, "bouncer: explain needs a METHOD and a URL\n");
        return 2;
    }
    if (strpbrk(q->method, " \t\r\n") != NULL || strpbrk(q->url, " \t\r\n") != NULL) {
        fprintf(stderr, "bouncer: explain: a method or URL holds no space or line break\n");
        return 2;
    }
    if ((c = load_reporting(path, NULL, false, NULL)) == NULL) {
        return 1;
    }
    bn_log_level = BN_LOG_ERR; /* the worker's info lines on bad input: the answer says it */
    rc = bn_explain(c, q, &e);
    if (rc != BN_OK) {
        fprintf(stderr, "bouncer: explain: %s\n", e.why ? e.why : "out of memory");
        bn_explain_free(&e);
        bn_conf_free(c);
        return 2;
    }
    if (!json) {
        for (size_t i = 0; i < e.n; i++) {
            printf("%s: %s\n", e.lines[i].key, e.lines[i].value);
        }
    } else {
        bool first = true;
        printf("{\"status\": %d, \"why\": ", e.status);
        json_string(e.why ? e.why : "");
        for (size_t i = 0; i < e.n; i++) {
            bool list = false, seen = false;
            for (size_t k = 0; lists[k] != NULL; k++) {
                list = list || strcmp(lists[k], e.lines[i].key) == 0;
            }
            for (size_t k = 0; k < i; k++) {
                seen = seen || strcmp(e.lines[k].key, e.lines[i].key) == 0;
            }
            if (seen || strcmp(e.lines[i].key, "status") == 0) {
                continue;
            }
            printf(",%s", first ? "\n  " : "\n  ");
            first = false;
            json_string(e.lines[i].key);
            printf(": ");
            if (!list) {
                json_string(e.lines[i].value);
                continue;
            }
            printf("[");
            for (size_t k = i, nth = 0; k < e.n; k++) {
                if (strcmp(e.lines[k].key, e.lines[i].key) == 0) {
                    printf("%s", nth++ ? ", " : "");
                    json_string(e.lines[k].value);
                }
            }
            printf("]");
        }
        printf("\n}\n");
    }
    bn_explain_free(&e);
    bn_conf_free(c);
    return 0;
}

/*
 * Errors and warnings go to stderr, one "FILE:LINE: ..." line each; a
 * config with errors exits 1, one with only warnings 0 (1 with --strict).
 */
static int
check(const char *path, bool strict, bool certs)
{
    size_t nwarns = 0;
    bn_conf_t *c = load_reporting(path, NULL, false, &nwarns);
    int rc = 0;

    if (c == NULL) {
        return 1;
    }
    if (certs) {
        print_certs(c);
    }
    if (nwarns > 0 && strict) {
        fprintf(stderr, "bouncer: %s: configuration has %zu warning%s (--strict)\n", c->file,
                nwarns, nwarns == 1 ? "" : "s");
        rc = 1;
    } else if (nwarns > 0) {
        printf("bouncer: %s: configuration is valid, with %zu warning%s\n", c->file, nwarns,
               nwarns == 1 ? "" : "s");
    } else {
        printf("bouncer: %s: configuration is valid\n", c->file);
    }
    running_differs(path, c);
    bn_conf_free(c);
    return rc;
}

/* Sends line to the running master of the config at conf_arg and prints
 * its answer; the exit status of the command. */
static int
command(const char *conf_arg, const char *line, unsigned wait_secs)
{
    char *sock = bn_conf_control_socket(conf_arg);
    int rc;

    if (sock == NULL) {
        fprintf(stderr, "bouncer: out of memory\n");
        return 1;
    }
    rc = bn_control_command(sock, line, wait_secs);
    free(sock);
    return rc;
}

/*
 * `purge URL` makes the default key, $scheme$host$request_uri, from the URL:
 * "https://Example.com:8443/a?b" is "https" "example.com" "/a?b".
 */
static int
purge(const char *conf_arg, const char *url, const char *key, const char *zone)
{
    char line[4200], built[4096];

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
    return command(conf_arg, line, 10);
}

/* `bouncer history`: from the folder, with or without a master. */
static int
history(const char *conf_arg)
{
    char *reply = running_config(conf_arg), *pid, *dir, err[512], when[32], again[32], note[256];
    bn_line_t notes;
    unsigned keep, running;
    bn_history_t h;
    struct tm tm;

    pid = bn_conf_pid_file(conf_arg, &keep);
    if (pid == NULL || (dir = bn_history_dir(pid)) == NULL) {
        fprintf(stderr, "bouncer: out of memory\n");
        free(pid);
        free(reply);
        return 1;
    }
    free(pid);
    if (reply != NULL) {
        keep = answer_number(reply, "config_history");
    }
    if (keep == 0) {
        fprintf(stderr,
                "bouncer: config_history = 0 in the %sconfig: the history is off "
                "(bouncer.conf.last-good beside the pid file is the config that loaded last)\n",
                reply != NULL ? "running " : "");
        free(reply);
        free(dir);
        return 1;
    }
    if (bn_history_read(dir, &h, err, sizeof(err)) != BN_OK) {
        fprintf(stderr, "bouncer: %s\n", err);
        free(reply);
        bn_history_free(&h);
        return 1;
    }
    if (h.n == 0) {
        printf("no config in the history yet (%s)\n", h.dir);
        free(reply);
        bn_history_free(&h);
        return 0;
    }
    running = reply != NULL ? answer_number(reply, "entry") : h.entries[0].seq;
    printf("configs that loaded, newest first, in %s\n", h.dir);
    printf("(N: what `bouncer rollback N` loads%s)\n",
           reply != NULL ? "" : "; bouncer is not running: 0 is the config that loaded last");
    printf("%4s  %-6s  %-19s  %s\n", "N", "entry", "loaded", "sha256");
    for (size_t i = 0; i < h.n; i++) {
        const bn_history_entry_t *e = &h.entries[i];
        int n = bn_history_number(&h, running, i);
        char num[16];
        localtime_r(&e->loaded, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        bn_line_init(&notes, note, sizeof(note));
        if (e->seq == running && reply != NULL) {
            bn_line_printf(&notes, "running");
        }
        if (e->rollback_of != 0) {
            bn_line_printf(&notes, "%sa rollback to entry %u", notes.len ? "; " : "",
                           e->rollback_of);
        }
        if (e->last_loaded > e->loaded) {
            localtime_r(&e->last_loaded, &tm);
            strftime(again, sizeof(again), "%Y-%m-%d %H:%M:%S", &tm);
            bn_line_printf(&notes, "%sloaded again %s", notes.len ? "; " : "", again);
        }
        if (n >= 0) {
            snprintf(num, sizeof(num), "%d", n);
        } else {
            snprintf(num, sizeof(num), "-"); /* past where the running entry stands */
        }
        printf("%4s  %-6u  %s  %.12s  %s\n", num, e->seq, when, e->sha256, note);
    }
    if (reply != NULL && running == 0) {
        printf("the running config is not in the history (see the error log)\n");
    }
    free(reply);
    bn_history_free(&h);
    return 0;
}

/* `bouncer rollback [--write] [N]`. */
static int
rollback(const char *conf_arg, const char *n, bool write_back)
{
    char line[64];

    if (n == NULL) {
        n = "1";
    }
    if (n[0] == '\0' || strspn(n, "0123456789") != strlen(n) || strlen(n) > 6) {
        fprintf(stderr,
                "bouncer: rollback: \"%s\" is not a number of configs to go back "
                "(1 for the one before the running one, 2, ...; `bouncer history` lists them)\n",
                n);
        return 2;
    }
    snprintf(line, sizeof(line), "rollback %s%s", n, write_back ? " write" : "");
    return command(conf_arg, line, 120);
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
    const char *rollback_n = NULL;
    bool rollback_write = false;
    static const char *headers[64]; /* explain's -H lines */
    bn_explain_query_t q = { .headers = headers };
    char *conf_path;
    bool foreground = false, status_json = false, top_once = false, explain_json = false;
    bool secrets = false, check_strict = false, check_certs = false;
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
        } else if (cmd != NULL && strcmp(cmd, "rollback") == 0 && strcmp(argv[i], "--write") == 0) {
            rollback_write = true;
        } else if (cmd != NULL && strcmp(cmd, "rollback") == 0 && rollback_n == NULL
                   && strncmp(argv[i], "--", 2) != 0) {
            rollback_n = argv[i]; /* "-1" too: rollback() says what it expects */
        } else if (cmd != NULL && strcmp(cmd, "explain") == 0 && strcmp(argv[i], "-H") == 0
                   && i + 1 < argc && q.nheaders < BN_NELEMS(headers)) {
            headers[q.nheaders++] = argv[++i];
        } else if (cmd != NULL && strcmp(cmd, "explain") == 0 && strcmp(argv[i], "--from") == 0
                   && i + 1 < argc) {
            q.from = argv[++i];
        } else if (cmd != NULL && strcmp(cmd, "explain") == 0 && strcmp(argv[i], "--json") == 0) {
            explain_json = true;
        } else if (cmd != NULL && strcmp(cmd, "explain") == 0 && argv[i][0] != '-'
                   && q.url == NULL) {
            *(q.method == NULL ? &q.method : &q.url) = argv[i];
        } else if (cmd != NULL && strcmp(cmd, "dump") == 0 && strcmp(argv[i], "--secrets") == 0) {
            secrets = true;
        } else if (cmd != NULL && strcmp(cmd, "top") == 0 && strcmp(argv[i], "--once") == 0) {
            top_once = true;
        } else if (cmd != NULL && strcmp(cmd, "status") == 0 && strcmp(argv[i], "--json") == 0) {
            status_json = true;
        } else if (cmd != NULL && strcmp(cmd, "check") == 0 && strcmp(argv[i], "--strict") == 0) {
            check_strict = true;
        } else if (cmd != NULL && strcmp(cmd, "check") == 0 && strcmp(argv[i], "--certs") == 0) {
            check_certs = true;
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
        return check(conf_arg, check_strict, check_certs);
    }
    if (strcmp(cmd, "dump") == 0) {
        return dump(conf_arg, secrets);
    }
    if (strcmp(cmd, "explain") == 0) {
        return explain(conf_arg, &q, explain_json);
    }
    if (strcmp(cmd, "start") == 0) {
        conf_path = strdup(conf_arg);
        if (conf_path == NULL) {
            return 1;
        }
        bn_upgrade_save_exe(argc, argv);
        rc = bn_master_start(conf_path, foreground);
        bn_upgrade_free_exe();
        free(conf_path);
        return rc;
    }
    if (strcmp(cmd, "purge") == 0) {
        return purge(conf_arg, purge_url, purge_key, purge_zone);
    }
    if (strcmp(cmd, "history") == 0) {
        return history(conf_arg);
    }
    if (strcmp(cmd, "rollback") == 0) {
        return rollback(conf_arg, rollback_n, rollback_write);
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
        && strcmp(cmd, "reopen") != 0 && strcmp(cmd, "status") != 0
        && strcmp(cmd, "upgrade") != 0) {
        fprintf(stderr, "bouncer: unknown command \"%s\"\n\n", cmd);
        usage(stderr);
        return 2;
    }
    /* quit may take shutdown_timeout, and upgrade upgrade_timeout; the
     * master answers when it is done. */
    return command(conf_arg, status_json ? "status json" : cmd,
                   strcmp(cmd, "quit") == 0 || strcmp(cmd, "upgrade") == 0 ? 3600 : 120);
}
