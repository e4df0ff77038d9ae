/*
 * log.h: the error log.  A line reads
 *   2026/11/26 16:46:34 [error] 1234: *5 message (111: Connection refused)
 *       while connecting to upstream, client: 1.2.3.4, request: "GET / HTTP/1.1"
 * The "*5" and everything after the message come from the bn_log_t of the
 * connection; code outside a connection passes NULL.
 */
#ifndef BN_LOG_H
#define BN_LOG_H

#include "bouncer.h"
#include "str.h"

enum {
    BN_LOG_EMERG = 0,
    BN_LOG_ALERT,
    BN_LOG_CRIT,
    BN_LOG_ERR,
    BN_LOG_WARN,
    BN_LOG_NOTICE,
    BN_LOG_INFO,
    BN_LOG_DEBUG
};

typedef struct bn_log_s bn_log_t;

/* Appends ", client: ..." context to buf; returns the bytes written. */
/* Appends the context of log's owner (client, server, request) to line. */
typedef void (*bn_log_handler_pt)(const bn_log_t *log, bn_line_t *line);

struct bn_log_s {
    uint64_t conn;      /* connection number, 0 for none */
    const char *action; /* "while ..." */
    bn_log_handler_pt handler;
    void *data;
};

/* The process's error log: stderr until bn_log_set_fd(). */
extern int bn_log_level;
extern int bn_log_fd;
extern bool bn_log_stderr_too; /* master in the foreground also echoes to stderr */

void bn_log_error(int level, const bn_log_t *log, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define bn_log_debug(log, ...)                                                                     \
    do {                                                                                           \
        if (bn_log_level >= BN_LOG_DEBUG) {                                                        \
            bn_log_error(BN_LOG_DEBUG, log, 0, __VA_ARGS__);                                       \
        }                                                                                          \
    } while (0)

/*
 * A message that a storm of like events would repeat (out of descriptors,
 * once per request): bn_log_limited() says whether to log it now, at most
 * once a second, and counts the times it said no.  *suppressed gets how many
 * were left out since the last one logged.
 */
typedef struct {
    time_t last;
    unsigned suppressed;
} bn_log_limit_t;

bool bn_log_limited(bn_log_limit_t *l, unsigned *suppressed);

/* Returns the level, or -1 for an unknown name. */
int bn_log_level_parse(const char *name);

/*
 * Opens path for appending (O_APPEND, 0644, created if absent) and returns
 * the fd, or -1 with errno set.  With nofollow a symbolic link at path
 * fails with ELOOP: a process that started as root must not follow one
 * (the workers' user may have planted it).
 */
int bn_log_open_file(const char *path, bool nofollow);

#endif
