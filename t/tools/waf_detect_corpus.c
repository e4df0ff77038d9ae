/*
 * waf_detect_corpus: runs the WAF's detectors (common/waf_detect.h) over a
 * corpus file, one payload a line, and prints how many lines each detector
 * and their union matched.  Each line is decoded first as the WAF's engine
 * decodes a value: percent-decoding, HTML entities and JS escapes, repeated
 * until stable (at most 8 rounds), then NUL bytes removed.  The decoding
 * here is this tool's own, a stand-in for the engine's transformations.
 *
 *   objs/t/waf_detect_corpus [-p PARANOIA] [-m DETECTOR] [-h DETECTOR] FILE...
 *
 * -m prints the lines DETECTOR missed, -h those it matched, with the reason
 * and fingerprint (DETECTOR: sqli, xss, traversal, cmdi, any).  -t times
 * each detector on every line and prints ns per call.
 */
#include "../../common/waf_detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const struct {
    const char *name;
    bn_waf_detect_fn fn;
} detectors[] = {
    { "sqli", bn_waf_sqli },
    { "xss", bn_waf_xss },
    { "traversal", bn_waf_traversal },
    { "cmdi", bn_waf_cmdi },
};

#define NDET (sizeof(detectors) / sizeof(detectors[0]))

static int
hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The code point of the 4 hex digits at s, or -1. */
static long
hex4(const char *s)
{
    long cp = 0;

    for (int k = 0; k < 4; k++) {
        if (hexval(s[k]) < 0) {
            return -1;
        }
        cp = cp * 16 + hexval(s[k]);
    }
    return cp;
}

/* Writes the UTF-8 form of code point cp at out; returns its length. */
static size_t
utf8(unsigned long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char) cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char) (0xc0 | (cp >> 6));
        out[1] = (char) (0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char) (0xe0 | (cp >> 12));
        out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char) (0x80 | (cp & 0x3f));
        return 3;
    }
    if (cp > 0x10ffff) {
        cp = 0xfffd;
        return utf8(cp, out);
    }
    out[0] = (char) (0xf0 | (cp >> 18));
    out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char) (0x80 | (cp & 0x3f));
    return 4;
}

static const struct {
    const char *name;
    const char *text;
} entities[] = {
    { "lt", "<" },      { "gt", ">" },      { "quot", "\"" },  { "apos", "'" },
    { "amp", "&" },     { "nbsp", " " },    { "tab", "\t" },   { "newline", "\n" },
    { "colon", ":" },   { "sol", "/" },     { "bsol", "\\" },  { "lpar", "(" },
    { "rpar", ")" },    { "semi", ";" },    { "comma", "," },  { "period", "." },
    { "excl", "!" },    { "equals", "=" },  { "num", "#" },    { "grave", "`" },
    { "lsqb", "[" },    { "rsqb", "]" },    { "lcub", "{" },   { "rcub", "}" },
    { "plus", "+" },    { "percnt", "%" },  { "dollar", "$" }, { "ast", "*" },
    { "vert", "|" },    { "quest", "?" },   { "commat", "@" }, { "lowbar", "_" },
};

/* One round of decoding of s[0..n) into out (never longer); its length. */
static size_t
decode_round(const char *s, size_t n, char *out)
{
    size_t i = 0, o = 0;

    while (i < n) {
        unsigned char c = (unsigned char) s[i];

        if (c == '%' && i + 2 < n + 0 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[o++] = (char) (hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 3;
            continue;
        }
        /* %uXXXX and \uXXXX */
        if ((c == '%' || c == '\\') && i + 5 < n && (s[i + 1] == 'u' || s[i + 1] == 'U')
            && hex4(s + i + 2) >= 0) {
            o += utf8((unsigned long) hex4(s + i + 2), out + o);
            i += 6;
            continue;
        }
        if (c == '\\' && i + 3 < n && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0
            && hexval(s[i + 3]) >= 0) {
            out[o++] = (char) (hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
            i += 4;
            continue;
        }
        if (c == '&' && i + 2 < n && s[i + 1] == '#') {
            size_t k = i + 2;
            unsigned long cp = 0;
            int digits = 0;
            bool hex = k < n && (s[k] == 'x' || s[k] == 'X');

            if (hex) {
                k++;
            }
            while (k < n && digits < 10
                   && (hex ? hexval(s[k]) >= 0 : (s[k] >= '0' && s[k] <= '9'))) {
                cp = cp * (hex ? 16 : 10) + (unsigned long) (hex ? hexval(s[k]) : s[k] - '0');
                k++;
                digits++;
            }
            if (digits > 0) {
                if (k < n && s[k] == ';') {
                    k++;
                }
                o += utf8(cp, out + o);
                i = k;
                continue;
            }
        }
        if (c == '&') {
            size_t e;

            for (size_t k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
                e = strlen(entities[k].name);
                if (i + 1 + e < n + 1 && strncasecmp(s + i + 1, entities[k].name, e) == 0) {
                    size_t tl = strlen(entities[k].text);

                    memcpy(out + o, entities[k].text, tl);
                    o += tl;
                    i += 1 + e;
                    if (i < n && s[i] == ';') {
                        i++;
                    }
                    goto next;
                }
            }
        }
        out[o++] = (char) c;
        i++;
    next:;
    }
    return o;
}

/* Decodes line[0..n) in place until stable; drops NUL bytes. */
static size_t
decode(char *line, size_t n, char *tmp)
{
    for (int round = 0; round < 8; round++) {
        size_t m = decode_round(line, n, tmp);

        if (m == n && memcmp(line, tmp, n) == 0) {
            break;
        }
        memcpy(line, tmp, m);
        n = m;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (line[i] != '\0') {
            line[o++] = line[i];
        }
    }
    return o;
}

static int
detector_index(const char *name)
{
    if (strcmp(name, "any") == 0) {
        return (int) NDET;
    }
    for (size_t k = 0; k < NDET; k++) {
        if (strcmp(name, detectors[k].name) == 0) {
            return (int) k;
        }
    }
    fprintf(stderr, "unknown detector %s\n", name);
    exit(2);
}

static double
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

int
main(int argc, char **argv)
{
    unsigned paranoia = 1;
    int show_miss = -1, show_hit = -1, opt;
    bool timing = false;

    while ((opt = getopt(argc, argv, "p:m:h:t")) != -1) {
        switch (opt) {
        case 'p':
            paranoia = (unsigned) atoi(optarg);
            break;
        case 'm':
            show_miss = detector_index(optarg);
            break;
        case 'h':
            show_hit = detector_index(optarg);
            break;
        case 't':
            timing = true;
            break;
        default:
            fprintf(stderr, "usage: %s [-p N] [-m DET] [-h DET] [-t] FILE...\n", argv[0]);
            return 2;
        }
    }
    for (int f = optind; f < argc; f++) {
        FILE *fp = fopen(argv[f], "rb");
        char *line = NULL, *tmp = NULL;
        size_t cap = 0, lines = 0, hits[NDET + 1] = { 0 };
        double ns[NDET] = { 0 };
        ssize_t len;

        if (fp == NULL) {
            perror(argv[f]);
            return 1;
        }
        while ((len = getline(&line, &cap, fp)) != -1) {
            size_t n = (size_t) len;
            bool any = false;
            bn_waf_detect_t m, first = { NULL, "" };
            int first_k = -1;

            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
                n--;
            }
            if (n == 0) {
                continue;
            }
            tmp = realloc(tmp, cap * 4 + 16);
            if (tmp == NULL) {
                return 1;
            }
            n = decode(line, n, tmp);
            lines++;
            for (size_t k = 0; k < NDET; k++) {
                double t0 = timing ? now_ns() : 0;
                bool hit = detectors[k].fn(line, n, paranoia, &m);

                if (timing) {
                    ns[k] += now_ns() - t0;
                }
                if (hit) {
                    hits[k]++;
                    if (!any) {
                        first = m;
                        first_k = (int) k;
                    }
                    any = true;
                }
                if (show_hit == (int) k && hit) {
                    printf("HIT %s [%s] [%s] %.*s\n", detectors[k].name, m.reason,
                           m.fingerprint, (int) n, line);
                }
                if (show_miss == (int) k && !hit) {
                    printf("MISS %s %.*s\n", detectors[k].name, (int) n, line);
                }
            }
            if (any) {
                hits[NDET]++;
            }
            if (show_hit == (int) NDET && any) {
                printf("HIT %s [%s] [%s] %.*s\n", detectors[first_k].name, first.reason,
                       first.fingerprint, (int) n, line);
            }
            if (show_miss == (int) NDET && !any) {
                printf("MISS any %.*s\n", (int) n, line);
            }
        }
        printf("%s: %zu lines, paranoia %u:", argv[f], lines, paranoia);
        for (size_t k = 0; k <= NDET; k++) {
            printf(" %s %.2f%%", k < NDET ? detectors[k].name : "any",
                   lines ? 100.0 * (double) hits[k] / (double) lines : 0.0);
        }
        printf("\n");
        if (timing && lines > 0) {
            printf("  ns per call:");
            for (size_t k = 0; k < NDET; k++) {
                printf(" %s %.0f", detectors[k].name, ns[k] / (double) lines);
            }
            printf("\n");
        }
        free(line);
        free(tmp);
        fclose(fp);
    }
    return 0;
}
