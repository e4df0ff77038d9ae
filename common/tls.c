/*
 * tls.c: server contexts from the config (see tls.h).
 */
#include "tls.h"
#include "str.h"

#include "clock.h"

#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <sys/mman.h>

#define TICKET_KEYS 3        /* current, previous, and the one being made */
#define SESSION_SLOTS 4096   /* shared session cache entries */
#define SESSION_MAX_DER 2048 /* larger sessions (big client chains) are not shared */

typedef struct {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
} ticket_key_t;

typedef struct {
    uint64_t expires; /* wall clock seconds; 0: free */
    unsigned char id[SSL_MAX_SSL_SESSION_ID_LENGTH];
    unsigned id_len;
    unsigned der_len;
    unsigned char der[SESSION_MAX_DER];
} session_slot_t;

/*
 * Ticket keys need no lock: readers use the current and previous slots,
 * and the master writes a new key into the third before it advances
 * `current`.  The session cache is small critical sections (a copy of at
 * most 2 KiB) under one process-shared mutex, robust so that a worker
 * killed while holding it cannot stop the others.
 */
typedef struct {
    atomic_uint current;
    ticket_key_t keys[TICKET_KEYS];
    pthread_mutex_t lock; /* process-shared and robust: a worker killed holding it */
    session_slot_t sessions[SESSION_SLOTS];
} tls_shared_t;

static tls_shared_t *shared;
static EVP_CIPHER *aes256cbc; /* fetched once: OpenSSL 3 looks names up under locks */

int
bn_tls_shared_create(void)
{
    void *p =
        mmap(NULL, sizeof(tls_shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t a;

    if (p == MAP_FAILED) {
        return BN_ERROR;
    }
    shared = p;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pthread_mutex_init(&shared->lock, &a) != 0) {
        pthread_mutexattr_destroy(&a);
        return BN_ERROR;
    }
    pthread_mutexattr_destroy(&a);
    for (unsigned i = 0; i < TICKET_KEYS; i++) {
        if (RAND_bytes((unsigned char *) &shared->keys[i], sizeof(ticket_key_t)) != 1) {
            return BN_ERROR;
        }
    }
    atomic_store(&shared->current, 1); /* keys[0] stands for the previous key */
    return BN_OK;
}

void
bn_tls_rotate_ticket_keys(void)
{
    unsigned cur = atomic_load(&shared->current), next = (cur + 1) % TICKET_KEYS;

    if (RAND_bytes((unsigned char *) &shared->keys[next], sizeof(ticket_key_t)) != 1) {
        return; /* keep the current key a while longer */
    }
    atomic_store(&shared->current, next);
}

static int
ticket_key(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
           EVP_MAC_CTX *hctx, int enc)
{
    unsigned cur;
    const ticket_key_t *k = NULL;
    OSSL_PARAM params[3];
    int rc = 1;

    if (shared == NULL) {
        return enc ? -1 : 0;
    }
    cur = atomic_load(&shared->current);
    if (enc) {
        k = &shared->keys[cur];
        if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) {
            return -1;
        }
        memcpy(name, k->name, 16);
    } else {
        unsigned prev = (cur + TICKET_KEYS - 1) % TICKET_KEYS;
        if (memcmp(name, shared->keys[cur].name, 16) == 0) {
            k = &shared->keys[cur];
            /* TLS 1.3 tickets are for one use (RFC 8446 8.1; OpenSSL's
             * client will not offer one twice): a resumed connection gets
             * a new one, or the client's next connection is a full
             * handshake. */
            rc = SSL_version(ssl) == TLS1_3_VERSION ? 2 : 1;
        } else if (memcmp(name, shared->keys[prev].name, 16) == 0) {
            k = &shared->keys[prev];
            rc = 2; /* good, but made with the previous key: issue a new ticket */
        } else {
            return 0; /* unknown or expired key: a full handshake */
        }
    }
    params[0] =
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *) k->hmac, sizeof(k->hmac));
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0);
    params[2] = OSSL_PARAM_construct_end();
    if (EVP_MAC_CTX_set_params(hctx, params) != 1) {
        return -1;
    }
    if (aes256cbc == NULL && (aes256cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL)) == NULL) {
        return -1;
    }
    if (enc) {
        return EVP_EncryptInit_ex(cctx, aes256cbc, NULL, k->aes, iv) == 1 ? 1 : -1;
    }
    return EVP_DecryptInit_ex(cctx, aes256cbc, NULL, k->aes, iv) == 1 ? rc : -1;
}

static void
cache_lock(void)
{
    if (pthread_mutex_lock(&shared->lock) == EOWNERDEAD) {
        /* Its holder died mid-copy: at worst one slot is garbage, which
         * d2i rejects and the next session overwrites. */
        pthread_mutex_consistent(&shared->lock);
    }
}

static void
cache_unlock(void)
{
    pthread_mutex_unlock(&shared->lock);
}

static size_t
session_slot(const unsigned char *id, unsigned len)
{
    return (size_t) (bn_fnv1a(BN_FNV1A_START, id, len) % SESSION_SLOTS);
}

/* A new session: into its slot (a direct-mapped cache: a newer session
 * simply replaces an older one in the same slot). */
static int
session_new(SSL *ssl, SSL_SESSION *sess)
{
    unsigned char der[SESSION_MAX_DER], *p = der;
    unsigned id_len;
    const unsigned char *id = SSL_SESSION_get_id(sess, &id_len);
    session_slot_t *e;
    int len;

    /* A TLS 1.3 session sent as a ticket travels with the client and is
     * never looked up here: serializing and storing it would be work for
     * nothing on every handshake. */
    if (SSL_version(ssl) == TLS1_3_VERSION && !(SSL_get_options(ssl) & SSL_OP_NO_TICKET)) {
        return 0;
    }
    len = i2d_SSL_SESSION(sess, NULL);
    if (shared == NULL || len <= 0 || len > SESSION_MAX_DER || id_len == 0) {
        return 0;
    }
    i2d_SSL_SESSION(sess, &p);
    e = &shared->sessions[session_slot(id, id_len)];
    cache_lock();
    memcpy(e->id, id, id_len);
    e->id_len = id_len;
    e->der_len = (unsigned) len;
    memcpy(e->der, der, (size_t) len);
    e->expires = (uint64_t) time(NULL) + (uint64_t) SSL_SESSION_get_timeout(sess);
    cache_unlock();
    return 0; /* we kept a copy, not the reference */
}

static SSL_SESSION *
session_get(SSL *ssl, const unsigned char *id, int id_len, int *copy)
{
    unsigned char der[SESSION_MAX_DER];
    const unsigned char *p = der;
    session_slot_t *e;
    unsigned len = 0;

    *copy = 0;
    if (shared == NULL || id_len <= 0 || id_len > SSL_MAX_SSL_SESSION_ID_LENGTH) {
        return NULL;
    }
    e = &shared->sessions[session_slot(id, (unsigned) id_len)];
    cache_lock();
    if (e->id_len == (unsigned) id_len && memcmp(e->id, id, (size_t) id_len) == 0
        && e->expires > (uint64_t) time(NULL)) {
        len = e->der_len;
        memcpy(der, e->der, len);
    }
    cache_unlock();
    return len > 0 ? d2i_SSL_SESSION(NULL, &p, (long) len) : NULL;
}

static void
session_remove(SSL_CTX *ctx, SSL_SESSION *sess)
{
    unsigned id_len;
    const unsigned char *id = SSL_SESSION_get_id(sess, &id_len);
    session_slot_t *e;

    if (shared == NULL || id_len == 0) {
        return;
    }
    e = &shared->sessions[session_slot(id, id_len)];
    cache_lock();
    if (e->id_len == id_len && memcmp(e->id, id, id_len) == 0) {
        e->expires = 0;
        e->id_len = 0;
    }
    cache_unlock();
}

const char *
bn_tls_error(void)
{
    static char buf[256];
    unsigned long e = ERR_get_error();

    if (e == 0) {
        return "unknown error";
    }
    ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return buf;
}

static int
fail(char *err, size_t errlen, const char *fmt, const char *file)
{
    bn_line_t l;

    bn_line_init(&l, err, errlen);
    bn_line_printf(&l, fmt, file);
    bn_line_printf(&l, ": %s", bn_tls_error());
    return BN_ERROR;
}

/* h2 first where the block allows it (RFC 9113 3.2): the client's order
 * decides only among what we offer equally.  arg is the block's
 * bn_tls_server_conf_t, so the block SNI picked decides. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
            unsigned inlen, void *arg)
{
    static const unsigned char h2[] = "\x02h2", h1[] = "\x08http/1.1";
    const bn_tls_server_conf_t *t = arg;

    if (t->http2
        && SSL_select_next_proto((unsigned char **) out, outlen, h2, sizeof(h2) - 1, in, inlen)
               == OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_OK;
    }
    if (SSL_select_next_proto((unsigned char **) out, outlen, h1, sizeof(h1) - 1, in, inlen)
        != OPENSSL_NPN_NEGOTIATED) {
        /* Only protocols we do not speak: go on without ALPN rather than
         * fail, as nginx does; the client may still try 1.1. */
        return SSL_TLSEXT_ERR_NOACK;
    }
    return SSL_TLSEXT_ERR_OK;
}

/* Staples the OCSP response of the certificate this handshake uses. */
static int
ocsp_status(SSL *ssl, void *arg)
{
    bn_tls_server_conf_t *t = arg;
    X509 *x = SSL_get_certificate(ssl);

    for (size_t i = 0; i < t->ncerts; i++) {
        if (t->certs[i].leaf == x && t->certs[i].ocsp != NULL) {
            unsigned char *copy = OPENSSL_memdup(t->certs[i].ocsp, t->certs[i].ocsp_len);
            if (copy == NULL) {
                return SSL_TLSEXT_ERR_NOACK;
            }
            SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long) t->certs[i].ocsp_len);
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static int
read_ocsp(bn_tls_cert_t *c, char *err, size_t errlen)
{
    FILE *f = fopen(c->ocsp_file, "rb");
    OCSP_RESPONSE *resp = NULL;
    long len;

    if (f == NULL) {
        snprintf(err, errlen, "cannot read \"%s\": %s", c->ocsp_file, strerror(errno));
        return BN_ERROR;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0 || len > 1024 * 1024
        || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        snprintf(err, errlen, "\"%s\": not an OCSP response", c->ocsp_file);
        return BN_ERROR;
    }
    c->ocsp = OPENSSL_malloc((size_t) len);
    if (c->ocsp == NULL || fread(c->ocsp, 1, (size_t) len, f) != (size_t) len) {
        fclose(f);
        snprintf(err, errlen, "cannot read \"%s\"", c->ocsp_file);
        return BN_ERROR;
    }
    fclose(f);
    c->ocsp_len = (size_t) len;
    {
        const unsigned char *p = c->ocsp;
        resp = d2i_OCSP_RESPONSE(NULL, &p, len);
    }
    if (resp == NULL) {
        return fail(err, errlen, "\"%s\": not a DER OCSP response", c->ocsp_file);
    }
    OCSP_RESPONSE_free(resp);
    return BN_OK;
}

static int
use_certificate(SSL_CTX *ctx, bn_tls_cert_t *c, char *err, size_t errlen)
{
    EVP_PKEY *pkey;
    FILE *f;
    X509 *x;

    /* The leaf first, on its own, for a clear message about its dates. */
    f = fopen(c->cert, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot read certificate \"%s\": %s", c->cert, strerror(errno));
        return BN_ERROR;
    }
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (x == NULL) {
        return fail(err, errlen, "\"%s\": not a PEM certificate", c->cert);
    }
    if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
        X509_free(x);
        snprintf(err, errlen, "certificate \"%s\" has expired", c->cert);
        return BN_ERROR;
    }
    if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
        X509_free(x);
        snprintf(err, errlen, "certificate \"%s\" is not valid yet", c->cert);
        return BN_ERROR;
    }
    X509_free(x);
    /* The leaf and its chain, in the slot of its key type: an RSA and an
     * ECDSA certificate live side by side, the client gets what it supports. */
    if (SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1) {
        return fail(err, errlen, "cannot use certificate \"%s\"", c->cert);
    }
    f = fopen(c->key, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot read private key \"%s\": %s", c->key, strerror(errno));
        return BN_ERROR;
    }
    pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (pkey == NULL) {
        return fail(err, errlen, "\"%s\": not a PEM private key", c->key);
    }
    if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), pkey) != 1) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        snprintf(err, errlen, "private key \"%s\" does not match certificate \"%s\"", c->key,
                 c->cert);
        return BN_ERROR;
    }
    if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
        EVP_PKEY_free(pkey);
        return fail(err, errlen, "cannot use private key \"%s\"", c->key);
    }
    EVP_PKEY_free(pkey);
    c->leaf = SSL_CTX_get0_certificate(ctx);
    if (c->ocsp_file != NULL && read_ocsp(c, err, errlen) != BN_OK) {
        return BN_ERROR;
    }
    return BN_OK;
}

SSL_CTX *
bn_tls_server_ctx(bn_tls_server_conf_t *t, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    bool ocsp = false;

    if (ctx == NULL) {
        fail(err, errlen, "%s", "SSL_CTX_new() failed");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, t->min_version);
    SSL_CTX_set_max_proto_version(ctx, t->max_version);
    /* A client that closes without close_notify ends its stream, as over
     * plain TCP (HTTP frames its own messages). */
    /* Server cipher order: every cipher of the list is strong, and a
     * client that ranks a weaker one first still gets the best. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                                 | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_CIPHER_SERVER_PREFERENCE
                                 | (t->session_tickets ? 0 : SSL_OP_NO_TICKET));
    /* Buffers may move between retries of a write (the pipe compacts). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                              | SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(ctx, t->ciphers) != 1) {
        fail(err, errlen, "ciphers \"%s\" leave nothing usable", t->ciphers);
        goto failed;
    }
    /* Whole records per read(): without it OpenSSL reads each record's
     * header and body apart, two syscalls where one does (as nginx sets). */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_dh_auto(ctx, 1);
    if (SSL_CTX_set1_groups_list(ctx, BN_TLS_GROUPS) != 1) {
        fail(err, errlen, "%s", "cannot set the key exchange groups");
        goto failed;
    }
    SSL_CTX_set_session_id_context(
        ctx, (const unsigned char *) t->session_context,
        (unsigned) BN_MIN(strlen(t->session_context), SSL_MAX_SID_CTX_LENGTH));
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, t);
    /* Sessions resume on any worker: tickets under keys all workers share,
     * and, for clients without tickets, the shared session cache. */
    if (t->session_tickets) {
        SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key);
        /* One ticket per handshake: an HTTP/1.1 client resumes one
         * connection at a time (OpenSSL's default of two doubles the work). */
        SSL_CTX_set_num_tickets(ctx, 1);
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, session_new);
    SSL_CTX_sess_set_get_cb(ctx, session_get);
    SSL_CTX_sess_set_remove_cb(ctx, session_remove);
    for (size_t i = 0; i < t->ncerts; i++) {
        if (use_certificate(ctx, &t->certs[i], err, errlen) != BN_OK) {
            goto failed;
        }
        ocsp = ocsp || t->certs[i].ocsp != NULL;
    }
    if (ocsp) {
        SSL_CTX_set_tlsext_status_cb(ctx, ocsp_status);
        SSL_CTX_set_tlsext_status_arg(ctx, t);
    }
    if (t->client_ca != NULL) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(t->client_ca);
        if (names == NULL || SSL_CTX_load_verify_locations(ctx, t->client_ca, NULL) != 1) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            fail(err, errlen, "cannot read client_ca \"%s\"", t->client_ca);
            goto failed;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return ctx;

failed:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *
bn_tls_client_ctx(const bn_tls_client_conf_t *t, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL) {
        fail(err, errlen, "%s", "SSL_CTX_new() failed");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                                 | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                              | SSL_MODE_RELEASE_BUFFERS);
    /* Sessions are kept by the worker, per server (worker/upstream.c). */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    if (t->verify) {
        if (SSL_CTX_load_verify_locations(ctx, t->ca, NULL) != 1) {
            fail(err, errlen, "cannot read ca \"%s\"", t->ca);
            goto failed;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    if (t->cert != NULL) {
        bn_tls_cert_t c = { .cert = t->cert, .key = t->key };
        if (use_certificate(ctx, &c, err, errlen) != BN_OK) {
            goto failed;
        }
    }
    return ctx;

failed:
    SSL_CTX_free(ctx);
    return NULL;
}

/* ---- what `bouncer check` reports ------------------------------------------ */

void
bn_tls_cert_info(const X509 *x, bn_tls_cert_info_t *info)
{
    GENERAL_NAMES *sans;
    const ASN1_TIME *end = X509_get0_notAfter(x);
    bn_line_t names;
    struct tm tm;
    int days = 0, secs = 0;
    BIO *b;
    char *data;
    long n;

    memset(info, 0, sizeof(*info));
    b = BIO_new(BIO_s_mem());
    if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
        n = BIO_get_mem_data(b, &data);
        snprintf(info->subject, sizeof(info->subject), "%.*s", (int) n, data);
    }
    BIO_free(b);

    bn_line_init(&names, info->names, sizeof(info->names));
    sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        char ip[INET6_ADDRSTRLEN];
        const char *sep = names.len ? ", " : "";
        if (g->type == GEN_DNS) {
            bn_line_printf(&names, "%s%.*s", sep, ASN1_STRING_length(g->d.dNSName),
                           (const char *) ASN1_STRING_get0_data(g->d.dNSName));
        } else if (g->type == GEN_IPADD
                   && inet_ntop(ASN1_STRING_length(g->d.iPAddress) == 16 ? AF_INET6 : AF_INET,
                                ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof(ip))
                          != NULL) {
            bn_line_printf(&names, "%s%s", sep, ip);
        }
    }
    GENERAL_NAMES_free(sans);

    if (ASN1_TIME_to_tm(end, &tm) == 1) {
        strftime(info->not_after, sizeof(info->not_after), "%Y-%m-%d %H:%M:%S UTC", &tm);
    }
    if (ASN1_TIME_diff(&days, &secs, NULL, end) == 1) {
        info->seconds_left = (int64_t) days * 86400 + secs;
    }
    info->days_left =
        info->seconds_left > 0 ? (info->seconds_left + 86399) / 86400 : info->seconds_left / 86400;
}

static bool
weak_cipher(const SSL_CIPHER *c)
{
    int enc = SSL_CIPHER_get_cipher_nid(c);

    return enc == NID_undef || enc == NID_rc4 || enc == NID_rc4_40 || enc == NID_des_cbc
           || enc == NID_des_ede3_cbc || SSL_CIPHER_get_auth_nid(c) == NID_auth_null
           || SSL_CIPHER_get_digest_nid(c) == NID_md5 || SSL_CIPHER_get_bits(c, NULL) < 128;
}

size_t
bn_tls_weak_ciphers(SSL_CTX *ctx, char *buf, size_t len)
{
    /* SSL_get1_supported_ciphers, not the context's list: that one still
     * holds what the security level or the protocols rule out. */
    SSL *ssl = SSL_new(ctx);
    STACK_OF(SSL_CIPHER) *sup = ssl != NULL ? SSL_get1_supported_ciphers(ssl) : NULL;
    bn_line_t l;
    size_t n = 0;

    bn_line_init(&l, buf, len);
    for (int i = 0; i < sk_SSL_CIPHER_num(sup); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(sup, i);
        if (weak_cipher(c)) {
            bn_line_printf(&l, "%s%s", n++ ? ", " : "", SSL_CIPHER_get_name(c));
        }
    }
    sk_SSL_CIPHER_free(sup);
    SSL_free(ssl);
    ERR_clear_error();
    return n;
}
