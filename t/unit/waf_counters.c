/*
 * Unit tests of the WAF's counters (common/waf.c): counts by rule and part,
 * kept apart, summed across processes that share the table (workers forked
 * from the master), and none lost when two of them count the same pair at
 * once.
 */
#include "tap.h"
#include "../../common/waf.h"

#include <sys/wait.h>
#include <unistd.h>

#define N 20000

int
main(void)
{
    bn_waf_counters_t *c = bn_waf_counters_create();
    uint64_t m, b;
    pid_t pid[2];
    int status, good = 0;

    ok(c != NULL, "a counters table");
    bn_waf_counts(c, 942100, BN_WAF_PART_QUERY, &m, &b);
    ok(m == 0 && b == 0, "a pair never counted reads 0");
    bn_waf_count(c, 942100, BN_WAF_PART_QUERY, false);
    bn_waf_count(c, 942100, BN_WAF_PART_QUERY, true);
    bn_waf_count(c, 942100, BN_WAF_PART_BODY, true);
    bn_waf_counts(c, 942100, BN_WAF_PART_QUERY, &m, &b);
    ok(m == 2 && b == 1, "matches and blocks counted apart (%llu, %llu)", (unsigned long long) m,
       (unsigned long long) b);
    bn_waf_counts(c, 942100, BN_WAF_PART_BODY, &m, &b);
    ok(m == 1 && b == 1, "each part on its own");
    bn_waf_counts(c, 941100, BN_WAF_PART_QUERY, &m, &b);
    ok(m == 0, "each rule on its own");

    /* Two processes counting the same pair at once, as two workers do. */
    for (int k = 0; k < 2; k++) {
        pid[k] = fork();
        if (pid[k] == 0) {
            for (int i = 0; i < N; i++) {
                bn_waf_count(c, 930100, BN_WAF_PART_HEADER, (i & 1) != 0);
                bn_waf_count(c, (unsigned) (1000000 + i % 500), BN_WAF_PART_COOKIE, false);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++) {
        good += waitpid(pid[k], &status, 0) == pid[k] && WIFEXITED(status)
                && WEXITSTATUS(status) == 0;
    }
    ok(good == 2, "both counting processes ended");
    bn_waf_counts(c, 930100, BN_WAF_PART_HEADER, &m, &b);
    is_int(m, 2 * N, "every match of both processes counted");
    is_int(b, N, "every block too");
    bn_waf_counts(c, 1000499, BN_WAF_PART_COOKIE, &m, &b);
    is_int(m, 2 * (N / 500), "and 500 pairs claimed at once by both each kept their counts");

    printf("1..%d\n", tap_n);
    return tap_failed != 0;
}
