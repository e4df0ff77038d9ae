/*
 * log.c: error log lines, written with one write(2) each so that lines from
 * several processes appending to one file never interleave.
 */
#include "log.h"
#include "clock.h"

#include <fcntl.h>

int bn_log_level = BN_LOG_NOTICE;
int bn_log_fd = STDERR_FILENO;
bool bn_log_stderr_too;

static const char *level_names[] = {
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
};

int
bn_log_level_parse(const char *name)
{
    for (size_t i = 0; i < BN_NELEMS(level_names); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            return (int) i;
        }
    }
    return -1;
}

void
bn_log_error(int level, const bn_log_t *log, int err, const char *fmt, ...)
{
    char buf[2048];
    size_t n, max = sizeof(buf) - 1;
    int r;
    va_list ap;

    if (level > bn_log_level) {
        return;
    }
    if (bn_current_sec == 0) {
        bn_time_update();
    }
    r = snprintf(buf, max, "%s [%s] %d: ", bn_time_errlog(), level_names[level], (int) getpid());
    n = (size_t) r;
    if (log != NULL && log->conn != 0 && n < max) {
        r = snprintf(buf + n, max - n, "*%" PRIu64 " ", log->conn);
        n += BN_MIN((size_t) r, max - n);
    }
    if (n < max) {
        va_start(ap, fmt);
        r = vsnprintf(buf + n, max - n, fmt, ap);
        va_end(ap);
        n += BN_MIN((size_t) (r < 0 ? 0 : r), max - n);
    }
    if (err != 0 && n < max) {
        r = snprintf(buf + n, max - n, " (%d: %s)", err, strerror(err));
        n += BN_MIN((size_t) r, max - n);
    }
    if (log != NULL && log->action != NULL && n < max) {
        r = snprintf(buf + n, max - n, " while %s", log->action);
        n += BN_MIN((size_t) r, max - n);
    }
    if (log != NULL && log->handler != NULL && n < max) {
        n += log->handler(log, buf + n, max - n);
    }
    if (n > max) {
        n = max;
    }
    buf[n++] = '\n';
    if (write(bn_log_fd, buf, n) == -1) {
        /* Nowhere left to report it. */
    }
    if (bn_log_stderr_too && bn_log_fd != STDERR_FILENO) {
        if (write(STDERR_FILENO, buf, n) == -1) {
            /* Nowhere left to report it. */
        }
    }
}

int
bn_log_open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

void
bn_assert_fail(const char *file, int line, const char *func, const char *expr)
{
    bn_log_error(BN_LOG_ALERT, NULL, 0, "assertion \"%s\" failed in %s() at %s:%d", expr, func,
                 file, line);
    abort();
}
