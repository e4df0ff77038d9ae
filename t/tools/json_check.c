/*
 * json_check: the driver of t/json_diff.t.  For each FILE, one line: the
 * canonical form of its JSON (t/tools/json_canon.h) or "error: REASON @OFFSET".
 * Each text is also parsed fed one byte at a time and cut at random places;
 * when that gives anything else, the line is "MISMATCH ...".
 *
 *   objs/t/json_check [-d MAX_DEPTH] [-z MAX_SIZE] FILE...
 */
#include "json_canon.h"

static char *
result(const char *text, size_t len, const bn_json_limits_t *lim, size_t step, unsigned seed)
{
    bn_pool_t *pool = bn_pool_create(4096);
    bn_json_tree_t *t;
    bn_json_t *j;
    const char *err = NULL;
    size_t off = 0, i, n;
    char *out = NULL;

    if (pool == NULL) {
        return NULL;
    }
    if (step == 0) {
        j = bn_json_parse(pool, text, len, lim, &err, &off);
    } else {
        t = bn_json_tree_create(pool, lim);
        for (i = 0; t != NULL && i < len; i += n) {
            n = step == 1 ? 1 : (size_t) rand_r(&seed) % step + 1;
            n = BN_MIN(n, len - i);
            if (bn_json_tree_feed(t, text + i, n) != BN_OK) {
                break;
            }
        }
        j = t != NULL ? bn_json_tree_finish(t, &err, &off) : NULL;
    }
    if (j != NULL) {
        out = canon_text(j);
    } else if (asprintf(&out, "error: %s @%zu", err, off) == -1) {
        out = NULL;
    }
    bn_pool_destroy(pool);
    return out;
}

int
main(int argc, char **argv)
{
    bn_json_limits_t lim = { 0, 0 };
    int opt, rc = 0;

    while ((opt = getopt(argc, argv, "d:z:")) != -1) {
        if (opt == 'd') {
            lim.max_depth = strtoul(optarg, NULL, 10);
        } else if (opt == 'z') {
            lim.max_size = strtoul(optarg, NULL, 10);
        } else {
            fprintf(stderr, "usage: json_check [-d MAX_DEPTH] [-z MAX_SIZE] FILE...\n");
            return 2;
        }
    }
    for (int a = optind; a < argc; a++) {
        FILE *f = fopen(argv[a], "rb");
        char *text = NULL, *whole, *bytes, *cut;
        size_t len = 0, size = 0, r;

        if (f == NULL) {
            perror(argv[a]);
            return 2;
        }
        do {
            if (len == size && (text = realloc(text, size = size * 2 + 4096)) == NULL) {
                return 2;
            }
            r = fread(text + len, 1, size - len, f);
            len += r;
        } while (r > 0);
        fclose(f);
        whole = result(text, len, &lim, 0, 0);
        bytes = result(text, len, &lim, 1, 0);
        cut = result(text, len, &lim, 7, (unsigned) a);
        if (whole == NULL || bytes == NULL || cut == NULL) {
            return 2;
        }
        if (strcmp(whole, bytes) != 0 || strcmp(whole, cut) != 0) {
            printf("MISMATCH whole=%s bytes=%s cut=%s\n", whole, bytes, cut);
            rc = 1;
        } else {
            printf("%s\n", whole);
        }
        free(whole);
        free(bytes);
        free(cut);
        free(text);
    }
    return rc;
}
