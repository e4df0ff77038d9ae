/* tls.h: what worker/tls.c exports. */
#ifndef BN_WORKER_TLS_H
#define BN_WORKER_TLS_H

#include "types.h"

int bn_tls_init(bn_conf_t *conf);
/* SSL_set_fd() for c, with the socket's reads watched (c->drained). */
int bn_tls_set_fd(bn_conn_t *c, SSL *ssl);
/* Starts TLS on a client of a tls_listen listener; BN_OK or BN_ERROR. */
int bn_tls_accept(bn_client_t *c);
/* The block whose certificate and rules a handshake on l uses when the
 * client's SNI is host (lower case): the block host names there, if it has
 * TLS, else current (the listener's default block). */
bn_conf_server_t *bn_tls_sni_server(bn_conf_listen_t *l, bn_conf_server_t *current,
                                    const char *host);
/* Moves the handshake on: BN_OK when done, BN_AGAIN, BN_ERROR (logged), or
 * BN_DECLINED: the client's first bytes are plain text, not TLS (nothing
 * of them is read). */
int bn_tls_handshake(bn_client_t *c);
ssize_t bn_tls_recv(bn_conn_t *c, char *p, size_t n);
ssize_t bn_tls_sendv(bn_conn_t *c, struct iovec *iov, int n);
/* Sends close_notify (one try) and frees the TLS state. */
void bn_tls_close(bn_conn_t *c);
/* Ends the sending side: close_notify when TLS, then a FIN. */
void bn_conn_shutdown_write(bn_conn_t *c);
const char *bn_tls_protocol(const bn_conn_t *c); /* NULL: plain */
bool bn_tls_resumed(const bn_conn_t *c);

#endif
