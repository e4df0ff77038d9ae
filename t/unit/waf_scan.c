/*
 * Unit tests of a WAF scan's shortcuts (common/waf.c): the rules a part
 * meets at each paranoia level, the gate that passes a rule over for a
 * value without the bytes it needs, and the short values a scan keeps as
 * found clean.  Each shortcut must decide as the full walk would.
 */
#include "tap.h"
#include "../../common/pool.h"
#include "../../common/waf.h"

#include <stdio.h>
#include <string.h>

static bn_waf_rules_t set;

static unsigned
scan(unsigned paranoia, const unsigned *exclude, size_t nexclude,
     const char *const (*values)[2], size_t n, unsigned *first)
{
    bn_waf_scan_t s;

    bn_waf_scan_init(&s, &set, paranoia, 1000, exclude, nexclude, BN_WAF_MATCH_LIMIT);
    for (size_t i = 0; i < n; i++) {
        bn_waf_part_t part = strcmp(values[i][0], "query") == 0    ? BN_WAF_PART_QUERY
                             : strcmp(values[i][0], "header") == 0 ? BN_WAF_PART_HEADER
                                                                   : BN_WAF_PART_BODY;
        bn_waf_scan_value(&s, part, "x", 1, values[i][1], strlen(values[i][1]));
    }
    *first = s.nmatches > 0 ? s.matches[0].rule->id : 0;
    return s.nmatched;
}

int
main(void)
{
    bn_pool_t *pool = bn_pool_create(65536);
    /* Ungated, on a value none of whose bytes is in any class. */
    const char *site = "id=1 regex=\"^zzz$\" parts=query msg=\"site rule\"\n"
                       "id=2 regex=\"Q\" parts=body msg=\"one byte\"\n";
    char err[256];
    unsigned id, ex = 942100;

    bn_waf_clean_cache = false; /* the per-request table alone */
    ok(bn_waf_rules_parse(&set, pool, bn_waf_builtin_rules, strlen(bn_waf_builtin_rules),
                          "built-in", err, sizeof(err))
               == BN_OK
           && bn_waf_rules_parse(&set, pool, site, strlen(site), "site", err, sizeof(err))
                  == BN_OK
           && bn_waf_rules_finish(&set, err, sizeof(err)) == BN_OK,
       "the built-in rules and a site rule load");

    {
        const char *const v[][2] = { { "query", "zzz" } };
        is_int(scan(1, NULL, 0, v, 1, &id), 1, "an ungated rule runs on a value of no class");
        is_int(id, 1, "and it is the site rule");
    }
    {
        /* 934130 is paranoia 2, for query and body only. */
        const char *const v[][2] = { { "query", "__proto__" } };
        is_int(scan(1, NULL, 0, v, 1, &id), 0, "a paranoia 2 rule does not run at 1");
        is_int(scan(2, NULL, 0, v, 1, &id), 1, "it runs at 2");
        is_int(id, 934130, "and it is the one");
    }
    {
        const char *const v[][2] = { { "header", "__proto__" }, { "query", "__proto__" } };
        is_int(scan(2, NULL, 0, v, 2, &id), 1,
               "a value clean in one part is looked at again in another");
    }
    {
        const char *const v[][2] = { { "body", "' or 1=1--" }, { "body", "' or 1=1--" } };
        is_int(scan(1, NULL, 0, v, 2, &id), 2, "a short value that matched matches again");
    }
    {
        const char *const v[][2] = { { "body", "id" }, { "body", "id" }, { "body", "' or 1=1--" } };
        is_int(scan(1, NULL, 0, v, 3, &id), 1, "a clean value kept does not hide another");
    }
    {
        const char *const v[][2] = { { "query", "' or 1=1--" } };
        is_int(scan(1, &ex, 1, v, 1, &id), 0, "an excluded rule is passed over");
    }
    {
        /* Past the length kept whole: the same verdict, from the rules. */
        const char *const v[][2] = { { "body", "a plain description, nothing more" },
                                     { "body", "a plain description, nothing more" },
                                     { "body", "1 union select password from users" } };
        is_int(scan(1, NULL, 0, v, 3, &id), 1, "long values are scanned each time");
        is_int(id, 942100, "by the SQL tokenizer");
    }

    {
        /* The table keeps short values as words that hold every byte: a
         * value one byte away from one kept, at any length it keeps and
         * at any place, is scanned, not taken for the kept one. */
        int missed = 0, runs = 0;

        for (size_t n = 1; n <= BN_WAF_SEEN_LEN; n++) {
            for (size_t k = 0; k < n; k++) {
                char clean[BN_WAF_SEEN_LEN + 1], odd[BN_WAF_SEEN_LEN + 1];
                bn_waf_scan_t s;

                memset(clean, 'a', n);
                memcpy(odd, clean, n);
                odd[k] = 'Q';
                bn_waf_scan_init(&s, &set, 1, 1000, NULL, 0, BN_WAF_MATCH_LIMIT);
                bn_waf_scan_value(&s, BN_WAF_PART_BODY, "x", 1, clean, n);
                bn_waf_scan_value(&s, BN_WAF_PART_BODY, "x", 1, clean, n);
                bn_waf_scan_value(&s, BN_WAF_PART_BODY, "x", 1, odd, n);
                missed += s.nmatches != 1 || s.matches[0].rule->id != 2;
                runs++;
            }
        }
        is_int(missed, 0, "a value one byte from a kept one is scanned (%d lengths and places)",
               runs);
    }

    {
        /* A value the process-wide table knows clean is kept in the
         * request's table too; one a byte away is still scanned. */
        bn_waf_scan_t s;
        int missed = 0;

        bn_waf_clean_cache = true;
        for (int round = 0; round < 2; round++) {
            bn_waf_scan_init(&s, &set, 1, 1000, NULL, 0, BN_WAF_MATCH_LIMIT);
            bn_waf_scan_value(&s, BN_WAF_PART_BODY, "x", 1, "aaaaaaaaaaaa", 12);
            bn_waf_scan_value(&s, BN_WAF_PART_BODY, "x", 1, "aaaaaaaaaaaa", 12);
            bn_waf_scan_value(&s, BN_WAF_PART_BODY, "x", 1, "aaaaaQaaaaaa", 12);
            missed += s.nmatches != 1 || s.matches[0].rule->id != 2;
        }
        bn_waf_clean_cache = false;
        is_int(missed, 0,
               "known clean to the process, kept for the request: the odd value still matches");
    }
    {
        /* Raw bytes skip the raw=no rules (920270, NUL); found clean as raw
         * bytes, the same value in a field is scanned again, in both the
         * request's table (short) and the process's (long). */
        static const char shortv[] = "a\0b", longv[] = "a long value with a NUL \0 in it, 40b";
        const char *const vals[] = { shortv, longv };
        const size_t lens[] = { sizeof(shortv) - 1, sizeof(longv) - 1 };
        bn_waf_scan_t s;
        int wrong = 0;

        bn_waf_clean_cache = true;
        for (size_t k = 0; k < 2; k++) {
            bn_waf_scan_init(&s, &set, 1, 1000, NULL, 0, BN_WAF_MATCH_LIMIT);
            bn_waf_scan_raw(&s, BN_WAF_PART_BODY, "x", 1, vals[k], lens[k]);
            wrong += s.nmatched != 0;
            bn_waf_scan_value(&s, BN_WAF_PART_BODY, "x", 1, vals[k], lens[k]);
            wrong += s.nmatches != 1 || s.matches[0].rule->id != 920270;
        }
        bn_waf_clean_cache = false;
        is_int(wrong, 0, "a NUL: passed over in raw bytes, matched in a field after them");
    }
    {
        /* More steps than one word of the live sets holds: rule k contains
         * "[k]", the even ones gated on a '#'.  Each runs where the walk of
         * every step would run it, in the rules' order. */
        bn_waf_rules_t many;
        char rules[150 * 64], *o = rules;
        bn_waf_scan_t s;
        const char *hash = "[3] [64] [130] [71] # [149]", *none = "[3] [64] [130] [71] [149]";

        memset(&many, 0, sizeof(many));
        for (int k = 0; k < 150; k++) {
            o += sprintf(o, "id=%d contains=\"[%d]\" parts=body severity=notice%s msg=\"r\"\n",
                         1000 + k, k, k % 2 == 0 ? " needs=#" : "");
        }
        ok(bn_waf_rules_parse(&many, pool, rules, strlen(rules), "many", err, sizeof(err)) == BN_OK
               && bn_waf_rules_finish(&many, err, sizeof(err)) == BN_OK,
           "150 site rules load");
        bn_waf_scan_init(&s, &many, 1, 1000, NULL, 0, BN_WAF_MATCH_LIMIT);
        bn_waf_scan_value(&s, BN_WAF_PART_BODY, "x", 1, hash, strlen(hash));
        ok(s.nmatches == 5 && s.matches[0].rule->id == 1003 && s.matches[1].rule->id == 1064
               && s.matches[2].rule->id == 1071 && s.matches[3].rule->id == 1130
               && s.matches[4].rule->id == 1149,
           "with a '#': the five rules, gated or not, in the three words, in order");
        bn_waf_scan_init(&s, &many, 1, 1000, NULL, 0, BN_WAF_MATCH_LIMIT);
        bn_waf_scan_value(&s, BN_WAF_PART_BODY, "x", 1, none, strlen(none));
        ok(s.nmatches == 3 && s.matches[0].rule->id == 1003 && s.matches[1].rule->id == 1071
               && s.matches[2].rule->id == 1149,
           "without one: only the ungated three");
    }

    bn_pool_destroy(pool);
    printf("1..%d\n", tap_n);
    return tap_failed != 0;
}
