/*
 * clock.c: the cached clock and its preformatted strings, rebuilt only when
 * the second changes (the ISO 8601 form carries milliseconds).
 */
#include "clock.h"

#include <sys/time.h>

bn_msec_t bn_current_msec;
time_t bn_current_sec;

static time_t cached_sec = -1;
static unsigned cached_ms;
static char errlog_str[sizeof("2026/11/26 16:46:34")];
static char http_str[sizeof("Thu, 26 Nov 2026 16:46:34 GMT")];
static char combined_str[sizeof("26/Nov/2026:16:46:34 +0000")];
static char iso_base[sizeof("2026-11-26T16:46:34")];
static char iso_tz[sizeof("+00:00")];
static char iso_str[sizeof("2026-11-26T16:46:34.123+00:00")];

void
bn_time_update(void)
{
    struct timespec mono;
    struct timeval tv;
    struct tm lt, gt;
    long off;

    clock_gettime(CLOCK_MONOTONIC, &mono);
    bn_current_msec = (bn_msec_t) mono.tv_sec * 1000 + (bn_msec_t) (mono.tv_nsec / 1000000);
    gettimeofday(&tv, NULL);
    bn_current_sec = tv.tv_sec;
    cached_ms = (unsigned) (tv.tv_usec / 1000);
    iso_str[0] = '\0';
    if (tv.tv_sec == cached_sec) {
        return;
    }
    cached_sec = tv.tv_sec;
    localtime_r(&tv.tv_sec, &lt);
    gmtime_r(&tv.tv_sec, &gt);
    strftime(errlog_str, sizeof(errlog_str), "%Y/%m/%d %H:%M:%S", &lt);
    strftime(http_str, sizeof(http_str), "%a, %d %b %Y %H:%M:%S GMT", &gt);
    strftime(combined_str, sizeof(combined_str), "%d/%b/%Y:%H:%M:%S %z", &lt);
    strftime(iso_base, sizeof(iso_base), "%Y-%m-%dT%H:%M:%S", &lt);
    off = lt.tm_gmtoff / 60;
    snprintf(iso_tz, sizeof(iso_tz), "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60 % 100,
             labs(off) % 60);
}

const char *
bn_time_errlog(void)
{
    return errlog_str;
}

const char *
bn_time_http(void)
{
    return http_str;
}

const char *
bn_time_combined(void)
{
    return combined_str;
}

const char *
bn_time_iso8601(void)
{
    if (iso_str[0] == '\0') {
        snprintf(iso_str, sizeof(iso_str), "%s.%03u%s", iso_base, cached_ms, iso_tz);
    }
    return iso_str;
}
