/*
 * redis_check: worker/redis.c on bouncer's event loop, for t/redis_client.t.
 *
 *   redis_check CONF
 *
 * loads CONF (a bouncer config with a redis group) and reads commands from
 * stdin, one a line, answering each with one line on stdout once its calls
 * are done (one command runs at a time):
 *
 *   call KEY INTERVAL BURST         one call: "ok AHEAD ms=T", "declined RETRY
 *                                   ms=T", "error ms=T", or "null" when it
 *                                   could not be queued
 *   burst KEY INTERVAL BURST N      N calls at once: "burst ok=A declined=D
 *                                   error=E null=Z retry=R ahead=a0,a1,...
 *                                   usec=T" (retry: of the first declined;
 *                                   ahead: of the first 20 admitted)
 *   seq KEY INTERVAL BURST NOW...   a call at each clock NOW (microseconds),
 *                                   one after the other, each compared with
 *                                   bn_gcra() from a TAT of 0: "seq match=M
 *                                   mismatch=X tat=TAT" and a line "mismatch
 *                                   ..." before it for each one that differs
 *   cancel KEY INTERVAL BURST       a call cancelled at once: "cancelled"
 *                                   (its callback must never run)
 *   up                              "up 1" or "up 0": bn_redis_up()
 *   quit                            closes the connection and exits
 *
 * Errors go to stderr, as the error log's lines.
 */
#include "../../common/conf.h"
#include "../../common/gcra.h"
#include "../../common/log.h"
#include "../../worker/event.h"
#include "../../worker/redis.h"

#include <fcntl.h>
#include <time.h>

#define MAX_ARGS 1100

typedef struct {
    int rc;
    int64_t ahead, retry;
    bool done;
} result_t;

static struct {
    int kind; /* 0: none; 'c', 'b', 's' */
    result_t *res;
    size_t n, ndone, nnull;
    uint64_t start_ns;
    /* seq */
    int64_t *nows;
    size_t next;
    int64_t interval;
    unsigned burst;
    char key[256];
    int64_t tat;
    unsigned match, mismatch;
} cmd;

static void nothing(bn_timer_t *t);
static void lines_posted(bn_posted_t *p);
/* The next lines run from the loop, as a worker's code does, never from
 * outside it (worker/redis.c writes from a posted event). */
static bn_posted_t more_lines = { .handler = lines_posted };
static bool quitting, eof;
static bn_timer_t last_turn = { .handler = nothing };
static bn_io_t in_io;
static char inbuf[65536];
static size_t inlen;

static void
nothing(bn_timer_t *t)
{
}

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void
say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static void seq_next(void);

static void
burst_report(void)
{
    size_t ok = 0, declined = 0, error = 0, shown = 0;
    int64_t retry = -1;
    char ahead[20 * 24] = "";
    size_t alen = 0;

    for (size_t i = 0; i < cmd.n; i++) {
        result_t *r = &cmd.res[i];
        if (!r->done) {
            continue;
        }
        if (r->rc == BN_OK) {
            ok++;
            if (shown++ < 20) {
                alen += (size_t) snprintf(ahead + alen, sizeof(ahead) - alen, "%s%" PRId64,
                                          alen ? "," : "", r->ahead);
            }
        } else if (r->rc == BN_DECLINED) {
            declined++;
            if (retry == -1) {
                retry = r->retry;
            }
        } else {
            error++;
        }
    }
    say("burst ok=%zu declined=%zu error=%zu null=%zu retry=%" PRId64 " ahead=%s usec=%" PRIu64
        "\n",
        ok, declined, error, cmd.nnull, retry, ahead[0] ? ahead : "-",
        (now_ns() - cmd.start_ns) / 1000);
}

static void
finished(void)
{
    double ms = (double) (now_ns() - cmd.start_ns) / 1e6;
    result_t *r = &cmd.res[0];

    if (cmd.kind == 'c') {
        if (r->rc == BN_OK) {
            say("ok %" PRId64 " ms=%.1f\n", r->ahead, ms);
        } else if (r->rc == BN_DECLINED) {
            say("declined %" PRId64 " ms=%.1f\n", r->retry, ms);
        } else {
            say("error ms=%.1f\n", ms);
        }
    } else {
        burst_report();
    }
    free(cmd.res);
    cmd.res = NULL;
    cmd.kind = 0;
    bn_event_post(&more_lines);
}

static void
done_cb(void *data, int rc, int64_t ahead, int64_t retry)
{
    result_t *r = data;

    if (r->done) {
        say("BUG: a callback ran twice\n");
        exit(2);
    }
    r->done = true;
    r->rc = rc;
    r->ahead = ahead;
    r->retry = retry;
    if (cmd.kind == 's') {
        seq_next();
        return;
    }
    if (++cmd.ndone == cmd.n) {
        finished();
    }
}

static void
cancelled_cb(void *data, int rc, int64_t ahead, int64_t retry)
{
    say("BUG: the callback of a cancelled call ran\n");
    exit(2);
}

/* The next step of seq, or its report. */
static void
seq_next(void)
{
    result_t *r = &cmd.res[0];

    if (cmd.next > 0) {
        int64_t ahead = 0, retry = 0;
        int64_t now = cmd.nows[cmd.next - 1];
        int rc = bn_gcra(&cmd.tat, now, cmd.interval, cmd.burst, &ahead, &retry);
        if (r->rc == rc && r->ahead == ahead && r->retry == retry) {
            cmd.match++;
        } else {
            cmd.mismatch++;
            say("mismatch at %" PRId64 ": redis %d %" PRId64 " %" PRId64 ", bn_gcra %d %" PRId64
                " %" PRId64 "\n",
                now, r->rc, r->ahead, r->retry, rc, ahead, retry);
        }
    }
    while (cmd.next < cmd.n) {
        memset(r, 0, sizeof(*r));
        if (bn_redis_gcra_at(cmd.key, strlen(cmd.key), cmd.interval, cmd.burst,
                             cmd.nows[cmd.next++], done_cb, r)
            != NULL) {
            return;
        }
        cmd.mismatch++;
        say("mismatch at %" PRId64 ": the call could not be queued\n", cmd.nows[cmd.next - 1]);
    }
    say("seq match=%u mismatch=%u tat=%" PRId64 "\n", cmd.match, cmd.mismatch, cmd.tat);
    free(cmd.res);
    free(cmd.nows);
    cmd.res = NULL;
    cmd.nows = NULL;
    cmd.kind = 0;
    bn_event_post(&more_lines);
}

static void
run(char *line)
{
    char *argv[MAX_ARGS], *save = NULL;
    int argc = 0;

    for (char *w = strtok_r(line, " \t", &save); w != NULL && argc < MAX_ARGS;
         w = strtok_r(NULL, " \t", &save)) {
        argv[argc++] = w;
    }
    if (argc == 0) {
        return;
    }
    cmd.start_ns = now_ns();
    cmd.ndone = cmd.nnull = 0;
    if (strcmp(argv[0], "quit") == 0) {
        quitting = true;
    } else if (strcmp(argv[0], "up") == 0) {
        say("up %d\n", bn_redis_up() ? 1 : 0);
    } else if (strcmp(argv[0], "cancel") == 0 && argc == 4) {
        bn_redis_call_t *c = bn_redis_gcra(argv[1], strlen(argv[1]), strtoll(argv[2], NULL, 10),
                                           (unsigned) strtoul(argv[3], NULL, 10), cancelled_cb,
                                           NULL);
        if (c == NULL) {
            say("null\n");
            return;
        }
        bn_redis_cancel(c);
        say("cancelled\n");
    } else if ((strcmp(argv[0], "call") == 0 && argc == 4)
               || (strcmp(argv[0], "burst") == 0 && argc == 5)) {
        size_t n = argv[0][0] == 'c' ? 1 : strtoul(argv[4], NULL, 10);
        cmd.kind = argv[0][0];
        cmd.n = n;
        cmd.res = calloc(n, sizeof(result_t));
        for (size_t i = 0; i < n; i++) {
            if (bn_redis_gcra(argv[1], strlen(argv[1]), strtoll(argv[2], NULL, 10),
                              (unsigned) strtoul(argv[3], NULL, 10), done_cb, &cmd.res[i])
                == NULL) {
                cmd.nnull++;
                cmd.ndone++;
            }
        }
        if (cmd.kind == 'c' && cmd.nnull == 1) {
            say("null\n");
            free(cmd.res);
            cmd.res = NULL;
            cmd.kind = 0;
        } else if (cmd.ndone == cmd.n) {
            finished();
        }
    } else if (strcmp(argv[0], "seq") == 0 && argc >= 5) {
        cmd.kind = 's';
        snprintf(cmd.key, sizeof(cmd.key), "%s", argv[1]);
        cmd.interval = strtoll(argv[2], NULL, 10);
        cmd.burst = (unsigned) strtoul(argv[3], NULL, 10);
        cmd.n = (size_t) argc - 4;
        cmd.nows = calloc(cmd.n, sizeof(int64_t));
        for (size_t i = 0; i < cmd.n; i++) {
            cmd.nows[i] = strtoll(argv[4 + i], NULL, 10);
        }
        cmd.res = calloc(1, sizeof(result_t));
        cmd.next = 0;
        cmd.tat = 0;
        cmd.match = cmd.mismatch = 0;
        seq_next();
    } else {
        say("unknown command: %s\n", argv[0]);
    }
}

/* Runs every whole line read, while no command is in progress. */
static void
run_lines(void)
{
    char *nl;

    while (cmd.kind == 0 && !quitting && (nl = memchr(inbuf, '\n', inlen)) != NULL) {
        size_t n = (size_t) (nl - inbuf) + 1;
        *nl = '\0';
        run(inbuf);
        memmove(inbuf, inbuf + n, inlen - n);
        inlen -= n;
    }
}

static void
lines_posted(bn_posted_t *p)
{
    run_lines();
}

static void
in_handler(bn_io_t *io, uint32_t events)
{
    for (;;) {
        ssize_t n = read(io->fd, inbuf + inlen, sizeof(inbuf) - 1 - inlen);
        if (n > 0) {
            inlen += (size_t) n;
            continue;
        }
        if (n == 0) {
            eof = true;
        }
        break;
    }
    run_lines();
}

int
main(int argc, char **argv)
{
    bn_conf_errors_t errs = { 0 };
    bn_conf_t *conf;

    if (argc != 2) {
        fprintf(stderr, "usage: redis_check CONF\n");
        return 1;
    }
    bn_log_level = BN_LOG_INFO;
    conf = bn_conf_load(argv[1], &errs);
    if (conf == NULL) {
        for (size_t i = 0; i < errs.n; i++) {
            fprintf(stderr, "%s\n", errs.lines[i]);
        }
        bn_conf_errors_free(&errs);
        return 1;
    }
    bn_time_update();
    if (bn_event_init(64) != BN_OK) {
        return 1;
    }
    bn_redis_init(&conf->redis);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    in_io.fd = 0;
    in_io.handler = in_handler;
    if (bn_event_add(&in_io) != BN_OK) {
        return 1;
    }
    while (cmd.kind != 0 || (!quitting && !(eof && memchr(inbuf, '\n', inlen) == NULL))) {
        bn_event_process();
    }
    bn_event_del(&in_io);
    bn_redis_exit();
    /* What the exit let go (the connection, a deferred free) goes in one
     * more turn of the loop, which the timer keeps from sleeping. */
    bn_timer_set(&last_turn, 0);
    bn_event_process();
    bn_conf_free(conf);
    bn_conf_errors_free(&errs);
    return 0;
}
