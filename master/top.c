/*
 * top.c: `bouncer top`, run in the command's own process: /status.json
 * fetched over the control socket every second and shown as a live view,
 * a row per route and per upstream server with rates since the last
 * fetch; keys sort the rows (r rate, e errors, p p99, n name) and q quits.
 * When stdout is not a terminal it prints one view, as plain text, and
 * exits.
 */
#include "top.h"

#include "control.h"
#include "../common/json.h"
#include "../common/pool.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>

#define TOP_ROWS 512

typedef struct {
    char name[160];
    double total, rate, err_rate, p99; /* p99 < 0: none */
    double counts[5];                  /* by class, cumulative */
    const char *state;                 /* an upstream server's */
    double active, idle;
    double buckets[34], le[33]; /* cumulative */
    unsigned nle;
} row_t;

typedef struct {
    row_t routes[TOP_ROWS], peers[TOP_ROWS];
    size_t nroutes, npeers;
    double time; /* when it was fetched, monotonic seconds */
} view_t;

static struct termios saved_tty;
static bool tty_raw;
static volatile sig_atomic_t resized, interrupted;

static void
tty_restore(void)
{
    if (tty_raw) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
        fputs("\x1b[?25h\x1b[?1049l", stdout); /* cursor back, the screen as it was */
        fflush(stdout);
        tty_raw = false;
    }
}

static void
on_signal(int sig)
{
    if (sig == SIGWINCH) {
        resized = 1;
    } else {
        interrupted = 1;
    }
}

static double
num(const bn_json_t *o, const char *key)
{
    const bn_json_t *v = bn_json_get(o, key);

    return v != NULL && v->type == BN_JSON_NUMBER ? v->num : 0;
}

static const char *
str(const bn_json_t *o, const char *key)
{
    const bn_json_t *v = bn_json_get(o, key);

    return v != NULL && v->type == BN_JSON_STRING ? v->str : "";
}

/* A histogram of /status.json into r: its bounds and cumulative counts. */
static void
read_histogram(row_t *r, const bn_json_t *h)
{
    const bn_json_t *le = bn_json_get(h, "le"), *b = bn_json_get(h, "buckets");
    unsigned i = 0;

    r->nle = 0;
    for (const bn_json_t *v = le ? le->child : NULL; v != NULL && i < 33; v = v->next) {
        r->le[i++] = v->num;
    }
    r->nle = i;
    i = 0;
    for (const bn_json_t *v = b ? b->child : NULL; v != NULL && i < 34; v = v->next) {
        r->buckets[i++] = v->num;
    }
}

/* The 99th percentile of what came between prev and r (prev NULL: all of
 * r): the upper bound of its bucket; -1 when nothing came. */
static double
p99_between(const row_t *r, const row_t *prev)
{
    double n = r->buckets[r->nle] - (prev ? prev->buckets[r->nle] : 0), want = n * 0.99;

    if (n <= 0) {
        return -1;
    }
    for (unsigned b = 0; b <= r->nle; b++) {
        if (r->buckets[b] - (prev ? prev->buckets[b] : 0) >= want) {
            return b < r->nle ? r->le[b] : 1e9;
        }
    }
    return -1;
}

static const row_t *
find(const row_t *rows, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].name, name) == 0) {
            return &rows[i];
        }
    }
    return NULL;
}

/* The view from one answer; rates against prev (NULL: since start). */
static bool
read_view(view_t *v, const bn_json_t *root, const view_t *prev, double uptime)
{
    const bn_json_t *routes = bn_json_get(root, "routes"), *ups = bn_json_get(root, "upstreams");
    double dt;

    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    memset(v, 0, sizeof(*v));
    v->time = (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
    dt = prev != NULL ? v->time - prev->time : uptime;
    dt = dt > 0.001 ? dt : 0.001;
    for (const bn_json_t *r = routes ? routes->child : NULL; r && v->nroutes < TOP_ROWS;
         r = r->next) {
        row_t *row = &v->routes[v->nroutes++];
        const bn_json_t *req = bn_json_get(r, "requests");
        static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
        const row_t *old;
        snprintf(row->name, sizeof(row->name), "%s %s", str(r, "server"),
                 str(r, "route")[0] != '\0' ? str(r, "route") : "(no route)");
        for (unsigned c = 0; c < 5; c++) {
            row->counts[c] = num(req, classes[c]);
            row->total += row->counts[c];
        }
        read_histogram(row, bn_json_get(r, "duration"));
        old = prev != NULL ? find(prev->routes, prev->nroutes, row->name) : NULL;
        row->rate = (row->total - (old ? old->total : 0)) / dt;
        row->err_rate = (row->counts[4] - (old ? old->counts[4] : 0)) / dt;
        row->p99 = p99_between(row, old);
    }
    for (const bn_json_t *u = ups ? ups->child : NULL; u && v->npeers < TOP_ROWS; u = u->next) {
        row_t *row = &v->peers[v->npeers++];
        const bn_json_t *f = bn_json_get(u, "failures");
        const row_t *old;
        snprintf(row->name, sizeof(row->name), "%s %s", str(u, "upstream"), str(u, "server"));
        row->state = str(u, "state");
        row->active = num(u, "active");
        row->idle = num(u, "idle");
        row->total = num(u, "requests");
        row->counts[4] = num(f, "connect") + num(f, "timeout") + num(f, "reset") + num(f, "5xx");
        read_histogram(row, bn_json_get(u, "response_time"));
        old = prev != NULL ? find(prev->peers, prev->npeers, row->name) : NULL;
        row->rate = (row->total - (old ? old->total : 0)) / dt;
        row->err_rate = (row->counts[4] - (old ? old->counts[4] : 0)) / dt;
        row->p99 = p99_between(row, old);
    }
    return true;
}

static char sort_key = 'r';

static int
by_key(const void *a, const void *b)
{
    const row_t *x = a, *y = b;
    double dx, dy;

    switch (sort_key) {
    case 'n':
        return strcmp(x->name, y->name);
    case 'e':
        dx = x->err_rate, dy = y->err_rate;
        break;
    case 'p':
        dx = x->p99, dy = y->p99;
        break;
    default:
        dx = x->rate, dy = y->rate;
        break;
    }
    return dx < dy ? 1 : dx > dy ? -1 : strcmp(x->name, y->name);
}

static void
fmt_p99(char *buf, size_t len, double p)
{
    if (p < 0) {
        snprintf(buf, len, "-");
    } else if (p >= 1e9) {
        snprintf(buf, len, "+Inf");
    } else {
        snprintf(buf, len, "%.3fs", p);
    }
}

static void
draw(const bn_json_t *root, view_t *v, bool tty, unsigned rows, unsigned cols)
{
    const bn_json_t *conn = bn_json_get(root, "connections"), *req = bn_json_get(root, "requests");
    const bn_json_t *workers = bn_json_get(root, "workers");
    double rate = 0, err = 0, uptime = num(root, "uptime");
    unsigned nworkers = 0, line = 0, w = cols > 60 ? cols : 60;
    int namew = (int) w - 52;
    char p[16];

    for (const bn_json_t *x = workers ? workers->child : NULL; x; x = x->next) {
        nworkers += strcmp(str(x, "kind"), "worker") == 0;
    }
    for (size_t i = 0; i < v->nroutes; i++) {
        rate += v->routes[i].rate;
        err += v->routes[i].err_rate;
    }
    if (tty) {
        fputs("\x1b[H\x1b[2J", stdout);
    }
    printf("bouncer %s  pid %.0f  up %.0fd %02.0f:%02.0f  generation %.0f  workers %u  "
           "connections %.0f\n",
           str(root, "version"), num(root, "pid"), (double) ((long) uptime / 86400),
           (double) ((long) uptime % 86400 / 3600), (double) ((long) uptime % 3600 / 60),
           num(root, "generation"), nworkers, num(conn, "client"));
    printf("requests %.1f/s  5xx %.1f/s  total %.0f (5xx %.0f)   sort: %s   keys: r e p n, q quits\n\n",
           rate, err,
           num(req, "1xx") + num(req, "2xx") + num(req, "3xx") + num(req, "4xx") + num(req, "5xx"),
           num(req, "5xx"),
           sort_key == 'n' ? "name" : sort_key == 'e' ? "errors" : sort_key == 'p' ? "p99" : "rate");
    line = 3;
    qsort(v->routes, v->nroutes, sizeof(row_t), by_key);
    qsort(v->peers, v->npeers, sizeof(row_t), by_key);
    printf("%-*s %9s %9s %9s %12s\n", namew, "ROUTE", "REQ/S", "5XX/S", "P99", "REQUESTS");
    line++;
    for (size_t i = 0; i < v->nroutes && (!tty || line + 4 < rows); i++, line++) {
        const row_t *r = &v->routes[i];
        fmt_p99(p, sizeof(p), r->p99);
        printf("%-*.*s %9.1f %9.1f %9s %12.0f\n", namew, namew, r->name, r->rate, r->err_rate, p,
               r->total);
    }
    printf("\n%-*s %8s %6s %5s %9s %9s %9s\n", namew - 8, "UPSTREAM SERVER", "STATE", "ACTIVE",
           "IDLE", "REQ/S", "FAIL/S", "P99");
    line += 2;
    for (size_t i = 0; i < v->npeers && (!tty || line + 1 < rows); i++, line++) {
        const row_t *r = &v->peers[i];
        fmt_p99(p, sizeof(p), r->p99);
        printf("%-*.*s %8s %6.0f %5.0f %9.1f %9.1f %9s\n", namew - 8, namew - 8, r->name, r->state,
               r->active, r->idle, r->rate, r->err_rate, p);
    }
    fflush(stdout);
}

int
bn_top(const char *sock_path, bool once)
{
    bool tty = isatty(STDOUT_FILENO) && isatty(STDIN_FILENO) && !once;
    static view_t views[2];
    view_t *prev = NULL;
    int cur = 0, rc = 0;

    if (tty) {
        struct termios raw;
        struct sigaction sa;
        if (tcgetattr(STDIN_FILENO, &saved_tty) == 0) {
            raw = saved_tty;
            raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
            raw.c_cc[VMIN] = 0;
            raw.c_cc[VTIME] = 0;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
            tty_raw = true;
            atexit(tty_restore);
            fputs("\x1b[?1049h\x1b[?25l", stdout); /* a screen of its own, no cursor */
        }
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGWINCH, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    for (;;) {
        size_t len;
        char *answer = bn_control_query(sock_path, "status json", 10, &len);
        bn_pool_t *pool = bn_pool_create(65536);
        bn_json_limits_t lim = { 32, 64 << 20 };
        const char *err = NULL, *body;
        bn_json_t *root = NULL;
        struct winsize ws = { 0 };

        if (answer != NULL && pool != NULL && strncmp(answer, "| ", 2) == 0) {
            char *end = strstr(answer, "\nok\n");
            body = answer + 2;
            if (end != NULL) {
                root = bn_json_parse(pool, body, (size_t) (end - body), &lim, &err, NULL);
            }
        }
        if (root == NULL) {
            tty_restore();
            fprintf(stderr, "bouncer: %s\n",
                    answer == NULL ? "bouncer is not running (the control socket does not answer)"
                                   : "the master's answer could not be read");
            free(answer);
            if (pool != NULL) {
                bn_pool_destroy(pool);
            }
            return 1;
        }
        read_view(&views[cur], root, prev, num(root, "uptime"));
        if (tty) {
            ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
        }
        draw(root, &views[cur], tty, ws.ws_row ? ws.ws_row : 24, ws.ws_col ? ws.ws_col : 80);
        free(answer);
        bn_pool_destroy(pool);
        if (!tty) {
            return rc;
        }
        prev = &views[cur];
        cur ^= 1;
        /* A second, or a key: q quits, r e p n sort. */
        for (unsigned until = 0; until < 1000 && !interrupted && !resized; until += 100) {
            struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
            char c;
            if (poll(&pfd, 1, 100) > 0 && read(STDIN_FILENO, &c, 1) == 1) {
                if (c == 'q' || c == 'Q') {
                    tty_restore();
                    return 0;
                }
                if (strchr("repn", c) != NULL) {
                    sort_key = c;
                    break;
                }
            }
        }
        resized = 0;
        if (interrupted) {
            tty_restore();
            return 0;
        }
    }
}
