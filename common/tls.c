/*
 * tls.c: server contexts from the config (see tls.h).
 */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

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
    int n = snprintf(err, errlen, fmt, file);

    if (n >= 0 && (size_t) n < errlen) {
        snprintf(err + n, errlen - (size_t) n, ": %s", bn_tls_error());
    }
    return BN_ERROR;
}

static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
            unsigned inlen, void *arg)
{
    static const unsigned char ours[] = "\x08http/1.1";

    if (SSL_select_next_proto((unsigned char **) out, outlen, ours, sizeof(ours) - 1, in, inlen)
        != OPENSSL_NPN_NEGOTIATED) {
        /* Only protocols we do not speak (h2 alone): go on without ALPN
         * rather than fail, as nginx does; the client may still try 1.1. */
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
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                                 | SSL_OP_IGNORE_UNEXPECTED_EOF
                                 | (t->session_tickets ? 0 : SSL_OP_NO_TICKET));
    /* Buffers may move between retries of a write (the pipe compacts). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                              | SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(ctx, t->ciphers) != 1) {
        fail(err, errlen, "ciphers \"%s\" leave nothing usable", t->ciphers);
        goto failed;
    }
    SSL_CTX_set_dh_auto(ctx, 1);
    if (SSL_CTX_set1_groups_list(ctx, BN_TLS_GROUPS) != 1) {
        fail(err, errlen, "%s", "cannot set the key exchange groups");
        goto failed;
    }
    SSL_CTX_set_session_id_context(
        ctx, (const unsigned char *) t->session_context,
        (unsigned) BN_MIN(strlen(t->session_context), SSL_MAX_SID_CTX_LENGTH));
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
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
