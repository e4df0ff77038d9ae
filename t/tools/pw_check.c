/*
 * pw_check: the credential files through the library bouncer uses, for
 * t/htpasswd_files.t.
 *
 *   pw_check FILE USER < PASSWORD    exit 0: matches, 1: does not, 3: no such user
 *   pw_check -k FILE < KEY           prints the key's name, exit 0; 1: no key matches
 *
 * Standard input is taken whole, bytes as they are (no newline is removed).
 * A file that does not load: its error on stderr, exit 2.
 */
#include "../../common/apikeys.h"
#include "../../common/htpasswd.h"

static size_t
read_stdin(char *buf, size_t size)
{
    size_t n = 0;
    ssize_t r;

    while (n < size && (r = read(0, buf + n, size - n)) > 0) {
        n += (size_t) r;
    }
    return n;
}

int
main(int argc, char **argv)
{
    static char in[65536];
    char err[1024];
    bn_pool_t *pool = bn_pool_create(4096);
    size_t n;
    int rc;

    if (pool == NULL || argc != 3) {
        fprintf(stderr, "usage: pw_check FILE USER < PASSWORD | pw_check -k FILE < KEY\n");
        return 64;
    }
    n = read_stdin(in, sizeof(in));
    if (strcmp(argv[1], "-k") == 0) {
        bn_apikeys_t keys;
        const char *name;

        if (bn_apikeys_load(pool, argv[2], &keys, err, sizeof(err)) != BN_OK) {
            fprintf(stderr, "%s\n", err);
            rc = 2;
        } else if ((name = bn_apikeys_match(&keys, in, n)) != NULL) {
            printf("%s\n", name);
            rc = 0;
        } else {
            rc = 1;
        }
    } else {
        bn_htpasswd_t h;
        const bn_htpasswd_entry_t *e;

        if (bn_htpasswd_load(pool, argv[1], &h, err, sizeof(err)) != BN_OK) {
            fprintf(stderr, "%s\n", err);
            rc = 2;
        } else if ((e = bn_htpasswd_find(&h, argv[2], strlen(argv[2]))) == NULL) {
            rc = 3;
        } else {
            printf("%s\n", bn_pw_kind_name(e->kind));
            rc = bn_pw_verify(e, in, n) ? 0 : 1;
        }
    }
    bn_pool_destroy(pool);
    return rc;
}
