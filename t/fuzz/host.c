/*
 * libFuzzer target for Host / authority checking (bn_http_parse_host):
 * whatever it accepts is uri-host [":" port] with nothing else in it, so
 * no byte a backend or the cache key could read differently (an '@', a
 * '/', a second ':', a space, a control) ever passes.
 *
 *   make fuzz && objs/fuzz_host -max_total_time=600 t/fuzz/corpus/host
 */
#include "../../common/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    const char *s = (const char *) d;
    size_t host_len = (size_t) -1, i;

    if (bn_http_parse_host(s, n, &host_len) != BN_OK) {
        return 0;
    }
    if (host_len > n) {
        __builtin_trap();
    }
    if (host_len > 0 && s[0] == '[') {
        if (host_len < 3 || s[host_len - 1] != ']') {
            __builtin_trap();
        }
        for (i = 1; i + 1 < host_len; i++) {
            if (!strchr("0123456789abcdefABCDEF:.", s[i]) || s[i] == '\0') {
                __builtin_trap();
            }
        }
    } else {
        for (i = 0; i < host_len; i++) {
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~", s[i])
                || s[i] == '\0') {
                __builtin_trap();
            }
        }
    }
    if (host_len < n) {
        if (host_len == 0 || s[host_len] != ':' || n - host_len - 1 > 5) {
            __builtin_trap();
        }
        unsigned port = 0;
        for (i = host_len + 1; i < n; i++) {
            if (s[i] < '0' || s[i] > '9') {
                __builtin_trap();
            }
            port = port * 10 + (unsigned) (s[i] - '0');
        }
        if (port > 65535) {
            __builtin_trap();
        }
    }
    return 0;
}
