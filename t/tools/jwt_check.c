/*
 * jwt_check: the driver of t/jwt_verify.t.  Verifies the token on stdin
 * (read as is: no newline is stripped) and prints "ok ALG [kid=KID]" and on
 * the next line the claims in the canonical form of t/tools/json_canon.h;
 * or "error: WHY" or
 * "declined: WHY" (an unknown kid).
 *
 *   objs/t/jwt_check KEYS ALGS [ISSUER [AUD,AUD...]] < token
 *
 * KEYS is a comma-separated list of PEM or JWKS files and secret:FILE (an
 * HS secret, the file's bytes); ALGS a comma-separated list of algorithms.
 * JWT_NOW (default: the clock) and JWT_LEEWAY (default 0) set the time.
 */
#include "../../common/jwt.h"
#include "json_canon.h"

#include <time.h>

int
main(int argc, char **argv)
{
    bn_pool_t *pool = bn_pool_create(4096);
    bn_jwt_keys_t *keys = NULL;
    bn_jwt_rules_t rules = { 0, NULL, NULL, 0, 0 };
    const char *aud[16], *why = NULL;
    static char token[BN_JWT_MAX_TOKEN * 2];
    char err[512], *list, *item, *save;
    size_t len;
    bn_jwt_t jwt;
    int rc;

    if (argc < 3 || pool == NULL) {
        fprintf(stderr, "usage: jwt_check KEYS ALGS [ISSUER [AUD,AUD...]] < token\n");
        return 2;
    }
    /* The key file first, then the secrets added to its set. */
    list = strdup(argv[1]);
    for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        if (strncmp(item, "secret:", 7) == 0) {
            continue;
        }
        if (keys != NULL) {
            fprintf(stderr, "jwt_check: one key file only (and secrets)\n");
            return 2;
        }
        if ((keys = bn_jwt_keys_load_file(pool, item, err, sizeof(err))) == NULL) {
            printf("load error: %s\n", err);
            free(list);
            bn_pool_destroy(pool);
            return 1;
        }
    }
    free(list);
    list = strdup(argv[1]);
    for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        if (strncmp(item, "secret:", 7) == 0) {
            FILE *f = fopen(item + 7, "rb");
            unsigned char s[4096];
            size_t n;

            if (f == NULL) {
                perror(item + 7);
                return 2;
            }
            n = fread(s, 1, sizeof(s), f);
            fclose(f);
            keys = bn_jwt_keys_add_secret(pool, keys, s, n);
        }
    }
    free(list);
    list = strdup(argv[2]);
    for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        int alg = bn_jwt_alg(item);

        if (alg == -1) {
            fprintf(stderr, "jwt_check: unknown algorithm %s\n", item);
            return 2;
        }
        rules.algorithms |= 1u << alg;
    }
    if (argc > 3) {
        rules.issuer = argv[3];
    }
    if (argc > 4) {
        for (item = strtok_r(argv[4], ",", &save); item != NULL && rules.naudience < 16;
             item = strtok_r(NULL, ",", &save)) {
            aud[rules.naudience++] = item;
        }
        rules.audience = aud;
    }
    if (getenv("JWT_LEEWAY") != NULL) {
        rules.leeway = strtoll(getenv("JWT_LEEWAY"), NULL, 10);
    }
    len = fread(token, 1, sizeof(token), stdin);
    rc = bn_jwt_verify(pool, token, len, keys, &rules,
                       getenv("JWT_NOW") ? strtoll(getenv("JWT_NOW"), NULL, 10)
                                         : (int64_t) time(NULL),
                       &jwt, &why);
    if (rc == BN_OK) {
        char *c = canon_text(jwt.claims);

        printf("ok %s %s%s%s\n", bn_jwt_alg_name(jwt.alg), jwt.kid ? "kid=" : "",
               jwt.kid ? jwt.kid : "", jwt.kid ? " " : "");
        printf("%s\n", c);
        free(c);
    } else {
        printf("%s: %s\n", rc == BN_DECLINED ? "declined" : "error", why);
    }
    free(list);
    bn_pool_destroy(pool);
    return 0;
}
