/*
 * trace.c: W3C Trace Context (trace.h).  The traceparent is read as the
 * Recommendation's section 3.2 says:
 *
 *   version "-" trace-id "-" parent-id "-" trace-flags
 *   2 hex     32 hex       16 hex        2 hex, all lower case
 *
 * Version ff is invalid; an all-zero trace-id or parent-id is invalid;
 * version 00 is exactly 55 characters.  A later version (3.2.4) is read
 * for its first four fields when a "-" or the end follows them, and what
 * is sent on is version 00 (the highest this knows) with only the sampled
 * flag kept, the one flag a later version is known to share.  Several
 * traceparent lines are invalid: no one of them is the caller's.
 */
#include "trace.h"
#include "request.h"
#include "../common/str.h"

#include <sys/random.h>
#include <time.h>

/*
 * The worker's random numbers: xoshiro256** seeded from getrandom(2) on
 * first use, in the worker, after fork, so no two workers share a sequence
 * and no id tells another worker's.  GRND_NONBLOCK: a host that has not
 * gathered its entropy yet gets a seed of the time, the pid and an address
 * rather than a worker that waits.  Ids, not keys: nothing here is secret.
 */
static uint64_t rng[4];
static bool rng_seeded;

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t
bn_random64(void)
{
    uint64_t r, t;

    if (!rng_seeded) {
        if (getrandom(rng, sizeof(rng), GRND_NONBLOCK) != (ssize_t) sizeof(rng)) {
            struct timespec ts;
            uint64_t x;
            clock_gettime(CLOCK_REALTIME, &ts);
            x = ((uint64_t) getpid() << 32) ^ (uint64_t) ts.tv_nsec ^ ((uint64_t) ts.tv_sec << 20)
                ^ (uint64_t) (uintptr_t) &ts;
            for (int i = 0; i < 4; i++) {
                rng[i] = splitmix64(&x);
            }
        }
        if ((rng[0] | rng[1] | rng[2] | rng[3]) == 0) {
            rng[0] = 1; /* the one state xoshiro never leaves */
        }
        rng_seeded = true;
    }
    r = rotl(rng[1] * 5, 7) * 9;
    t = rng[1] << 17;
    rng[2] ^= rng[0];
    rng[3] ^= rng[1];
    rng[1] ^= rng[2];
    rng[0] ^= rng[3];
    rng[2] ^= t;
    rng[3] = rotl(rng[3], 45);
    return r;
}

static bool
lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

static bool
all_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '0') {
            return false;
        }
    }
    return true;
}

#define TRACEPARENT_LEN 55

/* Fills t's trace id and flags from a valid traceparent v[0..len). */
static bool
parse_traceparent(const char *v, size_t len, bn_trace_t *t)
{
    bool v00;

    if (len < TRACEPARENT_LEN || !lower_hex(v, 2) || memcmp(v, "ff", 2) == 0 || v[2] != '-'
        || !lower_hex(v + 3, 32) || v[35] != '-' || !lower_hex(v + 36, 16) || v[52] != '-'
        || !lower_hex(v + 53, 2)) {
        return false;
    }
    v00 = memcmp(v, "00", 2) == 0;
    if (v00 ? len != TRACEPARENT_LEN : len > TRACEPARENT_LEN && v[TRACEPARENT_LEN] != '-') {
        return false;
    }
    if (all_zero(v + 3, 32) || all_zero(v + 36, 16)) {
        return false;
    }
    memcpy(t->trace_id, v + 3, 32);
    t->trace_id[32] = '\0';
    if (v00) {
        memcpy(t->flags, v + 53, 2);
    } else {
        memcpy(t->flags, bn_hex_value(v[54]) & 1 ? "01" : "00", 2);
    }
    t->flags[2] = '\0';
    return true;
}

/* The client's traceparent, when it sent exactly one line of it. */
static bool
client_traceparent(bn_request_t *r, bn_trace_t *t)
{
    const char *buf = r->client->in.start;
    const bn_http_header_t *one = NULL;

    if (r->head.head_len == 0 || buf == NULL) {
        return false; /* a head refused, or not read whole: nothing to trust in it */
    }
    for (unsigned i = 0; i < r->head.nheaders; i++) {
        const bn_http_header_t *h = &r->head.headers[i];
        if (bn_strncaseeq(buf + h->name, h->name_len, "traceparent", 11)) {
            if (one != NULL) {
                return false;
            }
            one = h;
        }
    }
    return one != NULL && parse_traceparent(buf + one->value, one->value_len, t);
}

/* 16 hex digits of a random number that is not 0. */
static void
random_hex(char *out)
{
    uint64_t x;

    while ((x = bn_random64()) == 0) {
    }
    for (int i = 15; i >= 0; i--, x >>= 4) {
        out[i] = "0123456789abcdef"[x & 0xf];
    }
    out[16] = '\0';
}

const bn_trace_t *
bn_trace(bn_request_t *r)
{
    bn_trace_t *t;

    if (!bn_heritage.conf->trace_context) {
        return NULL;
    }
    if (r->trace != NULL) {
        return r->trace;
    }
    t = bn_pcalloc(r->pool, sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    t->continued = client_traceparent(r, t);
    if (t->continued) {
        const char *ts = bn_http_field(r->pool, &r->head, r->client->in.start, "tracestate");
        t->tracestate = ts != NULL && ts[0] != '\0' ? ts : NULL;
    } else {
        /* A trace begins here.  Flags 00, not sampled: bouncer records no
         * span, and 01 would make every parent-based sampler behind it
         * record every request that came without a traceparent. */
        random_hex(t->trace_id);
        random_hex(t->trace_id + 16);
        memcpy(t->flags, "00", 3);
    }
    random_hex(t->span_id);
    r->trace = t;
    return t;
}

const char *
bn_trace_id(bn_request_t *r)
{
    const bn_trace_t *t = bn_trace(r);

    return t != NULL ? t->trace_id : NULL;
}

bool
bn_trace_replaces(const char *name, size_t len)
{
    return bn_heritage.conf->trace_context
           && (bn_strncaseeq(name, len, "traceparent", 11)
               || bn_strncaseeq(name, len, "tracestate", 10));
}

char *
bn_trace_upstream_lines(bn_request_t *r)
{
    const bn_trace_t *t;
    size_t ts_len;
    char *s, *p;

    if (!bn_heritage.conf->trace_context) {
        return "";
    }
    if ((t = bn_trace(r)) == NULL) {
        return NULL;
    }
    /* Built by hand, not bn_psprintf(): it is on every proxied request. */
    ts_len = t->tracestate != NULL ? strlen(t->tracestate) : 0;
    p = s =
        bn_palloc(r->pool, sizeof("traceparent: 00-") - 1 + 32 + 1 + 16 + 1 + 2 + 2
                               + (ts_len > 0 ? sizeof("tracestate: ") - 1 + ts_len + 2 : 0) + 1);
    if (s == NULL) {
        return NULL;
    }
    p = mempcpy(p, "traceparent: 00-", sizeof("traceparent: 00-") - 1);
    p = mempcpy(p, t->trace_id, 32);
    *p++ = '-';
    p = mempcpy(p, t->span_id, 16);
    *p++ = '-';
    p = mempcpy(p, t->flags, 2);
    p = mempcpy(p, "\r\n", 2);
    if (ts_len > 0) {
        p = mempcpy(p, "tracestate: ", sizeof("tracestate: ") - 1);
        p = mempcpy(p, t->tracestate, ts_len);
        p = mempcpy(p, "\r\n", 2);
    }
    *p = '\0';
    return s;
}
