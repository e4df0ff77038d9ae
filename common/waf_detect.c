/*
 * waf_detect.c: the helpers the WAF's detectors share (common/waf_sqli.c,
 * waf_xss.c, waf_shell.c): word comparisons in any ASCII case and the
 * filling of a match.
 */
#include "waf_detect.h"

unsigned
bn_waf_begin(bn_waf_detect_t *m, unsigned paranoia)
{
    m->reason = NULL;
    m->fingerprint[0] = '\0';
    return paranoia < 1 ? 1 : paranoia > 4 ? 4 : paranoia;
}

bool
bn_waf_word_eq(const char *s, size_t n, const char *w)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (w[i] == '\0' || bn_waf_lower((unsigned char) s[i]) != (unsigned char) w[i]) {
            return false;
        }
    }
    return w[i] == '\0';
}

bool
bn_waf_prefix_eq(const char *s, size_t n, const char *w)
{
    size_t i;

    for (i = 0; w[i] != '\0'; i++) {
        if (i >= n || bn_waf_lower((unsigned char) s[i]) != (unsigned char) w[i]) {
            return false;
        }
    }
    return true;
}

bool
bn_waf_found(bn_waf_detect_t *m, const char *reason, const char *fp, size_t fp_len)
{
    size_t k;

    m->reason = reason;
    fp_len = BN_WAF_MIN(fp_len, sizeof(m->fingerprint) - 1);
    for (k = 0; k < fp_len; k++) {
        unsigned char c = (unsigned char) fp[k];

        /* The fingerprint goes to the log: printable bytes only. */
        m->fingerprint[k] = (c >= 0x21 && c < 0x7f) ? (char) c : '?';
    }
    m->fingerprint[k] = '\0';
    return true;
}
