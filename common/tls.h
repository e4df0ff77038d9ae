/*
 * tls.h: OpenSSL contexts made from the config.  The master builds them at
 * load (so private keys may be readable by root only, and `check` and
 * `reload` find a bad certificate before anything changes); workers
 * inherit them with the config.
 */
#ifndef BN_TLS_H
#define BN_TLS_H

#include "bouncer.h"

#include <openssl/ssl.h>

typedef struct {
    const char *cert;
    const char *key;
    const char *ocsp_file;
    unsigned char *ocsp; /* the stapled response, DER; NULL: none */
    size_t ocsp_len;
    X509 *leaf; /* to tell which certificate a handshake uses */
} bn_tls_cert_t;

typedef struct {
    bn_tls_cert_t *certs;
    size_t ncerts;
    int min_version, max_version; /* TLS1_2_VERSION, TLS1_3_VERSION */
    const char *ciphers;          /* TLS 1.2 cipher list */
    const char *client_ca;        /* NULL: no client certificates asked */
    bool session_tickets;
    bool http2;                  /* ALPN offers h2 before http/1.1 */
    const char *session_context; /* keeps sessions of one server block to it */
} bn_tls_server_conf_t;

typedef struct {
    bool verify;
    const char *ca;   /* trusted roots for the servers' certificates */
    const char *sni;  /* NULL: each server's host name, when it has one */
    const char *cert; /* a client certificate, or NULL */
    const char *key;
} bn_tls_client_conf_t;

/* Mozilla's "intermediate" TLS 1.2 ciphers (TLS 1.3 suites are OpenSSL's). */
#define BN_TLS_INTERMEDIATE_CIPHERS                                                                \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                                   \
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"

#define BN_TLS_GROUPS "X25519:P-256:P-384"

/*
 * A server context for t: certificates with their chains (each checked
 * against its key, and for its validity dates), protocols, ciphers,
 * groups, ALPN (h2 when t->http2, and http/1.1), no compression, no renegotiation, client
 * certificates when client_ca is set, OCSP responses read.  NULL with a
 * message naming the file in err.
 */
SSL_CTX *bn_tls_server_ctx(bn_tls_server_conf_t *t, char *err, size_t errlen);

/* A client context for an upstream: TLS 1.2 and 1.3, the servers'
 * certificates verified against ca (unless verify is off), an optional
 * client certificate.  NULL with a message naming the file in err. */
SSL_CTX *bn_tls_client_ctx(const bn_tls_client_conf_t *t, char *err, size_t errlen);

/*
 * What lets a session made by one worker resume on another, in shared
 * memory the master maps before it forks: the session ticket keys (made by
 * the master, rotated every ticket_key_rotation, the previous one still
 * accepted) and a session cache for clients without tickets.
 */
int bn_tls_shared_create(void);
/* Master: a new ticket key becomes current, the current one previous. */
void bn_tls_rotate_ticket_keys(void);

/* What `bouncer check` says of a certificate it loaded. */
typedef struct {
    char subject[256];    /* RFC 2253: "CN=example.com,O=Example" */
    char names[512];      /* its subjectAltName DNS names and IP addresses, ", " between */
    char not_after[32];   /* "2026-05-01 12:00:00 UTC" */
    int64_t seconds_left; /* until not_after; negative once it has passed */
    int64_t days_left;    /* the same in days, a part day counted whole */
} bn_tls_cert_info_t;

void bn_tls_cert_info(const X509 *x, bn_tls_cert_info_t *info);

/*
 * The TLS 1.2 ciphers that ctx would agree to (its cipher list under its
 * protocols and security level) and that are weak: RC4, DES, 3DES, no
 * encryption, no authentication (anonymous DH/ECDH), an MD5 MAC, or under
 * 128 bits (export).  Their names, ", " between, into buf; the count.
 */
size_t bn_tls_weak_ciphers(SSL_CTX *ctx, char *buf, size_t len);

/* The first OpenSSL error queued, as text (and the queue cleared). */
const char *bn_tls_error(void);

#endif
