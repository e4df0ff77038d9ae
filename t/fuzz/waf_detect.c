/*
 * libFuzzer target for the WAF's detectors (common/waf_detect.h): whatever
 * the bytes, each detector returns, and when it matches the reason is set
 * and the fingerprint a NUL-terminated string of printable bytes; without a
 * match both are empty.  The first byte picks the paranoia level.
 *
 *   make fuzz && objs/fuzz_waf_detect -max_total_time=600 t/fuzz/corpus/waf_detect
 */
#include "../../common/waf_detect.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static const bn_waf_detect_fn fns[] = { bn_waf_sqli, bn_waf_xss, bn_waf_traversal,
                                            bn_waf_cmdi };
    unsigned paranoia;

    if (n == 0) {
        return 0;
    }
    paranoia = d[0] % 5;
    d++;
    n--;
    for (size_t k = 0; k < sizeof(fns) / sizeof(fns[0]); k++) {
        bn_waf_detect_t m;
        bool hit;
        size_t len;

        memset(&m, 0xa5, sizeof(m));
        hit = fns[k]((const char *) d, n, paranoia, &m);
        len = strnlen(m.fingerprint, sizeof(m.fingerprint));
        if (len == sizeof(m.fingerprint)) {
            __builtin_trap();
        }
        if (hit != (m.reason != NULL) || (!hit && len != 0)) {
            __builtin_trap();
        }
        for (size_t i = 0; i < len; i++) {
            if (m.fingerprint[i] < 0x21 || m.fingerprint[i] > 0x7e) {
                __builtin_trap();
            }
        }
    }
    return 0;
}
