/*
 * redis.c: hiredis's async API on bouncer's event loop, and the GCRA
 * script.
 *
 * The adapter is level-triggered, unlike the rest of the loop: hiredis 0.14
 * reads at most 16 KiB per redisAsyncHandleRead() and does not say whether
 * the socket is drained, so under edge triggering replies past the first
 * 16 KiB of a burst would wait for the next edge, which may never come.
 * With EPOLLIN level-triggered, epoll says again what is left.  EPOLLOUT is
 * in the interest set only while connecting and while a write was cut short
 * (the socket full); otherwise a write is a posted event (flush), so the
 * calls made while one batch of events is handled go out in one write(),
 * after the handlers, with no epoll_ctl() at all.
 *
 * One connection per worker, made on the first call.  Its first commands
 * are AUTH and SELECT when configured, else PING: the connection counts as
 * up once Redis answered them.  Calls are pipelined behind them, each with a
 * timer of its own (hiredis 0.14 has no timeouts).  Replies come in order,
 * so a call that times out on an up connection means every call behind it
 * waits too: the connection is dropped (every call on it gets BN_ERROR) and
 * re-made after a back-off, while calls fail at once.  Redis becoming
 * unavailable is logged once at error, with why, its return once at notice.
 */
#include "redis.h"
#include "event.h"
#include "../common/clock.h"
#include "../common/log.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <sys/epoll.h>

#define BN_REDIS_CALL_MAGIC 0x52444331 /* "RDC1" */
#define BN_REDIS_CONN_MAGIC 0x52444e31 /* "RDN1" */
#define BN_REDIS_KEY_PREFIX "bouncer:rl:"
#define BN_REDIS_BACKOFF_MIN 100   /* msec before the first reconnect ... */
#define BN_REDIS_BACKOFF_MAX 5000  /* ... doubling up to this */
#define BN_REDIS_CONNECT_MIN 1000  /* msec a connect may take, at least */

/*
 * bn_gcra() in Redis.  KEYS[1]: the key; ARGV: interval (us), burst, and,
 * for the tests only, the clock (us) to use instead of Redis's.  Lua's
 * numbers are doubles, exact for integers up to 2^53 (microseconds since
 * 1970 are under 2^51), and formatted with %d, for tostring() keeps 14
 * digits only.  The TAT is kept just past the moment it stops mattering:
 * once now passes it, a key absent reads as 0, which bn_gcra() treats the
 * same as any TAT in the past.  Returns {conforms 1/0, ahead, retry}.
 */
static const char script[] =
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local now\n"
    "if ARGV[3] then\n"
    "  now = tonumber(ARGV[3])\n"
    "else\n"
    "  local t = redis.call('TIME')\n"
    "  now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "end\n"
    "local interval = tonumber(ARGV[1])\n"
    "local burst = tonumber(ARGV[2])\n"
    "local tat = tonumber(redis.call('GET', KEYS[1])) or 0\n"
    "local t = tat > now and tat or now\n"
    "local allow_at = t + interval - (burst + 1) * interval\n"
    "if now < allow_at then\n"
    "  return {0, 0, allow_at - now}\n"
    "end\n"
    "local ttl = math.ceil((t + interval - now) / 1000) + 100\n"
    "redis.call('SET', KEYS[1], string.format('%d', t + interval), 'PX', string.format('%d', ttl))\n"
    "return {1, t - now, 0}\n";

enum { CALL_WAITING = 0, CALL_CANCELLED, CALL_TIMED_OUT };

struct bn_redis_call_s {
    uint32_t magic;
    int state;
    bool retried;  /* NOSCRIPT came once: SCRIPT LOAD and once more */
    bool at;       /* now is given (tests) */
    uint64_t seq;  /* the connection's count of commands when this one went */
    bn_timer_t timer;
    bn_redis_gcra_pt cb;
    void *data;
    int64_t interval;
    int64_t now;
    unsigned burst;
    size_t len;
    char key[]; /* the prefix, then the caller's bytes */
};

/* One connection: the adapter's state (hiredis's ev.data). */
typedef struct {
    uint32_t magic;
    redisAsyncContext *ac; /* NULL once hiredis freed it */
    bn_io_t io;
    bn_posted_t flush;
    bool connected; /* connect(2) done */
    bool writing;   /* EPOLLOUT in the interest set */
    bool in_write;  /* inside redisAsyncHandleWrite() */
    unsigned setup; /* AUTH, SELECT or PING replies still to come */
    uint64_t nsent; /* commands sent on it */
    uint64_t loaded_at; /* nsent when SCRIPT LOAD last went (0: never) */
} conn_t;

enum { RD_IDLE = 0, RD_CONNECTING, RD_UP, RD_DOWN, RD_EXIT };

static struct {
    const bn_conf_redis_t *conf;
    conn_t *conn; /* the current connection, NULL when none */
    int state;
    bool failing; /* logged as unavailable, not yet back */
    bool last_ok;
    bn_msec_t backoff;
    bn_timer_t retry;   /* reconnect after the back-off */
    bn_timer_t connect; /* the connect and its first replies */
    unsigned pending;   /* calls allocated */
    char sha[41];
    char host[INET6_ADDRSTRLEN];
    int port;
} rd = { .last_ok = true, .backoff = BN_REDIS_BACKOFF_MIN };

static void connect_redis(void);

/* ---- state and logs ------------------------------------------------------- */

static void __attribute__((format(printf, 1, 2)))
set_failing(const char *fmt, ...)
{
    char why[512];
    va_list ap;

    rd.last_ok = false;
    if (rd.failing) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    rd.failing = true;
    bn_log_error(BN_LOG_ERR, NULL, 0, "redis %s unavailable: %s", rd.conf->address, why);
}

static void
set_ok(void)
{
    rd.last_ok = true;
    rd.backoff = BN_REDIS_BACKOFF_MIN;
    if (rd.failing) {
        rd.failing = false;
        bn_log_error(BN_LOG_NOTICE, NULL, 0, "redis %s is back", rd.conf->address);
    }
}

static const char *
conn_error(const redisAsyncContext *ac)
{
    return ac->c.errstr[0] != '\0' ? ac->c.errstr : "connection closed";
}

/*
 * conn is gone or going: it is no longer the current one, and a new one is
 * made after the back-off.  Once per connection; the first reason wins.
 */
static void
conn_lost(conn_t *conn, const char *why)
{
    if (rd.conn != conn) {
        return;
    }
    rd.conn = NULL;
    bn_timer_del(&rd.connect);
    if (rd.state == RD_EXIT) {
        return;
    }
    set_failing("%s", why);
    rd.state = RD_DOWN;
    bn_timer_set(&rd.retry, rd.backoff);
    rd.backoff = BN_MIN(rd.backoff * 2, BN_REDIS_BACKOFF_MAX);
}

/*
 * Drops conn: every call on it gets BN_ERROR (hiredis runs their callbacks
 * with no reply).  From inside a hiredis callback the free waits until the
 * callback returns; hiredis does it then.
 */
static void
conn_drop(conn_t *conn, const char *why)
{
    conn_lost(conn, why);
    if (conn->ac != NULL && !(conn->ac->c.flags & REDIS_FREEING)) {
        redisAsyncFree(conn->ac);
    }
}

/* ---- calls ---------------------------------------------------------------- */

static void
call_free(bn_redis_call_t *c)
{
    bn_timer_del(&c->timer);
    c->magic = 0;
    rd.pending--;
    free(c);
}

/* The caller hears rc, unless it went or heard already; then c is freed. */
static void
call_finish(bn_redis_call_t *c, int rc, int64_t ahead, int64_t retry)
{
    if (c->state == CALL_WAITING) {
        if (rc == BN_ERROR) {
            rd.last_ok = false;
        }
        c->cb(c->data, rc, ahead, retry);
    }
    call_free(c);
}

static void gcra_reply(redisAsyncContext *ac, void *r, void *privdata);

static void
script_loaded(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply *reply = r;

    /* An error here shows in the EVALSHA that follows. */
    if (reply != NULL && reply->type == REDIS_REPLY_STRING && strcmp(reply->str, rd.sha) != 0) {
        bn_log_error(BN_LOG_ALERT, NULL, 0, "redis %s: SCRIPT LOAD gave %s, not %s",
                     rd.conf->address, reply->str, rd.sha);
    }
}

static int
send_gcra(conn_t *conn, bn_redis_call_t *c)
{
    int rc;

    if (c->at) {
        rc = redisAsyncCommand(conn->ac, gcra_reply, c, "EVALSHA %s 1 %b %lld %u %lld", rd.sha,
                               c->key, c->len, (long long) c->interval, c->burst,
                               (long long) c->now);
    } else {
        rc = redisAsyncCommand(conn->ac, gcra_reply, c, "EVALSHA %s 1 %b %lld %u", rd.sha, c->key,
                               c->len, (long long) c->interval, c->burst);
    }
    if (rc != REDIS_OK) {
        return BN_ERROR;
    }
    c->seq = ++conn->nsent;
    return BN_OK;
}

/*
 * NOSCRIPT: Redis restarted or its scripts were flushed.  One SCRIPT LOAD
 * goes ahead of the retries of every call that was sent before it (they are
 * pipelined behind it); a call sent after it that still meets NOSCRIPT saw
 * another flush, and sends another.
 */
static int
retry_gcra(conn_t *conn, bn_redis_call_t *c)
{
    c->retried = true;
    if (c->seq > conn->loaded_at) {
        if (redisAsyncCommand(conn->ac, script_loaded, NULL, "SCRIPT LOAD %b", script,
                              sizeof(script) - 1)
            != REDIS_OK) {
            return BN_ERROR;
        }
        conn->loaded_at = ++conn->nsent;
    }
    return send_gcra(conn, c);
}

static void
gcra_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    bn_redis_call_t *c = privdata;
    conn_t *conn = ac->ev.data;
    redisReply *reply = r;

    BN_CHECK_OBJ(c, BN_REDIS_CALL_MAGIC);
    if (reply == NULL) {
        conn_lost(conn, conn_error(ac));
        call_finish(c, BN_ERROR, 0, 0);
        return;
    }
    if (c->state != CALL_WAITING) {
        call_free(c);
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        if (!c->retried && strncmp(reply->str, "NOSCRIPT", 8) == 0
            && retry_gcra(conn, c) == BN_OK) {
            return;
        }
        set_failing("EVALSHA: %s", reply->str);
        call_finish(c, BN_ERROR, 0, 0);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3
        || reply->element[0]->type != REDIS_REPLY_INTEGER
        || reply->element[1]->type != REDIS_REPLY_INTEGER
        || reply->element[2]->type != REDIS_REPLY_INTEGER) {
        set_failing("EVALSHA: a reply of another shape than the script's");
        call_finish(c, BN_ERROR, 0, 0);
        return;
    }
    set_ok();
    call_finish(c, reply->element[0]->integer ? BN_OK : BN_DECLINED, reply->element[1]->integer,
                reply->element[2]->integer);
}

/*
 * A call that times out on an up connection takes the connection with it.
 * While the first connection is still being made, it fails alone: the
 * connect has its own timer.
 */
static void
call_timeout(bn_timer_t *t)
{
    bn_redis_call_t *c = t->data;
    char why[64];

    BN_CHECK_OBJ(c, BN_REDIS_CALL_MAGIC);
    if (rd.state == RD_UP && rd.conn != NULL) {
        snprintf(why, sizeof(why), "a call took more than %" PRIu64 "ms", rd.conf->timeout);
        conn_drop(rd.conn, why); /* c is freed with the others */
        return;
    }
    if (c->state == CALL_WAITING) {
        c->state = CALL_TIMED_OUT;
        rd.last_ok = false;
        c->cb(c->data, BN_ERROR, 0, 0);
    }
}

static bn_redis_call_t *
gcra(const char *key, size_t len, int64_t interval, unsigned burst, bool at, int64_t now,
     bn_redis_gcra_pt cb, void *data)
{
    size_t plen = sizeof(BN_REDIS_KEY_PREFIX) - 1;
    bn_redis_call_t *c;

    if (rd.conf == NULL || !rd.conf->enabled || rd.state == RD_EXIT
        || rd.pending >= rd.conf->max_pending || len > SIZE_MAX - sizeof(*c) - plen) {
        return NULL;
    }
    if (rd.state == RD_IDLE) {
        connect_redis();
    }
    /* Calls wait behind the first connect; once Redis failed, only behind
     * a connection that answered. */
    if (rd.conn == NULL || (rd.state != RD_UP && rd.failing)) {
        return NULL;
    }
    c = malloc(sizeof(*c) + plen + len);
    if (c == NULL) {
        return NULL;
    }
    memset(c, 0, sizeof(*c));
    c->magic = BN_REDIS_CALL_MAGIC;
    c->cb = cb;
    c->data = data;
    c->interval = interval;
    c->burst = burst;
    c->at = at;
    c->now = now;
    c->len = plen + len;
    memcpy(c->key, BN_REDIS_KEY_PREFIX, plen);
    memcpy(c->key + plen, key, len);
    c->timer.handler = call_timeout;
    c->timer.data = c;
    if (send_gcra(rd.conn, c) != BN_OK) {
        free(c);
        return NULL;
    }
    rd.pending++;
    bn_timer_set(&c->timer, rd.conf->timeout);
    return c;
}

bn_redis_call_t *
bn_redis_gcra(const char *key, size_t len, int64_t interval_us, unsigned burst, bn_redis_gcra_pt cb,
              void *data)
{
    return gcra(key, len, interval_us, burst, false, 0, cb, data);
}

bn_redis_call_t *
bn_redis_gcra_at(const char *key, size_t len, int64_t interval_us, unsigned burst, int64_t now_us,
                 bn_redis_gcra_pt cb, void *data)
{
    return gcra(key, len, interval_us, burst, true, now_us, cb, data);
}

void
bn_redis_cancel(bn_redis_call_t *c)
{
    BN_CHECK_OBJ(c, BN_REDIS_CALL_MAGIC);
    BN_ASSERT(c->state == CALL_WAITING);
    c->state = CALL_CANCELLED;
}

bool
bn_redis_up(void)
{
    return rd.last_ok;
}

/* ---- the adapter: hiredis's hooks on the event loop -------------------------- */

static void
set_writing(conn_t *conn, bool on)
{
    if (conn->writing != on && bn_event_level_write(&conn->io, on) == BN_OK) {
        conn->writing = on;
    }
}

static void
handle_write(conn_t *conn)
{
    conn->in_write = true;
    redisAsyncHandleWrite(conn->ac);
    conn->in_write = false;
}

static void
flush(bn_posted_t *p)
{
    conn_t *conn = p->data;

    if (conn->ac != NULL && conn->connected && !conn->writing) {
        handle_write(conn);
    }
}

static void
ev_add_write(void *privdata)
{
    conn_t *conn = privdata;

    if (conn->writing) {
        return;
    }
    /* From inside a write, the socket is full: wait until it is not. */
    if (conn->in_write) {
        set_writing(conn, true);
    } else {
        bn_event_post(&conn->flush);
    }
}

static void
ev_del_write(void *privdata)
{
    set_writing(privdata, false);
}

static void
ev_nop(void *privdata)
{
}

static void
conn_free(void *p)
{
    conn_t *conn = p;

    conn->magic = 0;
    free(conn);
}

/* hiredis frees the context: the descriptor goes (hiredis closes it). */
static void
ev_cleanup(void *privdata)
{
    conn_t *conn = privdata;

    BN_CHECK_OBJ(conn, BN_REDIS_CONN_MAGIC);
    conn_lost(conn, conn_error(conn->ac));
    bn_event_del(&conn->io);
    conn->io.closed = true;
    bn_event_unpost(&conn->flush);
    conn->ac->ev.data = NULL;
    conn->ac = NULL;
    /* An event for it may still be in this batch. */
    bn_event_defer_free(conn_free, conn);
}

static void
io_handler(bn_io_t *io, uint32_t events)
{
    conn_t *conn = (conn_t *) ((char *) io - offsetof(conn_t, io));

    BN_CHECK_OBJ(conn, BN_REDIS_CONN_MAGIC);
    if (conn->writing && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        handle_write(conn);
    }
    if (conn->ac != NULL && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        redisAsyncHandleRead(conn->ac);
    }
}

/* ---- the connection ----------------------------------------------------------- */

static void
conn_up(conn_t *conn)
{
    if (rd.conn == conn) {
        rd.state = RD_UP;
        bn_timer_del(&rd.connect);
    }
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
    conn_t *conn = ac->ev.data;

    if (status != REDIS_OK) {
        /* hiredis frees the context next. */
        conn_lost(conn, conn_error(ac));
        return;
    }
    conn->connected = true;
}

static void
setup_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    conn_t *conn = ac->ev.data;
    redisReply *reply = r;
    char why[512];

    if (reply == NULL) {
        conn_lost(conn, conn_error(ac));
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(why, sizeof(why), "%s: %s", (const char *) privdata, reply->str);
        conn_drop(conn, why);
        return;
    }
    if (--conn->setup == 0) {
        conn_up(conn);
    }
}

static void
connect_timeout(bn_timer_t *t)
{
    if (rd.conn != NULL) {
        conn_drop(rd.conn, "connect timed out");
    }
}

static void
retry_connect(bn_timer_t *t)
{
    if (rd.state == RD_DOWN) {
        connect_redis();
    }
}

static int
send_setup(conn_t *conn)
{
    const bn_conf_redis_t *cf = rd.conf;
    int rc = REDIS_OK;

    if (cf->password != NULL) {
        rc = redisAsyncCommand(conn->ac, setup_reply, (void *) "AUTH", "AUTH %b", cf->password,
                               cf->password_len);
        conn->setup++;
    }
    if (rc == REDIS_OK && cf->database != 0) {
        rc = redisAsyncCommand(conn->ac, setup_reply, (void *) "SELECT", "SELECT %u", cf->database);
        conn->setup++;
    }
    if (rc == REDIS_OK && conn->setup == 0) {
        rc = redisAsyncCommand(conn->ac, setup_reply, (void *) "PING", "PING");
        conn->setup++;
    }
    return rc == REDIS_OK ? BN_OK : BN_ERROR;
}

/* A new connection, non-blocking: the address was resolved at load. */
static void
connect_redis(void)
{
    const bn_addr_t *a = &rd.conf->addr;
    redisAsyncContext *ac;
    conn_t *conn;

    rd.state = RD_CONNECTING;
    rd.conn = conn = calloc(1, sizeof(*conn));
    if (conn == NULL) {
        conn_lost(NULL, "out of memory");
        return;
    }
    conn->magic = BN_REDIS_CONN_MAGIC;
    if (a->sa.ss_family == AF_UNIX) {
        ac = redisAsyncConnectUnix(((const struct sockaddr_un *) &a->sa)->sun_path);
    } else {
        ac = redisAsyncConnect(rd.host, rd.port);
    }
    if (ac == NULL || ac->err) {
        conn_lost(conn, ac != NULL ? conn_error(ac) : "out of memory");
        if (ac != NULL) {
            redisAsyncFree(ac);
        }
        free(conn);
        return;
    }
    conn->ac = ac;
    conn->io.fd = ac->c.fd;
    conn->io.handler = io_handler;
    conn->flush.handler = flush;
    conn->flush.data = conn;
    ac->ev.data = conn;
    ac->ev.addRead = ev_nop;
    ac->ev.delRead = ev_nop;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_del_write;
    ac->ev.cleanup = ev_cleanup;
    /* EPOLLOUT says the connect is done. */
    if (bn_event_add_level(&conn->io, true) != BN_OK) {
        conn_drop(conn, "epoll_ctl() failed");
        return;
    }
    conn->writing = true;
    if (redisAsyncSetConnectCallback(ac, on_connect) != REDIS_OK || send_setup(conn) != BN_OK) {
        conn_drop(conn, "out of memory");
        return;
    }
    bn_timer_set(&rd.connect, BN_MAX(rd.conf->timeout, BN_REDIS_CONNECT_MIN));
}

/* ---- start and exit ---------------------------------------------------------- */

void
bn_redis_init(const bn_conf_redis_t *conf)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;

    rd.conf = conf;
    rd.retry.handler = retry_connect;
    rd.connect.handler = connect_timeout;
    if (!conf->enabled) {
        return;
    }
    /* EVALSHA names the script by its SHA-1, as Redis computes it. */
    BN_ASSERT(EVP_Digest(script, sizeof(script) - 1, md, &n, EVP_sha1(), NULL) == 1 && n == 20);
    for (unsigned i = 0; i < n; i++) {
        snprintf(rd.sha + 2 * i, 3, "%02x", md[i]);
    }
    if (conf->addr.sa.ss_family != AF_UNIX) {
        const struct sockaddr *sa = (const struct sockaddr *) &conf->addr.sa;
        bn_sockaddr_host(sa, rd.host, sizeof(rd.host));
        rd.port = (int) bn_addr_port(&conf->addr);
    }
}

void
bn_redis_exit(void)
{
    conn_t *conn = rd.conn;

    rd.state = RD_EXIT;
    bn_timer_del(&rd.retry);
    bn_timer_del(&rd.connect);
    if (conn != NULL) {
        rd.conn = NULL;
        if (conn->ac != NULL && !(conn->ac->c.flags & REDIS_FREEING)) {
            redisAsyncFree(conn->ac);
        }
    }
}
