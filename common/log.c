/*
 * log.c: error log lines, written with one write(2) each so that lines from
 * several processes appending to one file never interleave.
 */
#include "log.h"
#include "clock.h"
#include "str.h"

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
    bn_line_t line;
    va_list ap;

    if (level > bn_log_level) {
        return;
    }
    if (bn_current_sec == 0) {
        bn_time_update();
    }
    /* Room for the newline is kept out of the line itself. */
    bn_line_init(&line, buf, sizeof(buf) - 1);
    bn_line_printf(&line, "%s [%s] %d: ", bn_time_errlog(), level_names[level], (int) getpid());
    if (log != NULL && log->conn != 0) {
        bn_line_printf(&line, "*%" PRIu64 " ", log->conn);
    }
    va_start(ap, fmt);
    bn_line_vprintf(&line, fmt, ap);
    va_end(ap);
    if (err != 0) {
        bn_line_printf(&line, " (%d: %s)", err, strerror(err));
    }
    if (log != NULL && log->action != NULL) {
        bn_line_printf(&line, " while %s", log->action);
    }
    if (log != NULL && log->handler != NULL) {
        log->handler(log, &line);
    }
    bn_line_mark_cut(&line, " [cut]");
    buf[line.len++] = '\n';
    if (write(bn_log_fd, buf, line.len) == -1) {
        /* Nowhere left to report it. */
    }
    if (bn_log_stderr_too && bn_log_fd != STDERR_FILENO) {
        if (write(STDERR_FILENO, buf, line.len) == -1) {
            /* Nowhere left to report it. */
        }
    }
}

bool
bn_log_limited(bn_log_limit_t *l, unsigned *suppressed)
{
    if (bn_current_sec == 0) {
        bn_time_update();
    }
    if (bn_current_sec == l->last) {
        l->suppressed++;
        return false;
    }
    l->last = bn_current_sec;
    *suppressed = l->suppressed;
    l->suppressed = 0;
    return true;
}

int
bn_log_open_file(const char *path, bool nofollow)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0),
                0644);
}

void
bn_assert_fail(const char *file, int line, const char *func, const char *expr)
{
    bn_log_error(BN_LOG_ALERT, NULL, 0, "assertion \"%s\" failed in %s() at %s:%d", expr, func,
                 file, line);
    abort();
}
