/*
 * Unit tests of the credential files: common/htpasswd.c (users of basic
 * authentication, their hashes) and common/apikeys.c (API keys).
 */
#include "../../common/apikeys.h"
#include "../../common/htpasswd.h"
#include "tap.h"

#include <pthread.h>
#include <time.h>

/* htpasswd -nbX alice pass, for each X (and -C 8, -r 1000 for carol, dave). */
#define H_BCRYPT "$2y$05$NHOMzjikdeVf2Ik6h1JOeeVwWmUPpD7rODQLQd3EhO3fWv2q3Gvfa"
#define H_BCRYPT8 "$2y$08$sprvGnGoL1KByv3Nz5Hi5uX6ZYaC52sCv63/KDhNFLToxkEZeThUG"
#define H_SHA512                                                                                   \
    "$6$UmeoYw0II4hHB64i$A9q/YeRfuKS5p1oOxTQbhnP46MYzCA4zhpMhiah/pDxSCoH0Yge8NY/v13W1CSbEUc5JlqJ"  \
    "GbZX58RmKriG1U1"
#define H_SHA512R                                                                                  \
    "$6$rounds=1000$CzO4ResyqRNTgAjH$.EB0w6okmvUTk12CrKyQLnp."                                     \
    "BwQnDjx5TPkVv7KUeFYbRZHU0thgBmgwbaOc0"                                                        \
    "zcHxqqhgud8HCkab6NGMFmyE/"
#define H_SHA256 "$5$aVuYOEMsETlLFU4g$xhCBwnXwUPNQjY51l73a5gCfPSZW8vfX.U0wQc26dl9"
#define H_APR1 "$apr1$4zuFmFAP$ls5eFJiV0TiOoQSdi5X1z."
#define H_SHA1 "{SHA}nU4eI71bcnBGqeO0t9tXvY1u5oQ="
#define H_DES "s.qigV6rP8ecA"

static char dir[] = "/tmp/bn-htpasswd-XXXXXX";
static char path[256];
static char err[512];
static bn_pool_t *pool;

/* Writes the file (len bytes of s) that the next load reads. */
static const char *
file_n(const char *s, size_t len)
{
    FILE *f;

    snprintf(path, sizeof(path), "%s/file", dir);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(s, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    return path;
}

static const char *
file(const char *s)
{
    return file_n(s, strlen(s));
}

static int
load(const char *s, bn_htpasswd_t *h)
{
    err[0] = '\0';
    return bn_htpasswd_load(pool, file(s), h, err, sizeof(err));
}

/*
 * Whether loading s as a users file (as a keys file when keys is set) fails
 * with "PATH:LINE: " and a message holding want, leaving nothing loaded.
 */
static bool
refused_at(bool keys, const char *s, size_t len, unsigned line, const char *want)
{
    bn_htpasswd_t h;
    bn_apikeys_t k;
    char head[300];
    bool good;
    int rc;

    err[0] = '\0';
    file_n(s, len);
    rc = keys ? bn_apikeys_load(pool, path, &k, err, sizeof(err))
              : bn_htpasswd_load(pool, path, &h, err, sizeof(err));
    if (rc != BN_ERROR) {
        printf("#   loaded\n");
        return false;
    }
    snprintf(head, sizeof(head), "%s:%u: ", path, line);
    good = strncmp(err, head, strlen(head)) == 0 && strstr(err, want) != NULL;
    if (!good) {
        printf("#   got: %s\n", err);
    }
    return good && (keys ? k.n == 0 : h.n == 0);
}

/* A file that refused_at() refuses, what it says, and the test's name. */
typedef struct {
    const char *text;
    size_t len; /* 0: strlen(text) */
    unsigned line;
    const char *want, *name;
} bad_line_t;

#define refused(s, line, want) refused_at(false, (s), strlen(s), (line), (want))

static bool
verify(const bn_htpasswd_t *h, const char *user, const char *pw)
{
    return bn_pw_verify(bn_htpasswd_find(h, user, strlen(user)), pw, strlen(pw));
}

static void
test_kinds(void)
{
    bn_htpasswd_t h;
    const bn_htpasswd_entry_t *e;

    is_int(load("# users\n"
                "\n"
                "bcrypt:" H_BCRYPT "\n"
                "sha512:" H_SHA512 "\r\n"
                "   \t\n"
                "sha256:" H_SHA256 "\n"
                "  # an indented comment\n"
                "apr1:" H_APR1 "\n"
                "sha1:" H_SHA1 "\n"
                "rounds:" H_SHA512R "\n"
                "bcrypt2b:$2b$05$NHOMzjikdeVf2Ik6h1JOeeVwWmUPpD7rODQLQd3EhO3fWv2q3Gvfa\n"
                "  spaced:" H_APR1 " \t\n"
                "commented:" H_SHA1 ":Alice Liddell, room 4\n"
                "caf\xc3\xa9 user:" H_SHA1 "", /* no newline at the end */
                &h),
           BN_OK, "a file of every kind loads");
    is_int(h.n, 10, "ten users");
    ok((e = bn_htpasswd_find(&h, "bcrypt", 6)) && e->kind == BN_PW_BCRYPT && e->line == 3,
       "bcrypt, on line 3");
    ok((e = bn_htpasswd_find(&h, "sha512", 6)) && e->kind == BN_PW_SHA512
           && strcmp(e->hash, H_SHA512) == 0,
       "SHA-512, its CR gone");
    ok((e = bn_htpasswd_find(&h, "sha256", 6)) && e->kind == BN_PW_SHA256, "SHA-256");
    ok((e = bn_htpasswd_find(&h, "apr1", 4)) && e->kind == BN_PW_APR1 && e->line == 8, "APR1");
    ok((e = bn_htpasswd_find(&h, "sha1", 4)) && e->kind == BN_PW_SHA1, "{SHA}");
    ok((e = bn_htpasswd_find(&h, "spaced", 6)) && strcmp(e->hash, H_APR1) == 0,
       "spaces and tabs around a line are no part of it");
    ok((e = bn_htpasswd_find(&h, "commented", 9)) && strcmp(e->hash, H_SHA1) == 0,
       "what follows a second ':' is ignored");
    ok(bn_htpasswd_find(&h, "caf\xc3\xa9 user", 10) != NULL, "a user of UTF-8 and a space");

    ok(bn_htpasswd_find(&h, "bcryp", 5) == NULL, "a prefix of a user is not the user");
    ok(bn_htpasswd_find(&h, "bcrypt\0", 7) == NULL, "a user and a NUL is not the user");
    ok(bn_htpasswd_find(&h, "BCRYPT", 6) == NULL, "users are case-sensitive");
    ok(bn_htpasswd_find(&h, "", 0) == NULL, "the empty user is nobody");

    const char *names[] = { "bcrypt", "sha512", "sha256", "apr1", "sha1", "rounds", "bcrypt2b" };
    for (size_t i = 0; i < BN_NELEMS(names); i++) {
        ok(verify(&h, names[i], "pass"), "%s: the right password", names[i]);
        ok(!verify(&h, names[i], "Pass"), "%s: a wrong password", names[i]);
        ok(!verify(&h, names[i], "pas"), "%s: a prefix of it", names[i]);
        ok(!verify(&h, names[i], "pass "), "%s: it and one more byte", names[i]);
        ok(!verify(&h, names[i], ""), "%s: the empty password", names[i]);
    }
    ok(bn_pw_slow(BN_PW_BCRYPT) && bn_pw_slow(BN_PW_SHA512) && bn_pw_slow(BN_PW_SHA256)
           && !bn_pw_slow(BN_PW_APR1) && !bn_pw_slow(BN_PW_SHA1),
       "the crypt(3) kinds are slow, APR1 and {SHA} are not");
    ok(strcmp(bn_pw_kind_name(BN_PW_APR1), "apr1") == 0, "kind names");
}

static void
test_bad_lines(void)
{
    static const bad_line_t bad[] = {
        { "# a comment\nalice:" H_APR1 "\nbob\n", 0, 3, "no ':'", "a line without ':'" },
        { "alice:" H_APR1 "\n:" H_APR1 "\n", 0, 2, "empty user", "an empty user" },
        { "al\tice:" H_APR1 "\n", 0, 1, "control character", "a tab in a user" },
        { "al\x01ice:" H_APR1 "\n", 0, 1, "control character", "a control byte in a user" },
        { "al\0ice:" H_APR1 "\n", 7 + sizeof(H_APR1), 1, "control character", "a NUL in a user" },
        { "al\rice:" H_APR1 "\n", 0, 1, "control character", "a CR inside a line" },
        { "alice:\n", 0, 1, "no hash", "an empty hash" },
        { "alice:" H_APR1 "\nbob:secret\n", 0, 2, "plain-text password or a DES crypt",
          "plain text" },
        { "bob:secret\n", 0, 1, "cannot be told apart", "plain text: why" },
        { "bob:secret\n", 0, 1, "htpasswd -B", "plain text: what to do" },
        { "alice:" H_DES "\n", 0, 1, "plain-text password or a DES crypt", "DES crypt" },
        { "alice:$1$abc$iUbCWW89D2V9MXDEFGV8x0\n", 0, 1, "MD5-crypt ($1$) is refused as weak",
          "MD5-crypt" },
        { "alice:$y$j9T$abc$def\n", 0, 1, "unknown hash scheme \"$y$\"", "yescrypt: unknown" },
        { "alice:{SSHA}abcdef\n", 0, 1, "unknown hash scheme \"{SSHA}\"", "{SSHA}: unknown" },
        { "alice:$2x$05$NHOMzjikdeVf2Ik6h1JOeeVwWmUPpD7rODQLQd3EhO3fWv2q3Gvfa\n", 0, 1,
          "unknown hash scheme \"$2x$\"", "bcrypt $2x$: unknown" },
        { "alice:$2y$05$NHOMzjikdeVf2Ik6h1JOeeVwWmUPpD7rODQLQd3EhO3fWv2q3Gvf\n", 0, 1,
          "malformed bcrypt", "bcrypt one character short" },
        { "alice:$2y$05$NHOMzjikdeVf2Ik6h1JOeeVwWmUPpD7rODQLQd3EhO3fWv2q3Gvfaa\n", 0, 1,
          "malformed bcrypt", "bcrypt one character long" },
        { "alice:$2y$05$NHOMzjikdeVf2Ik6h1JOeeVwWmUPpD7rODQLQd3EhO3fWv2q3Gv+a\n", 0, 1,
          "malformed bcrypt", "bcrypt with a '+'" },
        { "alice:$2y$5$NHOMzjikdeVf2Ik6h1JOeeVwWmUPpD7rODQLQd3EhO3fWv2q3Gvfa\n", 0, 1,
          "malformed bcrypt", "bcrypt cost of one digit" },
        { "alice:$2y$03$NHOMzjikdeVf2Ik6h1JOeeVwWmUPpD7rODQLQd3EhO3fWv2q3Gvfa\n", 0, 1,
          "bcrypt cost 3 out of range (4..31)", "bcrypt cost 3" },
        { "alice:$2y$32$NHOMzjikdeVf2Ik6h1JOeeVwWmUPpD7rODQLQd3EhO3fWv2q3Gvfa\n", 0, 1,
          "bcrypt cost 32 out of range", "bcrypt cost 32" },
        { "alice:$2y$05$NHOMzjikdeVf2Ik6h1JOefVwWmUPpD7rODQLQd3EhO3fWv2q3Gvfa\n", 0, 1,
          "none that bcrypt writes", "bcrypt salt whose last character has bits over" },
        { "alice:$2y$05$NHOMzjikdeVf2Ik6h1JOeeVwWmUPpD7rODQLQd3EhO3fWv2q3Gvfb\n", 0, 1,
          "none that bcrypt writes", "bcrypt hash whose last character has bits over" },
        { "alice:$6$UmeoYw0II4hHB64i$A9q/YeRfuKS5p1oOxTQbhnP46MYzCA4zhpMhiah/pDxSCoH0Yge8NY\n", 0,
          1, "malformed SHA-512 crypt", "SHA-512 cut" },
        { "alice:$5$aVuYOEMsETlLFU4g$xhCBwnXwUPNQjY51l73a5gCfPSZW8vfX.U0wQc26dl9x\n", 0, 1,
          "malformed SHA-256 crypt", "SHA-256 too long" },
        { "alice:$5$aVuYOEMsETlLFU4gxhCBwnXwUPNQjY51l73a5gCfPSZW8vfX.U0wQc26dl9\n", 0, 1,
          "malformed SHA-256 crypt", "SHA-256 without its '$'" },
        { "alice:$5$aVuYOEMsETlLFU4g$xhCBwnXwUPNQjY51l73a5gCfPSZW8vfX.U0wQc26dlz\n", 0, 1,
          "none that crypt writes", "SHA-256 whose last character has bits over" },
        { "alice:$6$rounds=999$CzO4ResyqRNTgAjH$.EB0w6okmvUTk12CrKyQLnp.BwQnDjx5TPkVv7KUeFYbRZ"
          "HU0thgBmgwbaOc0zcHxqqhgud8HCkab6NGMFmyE/\n",
          0, 1, "rounds=999 out of range (1000..999999999)", "SHA-512 rounds=999" },
        { "alice:$6$rounds=01000$CzO4ResyqRNTgAjH$.EB0w6okmvUTk12CrKyQLnp.BwQnDjx5TPkVv7KUeFYbR"
          "ZHU0thgBmgwbaOc0zcHxqqhgud8HCkab6NGMFmyE/\n",
          0, 1, "rounds=01000 out of range", "SHA-512 rounds with a leading 0" },
        { "alice:$6$rounds=x$CzO4ResyqRNTgAjH$.EB0w6okmvUTk12CrKyQLnp.BwQnDjx5TPkVv7KUeFYbR"
          "ZHU0thgBmgwbaOc0zcHxqqhgud8HCkab6NGMFmyE/\n",
          0, 1, "rounds= takes a number", "SHA-512 rounds=x" },
        { "alice:$5$aVuYOEMsETlLFU4gX$xhCBwnXwUPNQjY51l73a5gCfPSZW8vfX.U0wQc26dl9\n", 0, 1,
          "salt longer than 16", "SHA-256 salt of 17" },
        { "alice:$apr1$4zuFmFAPx$ls5eFJiV0TiOoQSdi5X1z.\n", 0, 1, "malformed APR1",
          "APR1 salt of 9" },
        { "alice:$apr1$$ls5eFJiV0TiOoQSdi5X1z.\n", 0, 1, "malformed APR1", "APR1 empty salt" },
        { "alice:$apr1$4zuFmFAP$ls5eFJiV0TiOoQSdi5X1z\n", 0, 1, "malformed APR1", "APR1 cut" },
        { "alice:$apr1$4zuFmFAP$ls5eFJiV0TiOoQSdi5X1zz\n", 0, 1, "malformed APR1",
          "APR1 whose last character has bits over" },
        { "alice:{SHA}nU4eI71bcnBGqeO0t9tXvY1u5o=\n", 0, 1, "malformed {SHA}", "{SHA} cut" },
        { "alice:{SHA}nU4eI71bcnBGqeO0t9tXvY1u5oR=\n", 0, 1, "malformed {SHA}",
          "{SHA} whose last character has bits over" },
        { "alice:{SHA}nU4eI71bcnBGqeO0t9tXvY1u5o!=\n", 0, 1, "malformed {SHA}",
          "{SHA} with a '!'" },
        { "alice:" H_APR1 "\nbob:" H_SHA1 "\n\n# c\nalice:" H_BCRYPT "\n", 0, 5,
          "duplicate user \"alice\" (first on line 1)", "a duplicate user, both lines named" },
        { "alice:" H_APR1 "\nbad\nalice:" H_BCRYPT "\n", 0, 2, "no ':'",
          "the first bad line is the one named" },
    };

    for (size_t i = 0; i < BN_NELEMS(bad); i++) {
        ok(refused_at(false, bad[i].text, bad[i].len ? bad[i].len : strlen(bad[i].text),
                      bad[i].line, bad[i].want),
           "%s", bad[i].name);
    }

    /* A line as long as allowed is read; one byte more is refused, and a
     * huge one too, however long. */
    {
        size_t n = BN_CREDFILE_LINE_MAX + 1 + 20;
        char *big = malloc(n), *huge;
        bn_htpasswd_t h;

        memset(big, 'u', n);
        memcpy(big + BN_CREDFILE_LINE_MAX - (sizeof(H_SHA1) - 1) - 1, ":" H_SHA1 "\n",
               sizeof(H_SHA1) + 1);
        is_int(bn_htpasswd_load(pool, file_n(big, BN_CREDFILE_LINE_MAX + 1), &h, err, sizeof(err)),
               BN_OK, "a line of %d bytes loads", BN_CREDFILE_LINE_MAX);
        ok(h.n == 1 && h.entries[0].user_len == BN_CREDFILE_LINE_MAX - 1 - (sizeof(H_SHA1) - 1),
           "its user is whole");
        memset(big, 'u', n);
        memcpy(big + BN_CREDFILE_LINE_MAX - (sizeof(H_SHA1) - 1), ":" H_SHA1 "\n",
               sizeof(H_SHA1) + 1);
        ok(refused_at(false, big, BN_CREDFILE_LINE_MAX + 2, 1, "line longer than 4096 bytes"),
           "a line of 4097 bytes is refused");
        free(big);

        n = 200 * 1024;
        huge = malloc(n);
        memcpy(huge, "alice:" H_APR1 "\n", sizeof(H_APR1) + 6);
        memset(huge + sizeof(H_APR1) + 6, 'x', n - (sizeof(H_APR1) + 6));
        ok(refused_at(false, huge, n, 2, "line longer than"),
           "a line of 200 KiB without LF is refused");
        huge[n - 1] = '\n';
        huge[n / 2] = ':';
        ok(refused_at(false, huge, n, 2, "line longer than"), "one with ':' in its middle too");
        free(huge);
    }
}

static void
test_files(void)
{
    bn_htpasswd_t h;
    char want[300];

    snprintf(want, sizeof(want), "%s/none: cannot open (No such file or directory)", dir);
    snprintf(path, sizeof(path), "%s/none", dir);
    ok(bn_htpasswd_load(pool, path, &h, err, sizeof(err)) == BN_ERROR && strcmp(err, want) == 0,
       "a missing file: PATH: reason (strerror)");
    snprintf(want, sizeof(want), "%s: cannot read (Is a directory)", dir);
    ok(bn_htpasswd_load(pool, dir, &h, err, sizeof(err)) == BN_ERROR && strcmp(err, want) == 0,
       "a folder");
    ok(load("", &h) == BN_ERROR && strstr(err, ": no users")
           && strncmp(err, path, strlen(path)) == 0,
       "an empty file: no users");
    ok(load("# nobody yet\n\n  \r\n", &h) == BN_ERROR && strstr(err, ": no users"),
       "only comments: no users");
    ok(load("\xef\xbb\xbf"
            "alice:" H_SHA1 "\n",
            &h) == BN_OK
           && bn_htpasswd_find(&h, "alice", 5),
       "a byte-order mark first is skipped");
    ok(load("\n\n\xef\xbb\xbf"
            "alice:" H_SHA1 "\n",
            &h) == BN_OK
           && !bn_htpasswd_find(&h, "alice", 5),
       "only on the first line: on another, it is part of the user");

    /* An error message never overflows, however small its buffer. */
    char tiny[8];
    memset(tiny, 'z', sizeof(tiny));
    ok(bn_htpasswd_load(pool, file("bob\n"), &h, tiny, 6) == BN_ERROR && strlen(tiny) == 5
           && tiny[6] == 'z',
       "a short error buffer is cut, not overrun");
}

/* `openssl passwd -apr1 -salt SALT PASSWORD`: no library but Apache's has APR1. */
static void
test_apr1_vectors(void)
{
    static const struct {
        const char *pw, *hash;
    } v[] = {
        { "password", "$apr1$abcdefgh$FBwExRW4dCc8aL.OvjpIE1" },
        { "a", "$apr1$x$16j9.5e7KiXmuYFAYpPJM/" },
        { "a much longer password, over thirty-two bytes",
          "$apr1$12345678$8NFFMoDXAh2d/7fX.WV441" },
        { "caf\xc3\xa9", "$apr1$sAlt/./$3ruzjnH8mCdO.4HQ1ozaa." },
        { "", "$apr1$abc$BfqKdn9xFDWJPa3kcp/PH0" },
        { "0123456789abcdef", "$apr1$Zz9$oj/B.T8.eS/YANbY5/EWZ1" },
    };
    bn_htpasswd_entry_t e = { .user = "u", .user_len = 1, .kind = BN_PW_APR1 };

    for (size_t i = 0; i < BN_NELEMS(v); i++) {
        e.hash = v[i].hash;
        ok(bn_pw_verify(&e, v[i].pw, strlen(v[i].pw)), "APR1 vector %zu (%zu bytes)", i,
           strlen(v[i].pw));
        ok(!bn_pw_verify(&e, "wrong", 5), "APR1 vector %zu, a wrong password", i);
    }
    e.hash = "$apr1$abcdefgh$FBwExRW4dCc8aL.OvjpIE2";
    ok(!bn_pw_verify(&e, "password", 8), "APR1: the last character differs");
    e.hash = "$apr1$abcdefghi$FBwExRW4dCc8aL.OvjpIE1";
    ok(!bn_pw_verify(&e, "password", 8), "APR1 made by hand with a long salt: false, no overrun");

    bn_htpasswd_entry_t s = {
        .user = "u", .user_len = 1, .kind = BN_PW_SHA1, .hash = "{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
    };
    ok(bn_pw_verify(&s, "abc", 3), "{SHA} of abc (base64 of a9993e36...)");
    ok(!bn_pw_verify(&s, "abd", 3), "{SHA}, a wrong password");

    bn_htpasswd_entry_t c = { .user = "u", .user_len = 1, .kind = BN_PW_BCRYPT, .hash = "$2y$" };
    ok(!bn_pw_verify(&c, "pass", 4), "a bcrypt entry made by hand and broken: false");
    ok(!bn_pw_verify(NULL, "pass", 4), "no entry: false");
}

/* One user of each kind, named after it, password "pass". */
static const char *const users[] = { "bcrypt", "sha512", "sha256", "apr1", "sha1" };

static bool
load_one_each(bn_htpasswd_t *h)
{
    if (load("bcrypt:" H_BCRYPT "\nsha512:" H_SHA512 "\nsha256:" H_SHA256 "\napr1:" H_APR1
             "\nsha1:" H_SHA1 "\n",
             h)
        != BN_OK) {
        ok(0, "load: %s", err);
        return false;
    }
    return true;
}

/* The password's bytes: exactly pw_len of them, in a buffer of that size, so
 * that AddressSanitizer sees any read past them. */
static bool
verify_exact(const bn_htpasswd_t *h, const char *user, const char *pw, size_t len)
{
    char *copy = malloc(len > 0 ? len : 1);
    bool r;

    memcpy(copy, pw, len);
    r = bn_pw_verify(bn_htpasswd_find(h, user, strlen(user)), copy, len);
    free(copy);
    return r;
}

static void
test_bytes(void)
{
    bn_htpasswd_t h;
    char big[1024];

    if (!load_one_each(&h)) {
        return;
    }
    memset(big, 'p', sizeof(big));
    for (size_t i = 0; i < BN_NELEMS(users); i++) {
        ok(verify_exact(&h, users[i], "pass", 4), "%s: a password without a NUL after it",
           users[i]);
        ok(!verify_exact(&h, users[i], "pass\0", 5), "%s: the password and a NUL", users[i]);
        ok(!verify_exact(&h, users[i], "pa\0ss", 5), "%s: a NUL inside", users[i]);
        ok(!verify_exact(&h, users[i], "\0pass", 5), "%s: a NUL first", users[i]);
        ok(!verify_exact(&h, users[i], "pass\xff", 5), "%s: a byte 0xff more", users[i]);
        ok(!verify_exact(&h, users[i], big, sizeof(big)), "%s: 1 KiB of password", users[i]);
        ok(!verify_exact(&h, users[i], "", 0), "%s: nothing", users[i]);
    }
}

static double
cpu_seconds(void)
{
    struct timespec t;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

/*
 * A user who is not in the file must cost what one who is does.  Measured in
 * CPU time of this thread, the least of three runs, and compared loosely:
 * a loaded machine slows both alike.
 */
static void
test_dummy(void)
{
    bn_htpasswd_t h;
    const bn_htpasswd_entry_t *carol;
    double real = 1e9, dummy = 1e9, fixed = 1e9, cheap = 1e9, t;

    if (load("alice:" H_BCRYPT "\ncarol:" H_BCRYPT8 "\nbob:" H_APR1 "\n", &h) != BN_OK) {
        ok(0, "load: %s", err);
        return;
    }
    carol = bn_htpasswd_find(&h, "carol", 5);
    ok(carol == h.costliest && bn_htpasswd_dummy_kind(&h) == BN_PW_BCRYPT,
       "the costliest entry is the bcrypt of cost 8");
    ok(verify(&h, "carol", "pass8"), "carol's password");
    for (int i = 0; i < 3; i++) {
        t = cpu_seconds();
        (void) bn_pw_verify(carol, "guess", 5);
        real = BN_MIN(real, cpu_seconds() - t);
        t = cpu_seconds();
        ok(!bn_htpasswd_dummy_verify(&h, "guess", 5), "the file's dummy is false");
        dummy = BN_MIN(dummy, cpu_seconds() - t);
        t = cpu_seconds();
        ok(!bn_pw_dummy_verify(BN_PW_BCRYPT, "pass", 4), "bcrypt's dummy is false");
        fixed = BN_MIN(fixed, cpu_seconds() - t);
        t = cpu_seconds();
        (void) verify(&h, "alice", "guess");
        cheap = BN_MIN(cheap, cpu_seconds() - t);
    }
    printf("# bcrypt cost 8: %.2f ms, file's dummy %.2f ms; cost 5: %.2f ms, its dummy %.2f ms\n",
           real * 1e3, dummy * 1e3, cheap * 1e3, fixed * 1e3);
    ok(dummy > real / 2 && dummy < real * 2, "the file's dummy costs what cost 8 does");
    ok(fixed > cheap / 2 && fixed < cheap * 2, "bcrypt's dummy costs what cost 5 does");

    for (int k = BN_PW_BCRYPT; k <= BN_PW_SHA1; k++) {
        ok(!bn_pw_dummy_verify((bn_pw_kind_t) k, "", 0), "dummy of %s: false",
           bn_pw_kind_name((bn_pw_kind_t) k));
    }
    bn_htpasswd_t none = { 0 };
    ok(!bn_htpasswd_dummy_verify(&none, "x", 1), "the dummy of a file not loaded: false");
}

/* Threads verifying at once, as a worker's thread pool does: each result
 * must be its own (crypt_rn() with a crypt_data per call, EVP contexts
 * per call). */
static bn_htpasswd_t threads_h;

static void *
verify_many(void *arg)
{
    size_t wrong = 0, id = (size_t) (uintptr_t) arg;

    for (size_t i = 0; i < 40; i++) {
        const char *u = users[(i + id) % BN_NELEMS(users)];
        bool right = (i + id) % 3 != 0;

        wrong += verify(&threads_h, u, right ? "pass" : "nope") != right;
    }
    return (void *) (uintptr_t) wrong;
}

static void
test_threads(void)
{
    pthread_t t[4];
    size_t wrong = 0;
    void *r;

    if (!load_one_each(&threads_h)) {
        return;
    }
    for (size_t i = 0; i < BN_NELEMS(t); i++) {
        pthread_create(&t[i], NULL, verify_many, (void *) (uintptr_t) i);
    }
    for (size_t i = 0; i < BN_NELEMS(t); i++) {
        pthread_join(t[i], &r);
        wrong += (size_t) (uintptr_t) r;
    }
    is_int(wrong, 0, "4 threads, 160 verifies of every kind at once: each answer right");
}

/* --- API keys -------------------------------------------------------------- */

/* printf 'my-key' | sha256sum */
#define MY_KEY_SHA256 "5e78863ed1ffb9fc66b1d61634b126bf8eb20267e7996297eeeb9b19c8c0f732"

static int
load_keys(const char *s, bn_apikeys_t *k)
{
    err[0] = '\0';
    return bn_apikeys_load(pool, file(s), k, err, sizeof(err));
}

#define keys_refused(s, line, want) refused_at(true, (s), strlen(s), (line), (want))

static const char *
match(const bn_apikeys_t *k, const char *key)
{
    return bn_apikeys_match(k, key, strlen(key));
}

static void
test_apikeys(void)
{
    bn_apikeys_t k;
    const char *m;

    is_int(
        load_keys("# partners\n"
                  "acme:k3y-acme-0123456789\n"
                  "\n"
                  "globex:sha256:" MY_KEY_SHA256 "\r\n"
                  "  # indented comment\n"
                  "initech:SHA256-is-no-prefix\n"
                  "upper:sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B856\n"
                  "colons:a:b:c\n"
                  "last one:z",
                  &k),
        BN_OK, "a keys file loads");
    is_int(k.n, 6, "six keys");
    ok((m = match(&k, "k3y-acme-0123456789")) && strcmp(m, "acme") == 0, "a key in the file");
    ok((m = match(&k, "my-key")) && strcmp(m, "globex") == 0, "a key by its SHA-256, CRLF");
    ok((m = match(&k, "SHA256-is-no-prefix")) && strcmp(m, "initech") == 0,
       "\"sha256:\" is a prefix in lower case only");
    ok((m = match(&k, "a:b:c")) && strcmp(m, "colons") == 0, "a key may hold ':'");
    ok((m = match(&k, "z")) && strcmp(m, "last one") == 0, "the last key, a name with a space");
    ok(match(&k, "k3y-acme-012345678") == NULL, "a prefix of a key");
    ok(match(&k, "k3y-acme-01234567890") == NULL, "a key and a byte more");
    ok(match(&k, "K3Y-ACME-0123456789") == NULL, "keys are case-sensitive");
    ok(match(&k, "") == NULL, "the empty key");
    ok(bn_apikeys_match(&k, "my-key\0", 7) == NULL, "a key and a NUL");
    ok(match(&k, "sha256:" MY_KEY_SHA256) == NULL, "the file's line is not the key");
    ok(k.keys[1].sha256[0] == 0x5e && k.keys[1].sha256[31] == 0x32, "the digest as written");
    ok(k.keys[3].sha256[0] == 0xe3 && k.keys[3].line == 7, "upper-case hex, its line");

    static const bad_line_t bad_keys[] = {
        { "a:1234\nnocolon\n", 0, 2, "no ':'", "no ':'" },
        { ":1234\n", 0, 1, "empty name", "an empty name" },
        { "a:\n", 0, 1, "empty key", "an empty key" },
        { "a:sha256:\n", 0, 1, "64 hex digits", "sha256: and nothing" },
        { "a:sha256:" MY_KEY_SHA256 "0\n", 0, 1, "64 hex digits, not 65", "65 digits" },
        { "a:sha256:5e78863ed1ffb9fc66b1d61634b126bf8eb20267e7996297eeeb9b19c8c0f73g\n", 0, 1,
          "64 hex digits", "a 'g'" },
        { "a:sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", 0, 1,
          "empty key", "the SHA-256 of the empty key" },
        { "a:1\nb:2\n# c\na:3\n", 0, 4, "duplicate name \"a\" (first on line 1)",
          "a duplicate name" },
        { "a:my-key\nb:sha256:" MY_KEY_SHA256 "\n", 0, 2, "the same key as \"a\" on line 1",
          "the same key twice, once as its digest" },
        { "a:key1\nb:key1\n", 0, 2, "the same key as \"a\"", "the same key twice" },
        { "a:my key\n", 0, 1, "whitespace", "a space in a key" },
        { "a:my-key \n", 0, 1, "whitespace", "a space after a key" },
        { "a:my\tkey\n", 0, 1, "whitespace", "a tab in a key" },
        { "a:my\x01key\n", 0, 1, "control character", "a control byte in a key" },
        { "a:my\0key\n", 9, 1, "control character", "a NUL in a key" },
        { "a\x7f:key\n", 0, 1, "control character", "a DEL in a name" },
        { "a\0:key\n", 7, 1, "control character", "a NUL in a name" },
    };

    for (size_t i = 0; i < BN_NELEMS(bad_keys); i++) {
        ok(refused_at(true, bad_keys[i].text,
                      bad_keys[i].len ? bad_keys[i].len : strlen(bad_keys[i].text),
                      bad_keys[i].line, bad_keys[i].want),
           "%s", bad_keys[i].name);
    }

    ok(keys_refused("a:key1\nb:key1\n", 2, "") && strstr(err, "key1") == NULL,
       "the message does not show the key");
    ok(load_keys("# none\n", &k) == BN_ERROR && strstr(err, ": no keys"), "no keys");

    {
        size_t n = 100 * 1024;
        char *huge = malloc(n);

        memset(huge, 'k', n);
        memcpy(huge, "ok:key\nbig:", 11);
        huge[n - 1] = '\n';
        ok(refused_at(true, huge, n, 2, "line longer than"), "a key of 100 KiB is refused");
        free(huge);
    }

    /* Every position of the list finds its key: the scan has no early exit
     * that would favour one. */
    char text[64 * 40 + 1] = "", line[64], key[32];
    for (int i = 0; i < 40; i++) {
        snprintf(line, sizeof(line), "n%d:key-number-%d\n", i, i);
        strcat(text, line);
    }
    if (load_keys(text, &k) != BN_OK) {
        ok(0, "load: %s", err);
        return;
    }
    int found = 0;
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "key-number-%d", i);
        snprintf(line, sizeof(line), "n%d", i);
        found += (m = match(&k, key)) != NULL && strcmp(m, line) == 0;
    }
    is_int(found, 40, "each of 40 keys names its own entry");
}

int
main(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    pool = bn_pool_create(4096);
    test_kinds();
    test_bad_lines();
    test_files();
    test_apr1_vectors();
    test_bytes();
    test_dummy();
    test_threads();
    test_apikeys();
    bn_pool_destroy(pool);
    unlink(path);
    rmdir(dir);
    return done_testing();
}
