/*
 * libFuzzer target for path normalisation: whatever the input, the output
 * starts with "/", holds no "//", "/./" or "/../", never grows by more than
 * one byte, and is its own normal form.
 *
 *   make fuzz && objs/fuzz_uri -max_total_time=600 t/fuzz/corpus/uri
 */
#include "../../common/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char *out = malloc(n + 2), *again;
    ssize_t len, len2;

    /* The HTTP parser hands over only paths of visible ASCII that start
     * with "/": that is the function's domain. */
    if (out == NULL || n == 0 || d[0] != '/') {
        free(out);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (d[i] < 0x21 || d[i] > 0x7e) {
            free(out);
            return 0;
        }
    }
    len = bn_uri_normalize((const char *) d, n, out);
    if (len >= 0) {
        if ((size_t) len > n + 1 || out[0] != '/' || strlen(out) != (size_t) len
            || strstr(out, "//") != NULL || strstr(out, "/./") != NULL
            || strstr(out, "/../") != NULL
            || (len >= 2 && strcmp(out + len - 2, "/.") == 0)
            || (len >= 3 && strcmp(out + len - 3, "/..") == 0)) {
            __builtin_trap();
        }
        again = malloc((size_t) len + 2);
        if (again != NULL) {
            len2 = bn_uri_normalize(out, (size_t) len, again);
            if (len2 != len || memcmp(out, again, (size_t) len) != 0) {
                __builtin_trap();
            }
            free(again);
        }
    }
    free(out);
    return 0;
}
