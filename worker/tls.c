/*
 * tls.c: TLS on client connections, inside the event loop: handshakes that
 * never block (SSL_ERROR_WANT_READ/WRITE either way), SNI choosing the
 * server block and its certificate, and the record layer under
 * bn_conn_recv() and bn_conn_sendv().  The contexts themselves are made by
 * the master (common/tls.c).
 */
#include "tls.h"
#include "route.h"
#include "../common/clock.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

/* Moves ssl to the context of server block srv: its certificates, and
 * what it asks of the client.  SSL_set_SSL_CTX() moves the certificates
 * only; the rest comes across by hand. */
static void
use_server(SSL *ssl, bn_client_t *c, bn_conf_server_t *srv)
{
    SSL_CTX *ctx = srv->tls.ctx;

    c->tls_server = srv;
    SSL_set_SSL_CTX(ssl, ctx);
    SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(ctx));
    SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(ctx));
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), SSL_CTX_get_verify_callback(ctx));
    SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(ctx));
    SSL_clear_options(ssl, SSL_get_options(ssl) & ~SSL_CTX_get_options(ctx));
    SSL_set_options(ssl, SSL_CTX_get_options(ctx));
    SSL_set_cipher_list(ssl, srv->tls.conf.ciphers);
    if (SSL_CTX_get_client_CA_list(ctx) != NULL) {
        SSL_set_client_CA_list(ssl, SSL_dup_CA_list(SSL_CTX_get_client_CA_list(ctx)));
    }
}

/*
 * SNI, read from the ClientHello before the version is chosen, so that
 * the block the client named applies all its settings (protocols too), as
 * the servername callback would be too late for.  An unknown name keeps
 * the listener's default block.
 */
static int
client_hello(SSL *ssl, int *alert, void *arg)
{
    bn_client_t *c = SSL_get_app_data(ssl);
    const unsigned char *ext;
    size_t len, nlen, i;
    char host[256];
    bn_conf_server_t *srv;

    if (c == NULL || !SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len)) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }
    /* RFC 6066 3: a list (2-byte length) of entries: type 0 (host_name),
     * 2-byte length, the name. */
    if (len < 5 || ext[2] != TLSEXT_NAMETYPE_host_name) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }
    nlen = (size_t) ext[3] << 8 | ext[4];
    if (nlen == 0 || nlen >= sizeof(host) || nlen > len - 5) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }
    for (i = 0; i < nlen; i++) {
        unsigned char ch = ext[5 + i];
        host[i] = (char) (ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    host[nlen] = '\0';
    c->sni = true;
    srv = bn_tls_sni_server(c->listen, c->tls_server, host);
    if (srv != c->tls_server) {
        use_server(ssl, c, srv);
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

bn_conf_server_t *
bn_tls_sni_server(bn_conf_listen_t *l, bn_conf_server_t *current, const char *host)
{
    bn_conf_server_t *srv = bn_route_server(l, host);

    return srv->tls.enabled ? srv : current;
}

/* Acknowledges the name the ClientHello callback already acted on. */
static int
servername(SSL *ssl, int *alert, void *arg)
{
    return SSL_TLSEXT_ERR_OK;
}

int
bn_tls_init(bn_conf_t *conf)
{
    for (size_t i = 0; i < conf->nservers; i++) {
        if (conf->servers[i].tls.ctx != NULL) {
            SSL_CTX_set_client_hello_cb(conf->servers[i].tls.ctx, client_hello, NULL);
            SSL_CTX_set_tlsext_servername_callback(conf->servers[i].tls.ctx, servername);
        }
    }
    return BN_OK;
}

/* A callback of the socket BIO under every TLS connection: it notes
 * whether a read() came back short, that is whether it drained the socket,
 * so that bn_tls_recv() can skip the read() that would only say EAGAIN, as
 * bn_conn_recv() does for plain sockets. */
static long
watch_reads(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
            size_t *processed)
{
    if (oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0) {
        bn_conn_t *c = (bn_conn_t *) BIO_get_callback_arg(b);
        c->drained = *processed < len;
    }
    return ret;
}

int
bn_tls_set_fd(bn_conn_t *c, SSL *ssl)
{
    BIO *b;

    if (SSL_set_fd(ssl, c->io.fd) != 1) {
        return BN_ERROR;
    }
    b = SSL_get_rbio(ssl);
    BIO_set_callback_arg(b, (char *) c);
    BIO_set_callback_ex(b, watch_reads);
    c->drained = false;
    return BN_OK;
}

int
bn_tls_accept(bn_client_t *c)
{
    bn_conf_server_t *srv = c->listen->default_server;
    SSL *ssl = SSL_new(srv->tls.ctx);

    if (ssl == NULL || bn_tls_set_fd(&c->conn, ssl) != BN_OK) {
        bn_log_error(BN_LOG_ALERT, &c->log, 0, "SSL_new() failed: %s", bn_tls_error());
        SSL_free(ssl);
        return BN_ERROR;
    }
    SSL_set_app_data(ssl, c);
    SSL_set_accept_state(ssl);
    c->conn.ssl = ssl;
    c->tls_server = srv;
    return BN_OK;
}

/* The client certificate's subject, RFC 2253 form (as nginx's
 * $ssl_client_s_dn); NULL when there is none. */
static char *
client_subject(SSL *ssl)
{
    X509 *x = SSL_get1_peer_certificate(ssl);
    BIO *b;
    char *s = NULL;
    long n;
    char *data;

    if (x == NULL) {
        return NULL;
    }
    b = BIO_new(BIO_s_mem());
    if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
        n = BIO_get_mem_data(b, &data);
        s = malloc((size_t) n + 1);
        if (s != NULL) {
            memcpy(s, data, (size_t) n);
            s[n] = '\0';
        }
    }
    BIO_free(b);
    X509_free(x);
    return s;
}

/*
 * What the client's first byte says, before OpenSSL reads it: BN_OK for a
 * TLS record (a handshake record, 0x16, or anything OpenSSL should judge),
 * BN_DECLINED for printable ASCII (an HTTP method, or the HTTP/2 preface
 * "PRI *": plain text sent to a TLS port), BN_AGAIN when nothing came yet,
 * BN_ERROR when the client closed without a byte (logged).
 */
static int
first_byte(bn_client_t *c)
{
    unsigned char b;
    ssize_t n;

    if (BIO_number_read(SSL_get_rbio(c->conn.ssl)) > 0) {
        return BN_OK;
    }
    do {
        n = recv(c->conn.io.fd, &b, 1, MSG_PEEK);
    } while (n == -1 && errno == EINTR);
    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c->conn.readable = false;
        return BN_AGAIN;
    }
    if (n == -1) {
        bn_log_error(BN_LOG_INFO, &c->log, errno, "TLS handshake failed");
        return BN_ERROR;
    }
    if (n == 0) {
        bn_log_error(BN_LOG_INFO, &c->log, 0,
                     "client closed the connection before the TLS handshake");
        return BN_ERROR;
    }
    return b > 0x20 && b < 0x7f ? BN_DECLINED : BN_OK;
}

int
bn_tls_handshake(bn_client_t *c)
{
    SSL *ssl = c->conn.ssl;
    int rc, e;

    rc = first_byte(c);
    if (rc != BN_OK) {
        return rc;
    }
    ERR_clear_error();
    rc = SSL_do_handshake(ssl);
    if (rc == 1) {
        c->client_subject = client_subject(ssl);
        return BN_OK;
    }
    e = SSL_get_error(ssl, rc);
    if (e == SSL_ERROR_WANT_READ) {
        c->conn.readable = false;
        return BN_AGAIN;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        c->conn.writable = false;
        return BN_AGAIN;
    }
    /* A scanner, an old client, a certificate refused: the client's
     * problem, so info, as nginx logs it.  A client that only went away
     * leaves no error queued: with SSL_OP_IGNORE_UNEXPECTED_EOF its FIN is
     * SSL_ERROR_ZERO_RETURN, a reset SSL_ERROR_SYSCALL with errno. */
    if (ERR_peek_error() == 0 && (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL)) {
        bn_log_error(BN_LOG_INFO, &c->log, e == SSL_ERROR_SYSCALL ? errno : 0,
                     "client closed the connection during the TLS handshake");
    } else {
        bn_log_error(BN_LOG_INFO, &c->log, 0, "TLS handshake failed: %s", bn_tls_error());
    }
    ERR_clear_error();
    return BN_ERROR;
}

ssize_t
bn_tls_recv(bn_conn_t *c, char *p, size_t n)
{
    size_t got = 0;
    int e;

    ERR_clear_error();
    if (SSL_read_ex(c->ssl, p, n, &got) == 1) {
        /* The socket is drained, as the last read() came back short; what
         * OpenSSL still holds, bn_conn_recv() asks SSL_has_pending()
         * about.  A FIN seen (rdhup) is read on to, as for plain sockets. */
        if (c->drained && !c->rdhup) {
            c->readable = false;
        }
        return (ssize_t) got;
    }
    e = SSL_get_error(c->ssl, 0);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        c->readable = false;
        return BN_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        c->writable = false;
        return BN_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    default:
        ERR_clear_error();
        if (errno == 0) {
            errno = ECONNRESET;
        }
        return BN_ERROR;
    }
}

ssize_t
bn_tls_sendv(bn_conn_t *c, struct iovec *iov, int n)
{
    static char staging[16384]; /* one TLS record's worth */
    size_t total = 0, len = 0;

    ERR_clear_error();
    if (n > 1) {
        /* A head and a body (or chunk framing) in one record, one write():
         * half the encryption calls and syscalls of a record per piece.  A
         * retry after WANT_WRITE presents the same bytes again, as OpenSSL
         * requires (the buffer may move: ACCEPT_MOVING_WRITE_BUFFER). */
        int k = 0;
        for (; k < n && len + iov[k].iov_len <= sizeof(staging); k++) {
            memcpy(staging + len, iov[k].iov_base, iov[k].iov_len);
            len += iov[k].iov_len;
        }
        if (len > 0) {
            struct iovec one = { .iov_base = staging, .iov_len = len };
            ssize_t w = bn_tls_sendv(c, &one, 1), more;
            if (w != (ssize_t) len || k == n) {
                return w;
            }
            /* What did not fit: the caller must get a short count only
             * when the socket is full (see below). */
            more = bn_tls_sendv(c, iov + k, n - k);
            return more == BN_AGAIN ? w : more < 0 ? more : w + more;
        }
    }
    for (int i = 0; i < n; i++) {
        size_t off = 0, done = 0;
        int e = SSL_ERROR_NONE;
        /* With partial writes on, SSL_write_ex() returns after each record
         * sent: that says nothing of the socket, so go on until it is
         * all out or OpenSSL wants the socket writable (only then may the
         * caller wait for EPOLLOUT, an edge that a free socket never gives). */
        while (off < iov[i].iov_len
               && SSL_write_ex(c->ssl, (char *) iov[i].iov_base + off, iov[i].iov_len - off, &done)
                      == 1) {
            off += done;
            total += done;
        }
        if (off == iov[i].iov_len) {
            continue;
        }
        e = SSL_get_error(c->ssl, 0);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
            c->writable = false;
            return total > 0 ? (ssize_t) total : BN_AGAIN;
        }
        ERR_clear_error();
        if (errno == 0) {
            errno = EPIPE;
        }
        return BN_ERROR;
    }
    return (ssize_t) total;
}

void
bn_tls_close(bn_conn_t *c)
{
    if (c->ssl == NULL) {
        return;
    }
    /* One try at close_notify; a client gone already does not care. */
    if (SSL_is_init_finished(c->ssl)) {
        SSL_set_quiet_shutdown(c->ssl, 0);
        SSL_shutdown(c->ssl);
    }
    ERR_clear_error();
    SSL_free(c->ssl);
    c->ssl = NULL;
}

void
bn_conn_shutdown_write(bn_conn_t *c)
{
    if (c->ssl != NULL && SSL_is_init_finished(c->ssl)) {
        SSL_shutdown(c->ssl); /* close_notify, then the FIN */
        ERR_clear_error();
    }
    shutdown(c->io.fd, SHUT_WR);
}

const char *
bn_tls_protocol(const bn_conn_t *c)
{
    return c->ssl != NULL ? SSL_get_version(c->ssl) : NULL;
}

bool
bn_tls_resumed(const bn_conn_t *c)
{
    return c->ssl != NULL && SSL_session_reused(c->ssl);
}
