/*
 * auth_basic.c: HTTP Basic authentication (RFC 7617) against an htpasswd
 * file.  A bcrypt or SHA-crypt check costs tens of milliseconds by design,
 * so it runs on the worker's threads (thread_pool.h) while the request is
 * parked; APR1 and {SHA} are cheap and run in place.  A user and password
 * that verified are remembered for `remember`, by a keyed hash of both
 * (never the password itself), so a busy client costs one hash, not one
 * per request.  At most max_pending checks per policy wait or run in a
 * worker: beyond that the route answers 503, and a flood of wrong
 * passwords cannot take the threads from every other route.  Requests
 * with the same credentials while one check runs wait for that check
 * instead of starting their own: when a remembered credential expires
 * under a busy client, one hash is computed, not one per connection.
 */
#include "auth.h"
#include "phase_types.h"
#include "request.h"
#include "thread_pool.h"
#include "../common/clock.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define REMEMBERED 4096   /* slots of the remembered-credential table */
#define CREDENTIAL_MAX 1024 /* bytes of user:password after base64 */

typedef struct {
    unsigned char mac[32];
    bn_msec_t until; /* 0: free */
} remembered_t;

static remembered_t *remembered;
static unsigned char remember_key[32];
static unsigned *pending; /* per policy index: checks queued or running */
static bn_list_t inflight = BN_LIST_INIT(inflight);

typedef struct {
    bn_job_t job;
    bn_list_t link;    /* on the checks in flight */
    bn_list_t waiters; /* bn_auth_try_t of other requests, through wait_link */
    unsigned char mac[32];
    bn_auth_try_t *t; /* NULL once the request has gone */
    bn_request_t *r;
    const bn_htpasswd_entry_t *entry; /* NULL: an unknown user, a dummy check */
    const bn_htpasswd_t *users;       /* ... as costly as the file's costliest entry */
    unsigned policy;
    bool ok;
    size_t pw_len;
    char pw[CREDENTIAL_MAX];
} check_t;

static int
remember_init(void)
{
    if (remembered != NULL) {
        return BN_OK;
    }
    remembered = calloc(REMEMBERED, sizeof(*remembered));
    pending = calloc(bn_heritage.conf->nauth_policies + 1, sizeof(*pending));
    if (remembered == NULL || pending == NULL || RAND_bytes(remember_key, sizeof(remember_key)) != 1) {
        free(remembered);
        free(pending);
        remembered = NULL;
        pending = NULL;
        return BN_ERROR;
    }
    return BN_OK;
}

/* The keyed hash of policy, user and password that stands for them. */
static void
credential_mac(unsigned policy, const char *cred, size_t len, unsigned char mac[32])
{
    unsigned int n = 32;
    unsigned char msg[sizeof(unsigned) + CREDENTIAL_MAX];

    memcpy(msg, &policy, sizeof(policy));
    memcpy(msg + sizeof(policy), cred, len);
    HMAC(EVP_sha256(), remember_key, sizeof(remember_key), msg, sizeof(policy) + len, mac, &n);
    OPENSSL_cleanse(msg, sizeof(msg));
}

static remembered_t *
slot_of(const unsigned char mac[32])
{
    uint32_t h;

    memcpy(&h, mac, sizeof(h));
    return &remembered[h % REMEMBERED];
}

static bool
is_remembered(const unsigned char mac[32])
{
    remembered_t *s = slot_of(mac);

    return s->until > bn_current_msec && CRYPTO_memcmp(s->mac, mac, 32) == 0;
}

static void
remember(const unsigned char mac[32], uint64_t ttl)
{
    remembered_t *s = slot_of(mac);

    if (ttl > 0) {
        memcpy(s->mac, mac, 32);
        s->until = bn_current_msec + ttl;
    }
}

static void
check_work(bn_job_t *j)
{
    check_t *c = (check_t *) j;

    if (c->entry != NULL) {
        c->ok = bn_pw_verify(c->entry, c->pw, c->pw_len);
    } else {
        c->ok = bn_htpasswd_dummy_verify(c->users, c->pw, c->pw_len);
    }
    OPENSSL_cleanse(c->pw, sizeof(c->pw));
}

static void
check_done(bn_job_t *j)
{
    check_t *c = (check_t *) j;
    int result = c->ok ? 200 : 401; /* not 0: that means "not checked yet" */
    bn_list_t *it, *next;

    pending[c->policy]--;
    bn_list_remove(&c->link);
    if (c->t != NULL) {
        c->t->state = NULL;
        c->t->result = result;
        bn_phase_wake(c->r);
    }
    bn_list_foreach (&c->waiters, it, next) {
        bn_auth_try_t *w = bn_list_data(it, bn_auth_try_t, wait_link);
        bn_list_remove(&w->wait_link);
        w->result = result;
        bn_phase_wake(w->waiter);
    }
    free(c);
}

/* The check in flight for the same policy, user and password, if any. */
static check_t *
inflight_check(const unsigned char mac[32])
{
    bn_list_t *it, *next;

    bn_list_foreach (&inflight, it, next) {
        check_t *c = bn_list_data(it, check_t, link);
        if (CRYPTO_memcmp(c->mac, mac, 32) == 0) {
            return c;
        }
    }
    return NULL;
}

/* The request ended while its check ran: the check's answer goes nowhere. */
static void
check_forget(void *data)
{
    bn_auth_try_t *t = data;
    check_t *c = t->state;

    /* In an any, the try may have moved on to another method's state. */
    if (t->policy == NULL || t->policy->method != BN_AUTH_BASIC) {
        return;
    }
    if (c != NULL) {
        c->t = NULL;
        t->state = NULL;
    }
    if (bn_list_linked(&t->wait_link)) {
        bn_list_remove(&t->wait_link); /* it waited on another request's check */
    }
}

static bool
has_ctl(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            return true;
        }
    }
    return false;
}

/* After a check: what it found, and what passing needs done. */
static int
finish(bn_request_t *r, bn_auth_try_t *t, const char *user, size_t ulen, bool ok)
{
    if (!ok) {
        bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                     "basic auth: wrong password or unknown user \"%.*s\"", (int) ulen, user);
        return 401;
    }
    if (bn_auth_passed(r, "basic", user, ulen) != BN_OK) {
        return 500;
    }
    if (r->route->strip_credentials
        && bn_request_drop_header(r, "authorization", 13) != BN_OK) {
        return 500;
    }
    return BN_OK;
}

/* user:password from the Authorization header, decoded into buf. */
static int
credentials(bn_request_t *r, char *buf, size_t *len, size_t *ulen)
{
    const char *v = bn_http_header(r, "authorization"), *tok;
    size_t tl, n;
    char *colon;

    if (v == NULL || strncasecmp(v, "basic ", 6) != 0) {
        return BN_DECLINED;
    }
    for (tok = v + 6; *tok == ' '; tok++) {
    }
    tl = strlen(tok);
    if (tl == 0 || tl > CREDENTIAL_MAX * 4 / 3
        || bn_base64_decode(tok, tl, (unsigned char *) buf, &n, false) != BN_OK) {
        bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                     "basic auth: the Authorization header is not valid base64");
        return 401;
    }
    colon = memchr(buf, ':', n);
    if (colon == NULL || colon == buf || has_ctl(buf, n)) {
        bn_log_error(BN_LOG_INFO, &r->client->log, 0,
                     "basic auth: the credentials are not \"user:password\"");
        return 401;
    }
    *len = n;
    *ulen = (size_t) (colon - buf);
    return BN_OK;
}

int
bn_auth_basic(bn_request_t *r, bn_auth_try_t *t)
{
    const bn_conf_auth_t *a = t->policy;
    const bn_htpasswd_entry_t *e;
    char cred[CREDENTIAL_MAX];
    size_t len, ulen;
    unsigned char mac[32];
    check_t *c;
    int rc;

    rc = credentials(r, cred, &len, &ulen);
    if (rc != BN_OK) {
        t->sent = rc != BN_DECLINED;
        return rc;
    }
    t->sent = true;
    if (remember_init() != BN_OK) {
        return 500;
    }
    credential_mac(a->index, cred, len, mac);
    if (t->result != 0) {
        /* Woken: the check on a thread is done. */
        rc = finish(r, t, cred, ulen, t->result == 200);
        if (rc == BN_OK) {
            remember(mac, a->basic.remember);
        }
        goto out;
    }
    if (is_remembered(mac)) {
        rc = finish(r, t, cred, ulen, true);
        goto out;
    }
    e = bn_htpasswd_find(a->basic.users, cred, ulen);
    if (e != NULL ? !bn_pw_slow(e->kind) : !bn_pw_slow(bn_htpasswd_dummy_kind(a->basic.users))) {
        bool ok = e != NULL ? bn_pw_verify(e, cred + ulen + 1, len - ulen - 1)
                            : bn_htpasswd_dummy_verify(a->basic.users, cred + ulen + 1, len - ulen - 1);
        bn_log_error(BN_LOG_DEBUG, &r->client->log, 0, "basic auth: a password hash was computed");
        rc = finish(r, t, cred, ulen, ok);
        if (rc == BN_OK) {
            remember(mac, a->basic.remember);
        }
        goto out;
    }
    if (!t->registered) {
        if (bn_pool_cleanup_add(r->pool, check_forget, t) != BN_OK) {
            rc = 500;
            goto out;
        }
        t->registered = true;
    }
    if ((c = inflight_check(mac)) != NULL) {
        /* The same credentials are being checked: wait for that answer. */
        t->waiter = r;
        bn_list_insert_tail(&c->waiters, &t->wait_link);
        rc = BN_AGAIN;
        goto out;
    }
    if (pending[a->index] >= a->basic.max_pending) {
        bn_log_error(BN_LOG_WARN, &r->client->log, 0,
                     "basic auth: %u password checks already wait for policy \"%s\" "
                     "(max_pending): 503",
                     pending[a->index], a->name[0] ? a->name : "(inline)");
        rc = 503;
        goto out;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || bn_thread_pool_start(bn_heritage.conf->auth_threads) != BN_OK) {
        free(c);
        rc = 503;
        goto out;
    }
    c->job.work = check_work;
    c->job.done = check_done;
    c->t = t;
    c->r = r;
    c->entry = e;
    /* An unknown user costs what a known one does: no telling them apart. */
    c->users = a->basic.users;
    c->policy = a->index;
    c->pw_len = len - ulen - 1;
    memcpy(c->pw, cred + ulen + 1, c->pw_len);
    memcpy(c->mac, mac, sizeof(mac));
    bn_list_init(&c->waiters);
    bn_list_insert_tail(&inflight, &c->link);
    t->state = c;
    pending[a->index]++;
    bn_thread_pool_post(&c->job);
    bn_log_error(BN_LOG_DEBUG, &r->client->log, 0, "basic auth: a password hash was computed");
    rc = BN_AGAIN;
out:
    OPENSSL_cleanse(cred, sizeof(cred));
    return rc;
}
