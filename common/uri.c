/*
 * uri.c: path normalisation for matching (RFC 3986 6.2.2, 5.2.4).
 */
#include "uri.h"

#include <ctype.h>

static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

ssize_t
bn_uri_normalize(const char *in, size_t n, char *out)
{
    char *o = out;

    for (size_t i = 0; i < n; i++) {
        char ch = in[i];
        if (ch == '%') {
            int hi, lo;
            char d;
            if (i + 2 >= n) {
                return -1;
            }
            hi = hex_digit(in[i + 1]);
            lo = hex_digit(in[i + 2]);
            if (hi < 0 || lo < 0) {
                return -1;
            }
            d = (char) (hi * 16 + lo);
            if ((unsigned char) d < 0x20 || d == 0x7f) {
                /* A decoded NUL or control: a backend in C may cut the
                 * path there, one that logs it may forge lines. */
                return -1;
            }
            if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9')
                || d == '-' || d == '.' || d == '_' || d == '~') {
                ch = d;
                i += 2;
            } else {
                /* Reserved or unsafe: stays encoded, hex in upper case. */
                *o++ = '%';
                *o++ = (char) toupper((unsigned char) in[i + 1]);
                *o++ = (char) toupper((unsigned char) in[i + 2]);
                i += 2;
                continue;
            }
        }
        if (ch == '/' && o > out && o[-1] == '/') {
            continue;
        }
        *o++ = ch;
        /* A segment just ended (or the path did): resolve it if it is dots. */
        if (ch == '/' || i + 1 == n) {
            char *seg_end = ch == '/' ? o - 1 : o;
            char *seg = seg_end;
            while (seg > out && seg[-1] != '/') {
                seg--;
            }
            size_t sl = (size_t) (seg_end - seg);
            if (sl == 1 && seg[0] == '.') {
                o = seg;
            } else if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
                char *prev;
                if (seg - 1 <= out) {
                    return -1;
                }
                prev = seg - 1;
                while (prev > out && prev[-1] != '/') {
                    prev--;
                }
                o = prev;
            }
        }
    }
    if (o == out) {
        *o++ = '/';
    }
    *o = '\0';
    return o - out;
}
