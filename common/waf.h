/*
 * waf.h: the WAF's rules and its scanner.  A rule set is parsed from the
 * rules text (the built-in set, common/waf.rules, compiled into the binary;
 * a site's own file beside it) at config load; a scan runs every rule that
 * applies to each value a request carries, in the part it came in, scores
 * the matches, and says when the score reaches the threshold.  Nothing here
 * knows about requests or processes: worker/access_waf.c finds the values
 * and acts on the verdict.
 *
 * The rules format, one rule a line (# starts a comment):
 *
 *   id=942100 detect=sqli parts=all transforms=url,unicode,nul severity=critical
 *       paranoia=1 msg="SQL injection"
 *
 * written on one line, as fields key=value separated by spaces; a value
 * with spaces, quotes or '#' is double-quoted.  Inside quotes \" is a quote,
 * \\ a backslash, \n \r \t and \xHH what they say; a regex keeps every
 * escape as written but \" (PCRE2 reads them).
 *   id          required: 1..4294967295, unique across the built-in and own rules
 *   detect      one of: sqli, xss, traversal, cmdi (the tokenizers);
 *   regex       or a PCRE2 pattern (JIT, with match and depth limits);
 *   contains    or a literal substring;
 *   flag        or what the transforms saw: overlong, bad_utf8, nul, bad_percent;
 *   malformed   or "yes": what the part holds does not parse as it claims (a
 *               body not as its Content-Type says, more arguments than max_args)
 *               (exactly one of these five)
 *   parts       path, query, cookie, header, body, or all (default all)
 *   transforms  url, html, js, unicode, lower, space, sqlcomment, path, nul, in
 *               the order they apply (default none)
 *   severity    critical (5), error (4), warning (3), notice (2) (default critical)
 *   paranoia    1..4: the rule runs where the route's paranoia is at least this
 *               (default 1)
 *   needs       bytes one of which the value must hold (after the transforms)
 *               for the rule to run at all: a quick test that spares a regex,
 *               or a tokenizer, most values
 *   msg         required: what the log line says
 */
#ifndef BN_WAF_H
#define BN_WAF_H

#include "bouncer.h"
#include "pool.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

typedef enum {
    BN_WAF_PART_PATH = 0,
    BN_WAF_PART_QUERY,
    BN_WAF_PART_COOKIE,
    BN_WAF_PART_HEADER,
    BN_WAF_PART_BODY,
    BN_WAF_NPARTS
} bn_waf_part_t;

typedef enum {
    BN_WAF_OP_SQLI = 0,
    BN_WAF_OP_XSS,
    BN_WAF_OP_TRAVERSAL,
    BN_WAF_OP_CMDI,
    BN_WAF_OP_REGEX,
    BN_WAF_OP_CONTAINS,
    BN_WAF_OP_FLAG,
    BN_WAF_OP_MALFORMED,
} bn_waf_op_t;

#define BN_WAF_MAX_CHAIN 9 /* transforms in one rule's chain */
#define BN_WAF_TRANSFORM_CLASS(t) (1ULL << (t))
#define BN_WAF_MAX_CHAINS 32

/* A set of byte values, one bit each. */
typedef struct {
    uint64_t w[4];
} bn_waf_bytes_t;

typedef struct {
    unsigned id;
    unsigned score; /* the severity's: critical 5, error 4, warning 3, notice 2 */
    unsigned paranoia;
    unsigned parts; /* 1 << bn_waf_part_t */
    unsigned chain; /* index into the set's chains */
    bn_waf_op_t op;
    pcre2_code *re;
    const char *arg; /* contains: the text; flag: unused */
    size_t arg_len;
    unsigned flag; /* BN_WAF_F_* of flag */
    const char *msg;
    bool raw;            /* runs on raw body bytes too (raw=yes, the default) */
    bool has_needs;      /* the rule can match only a value with one of these bytes */
    bn_waf_bytes_t needs; /* (after its transforms): others are not run through it */
    uint64_t needs_class; /* by bn_waf_rules_finish(): needs' class; 0: not gated */
} bn_waf_rule_t;

typedef struct {
    unsigned char t[BN_WAF_MAX_CHAIN];
    unsigned n;
    int parent; /* the longest other chain that is a prefix of this one; -1: none */
    char name[96]; /* "url,unicode,nul", for the log; "none" */
    uint64_t acts_on; /* the classes of its transformations: a value with no byte of
                         them is its own output */
} bn_waf_chain_t;

#define BN_WAF_MAX_PARANOIA 4

/* A rule as a scan meets it: gate holds the classes a value needs one of
 * for the rule to run at all (its needs' and its transformations'; 0 when
 * the rule is not gated).  bn_waf_rules_finish() turns the gates into the
 * live words below, so that a value never visits a rule it has no byte for. */
typedef struct {
    const bn_waf_rule_t *rule;
    uint64_t gate;
    /* The rule's chain's acts_on and its needs_class, copied here: a value
     * most rules pass over is judged from the steps alone, without a load
     * from each rule and its chain. */
    uint64_t acts_on;
    uint64_t needs;
} bn_waf_step_t;

/* A word for each of the 64 byte classes, and one for the steps with no gate. */
#define BN_WAF_LIVE_WORDS (64 + 1)

/* Rules sorted by chain, so that a value is transformed once per chain. */
typedef struct bn_waf_rules_s {
    bn_waf_rule_t *rules;
    size_t nrules;
    bn_waf_chain_t chains[BN_WAF_MAX_CHAINS];
    unsigned nchains;
    /* By bn_waf_rules_finish(): the rules of each part at each paranoia
     * level (in the order of rules), but those only bn_waf_scan_malformed()
     * matches. */
    bn_waf_step_t *steps[BN_WAF_NPARTS][BN_WAF_MAX_PARANOIA];
    size_t nsteps[BN_WAF_NPARTS][BN_WAF_MAX_PARANOIA];
    /* The same steps by class, BN_WAF_LIVE_WORDS words for each 64 of them:
     * word c has bit k set when step k's gate holds class c, the last word
     * the steps with no gate.  The steps a value runs are the last word or'ed
     * with the words of its classes, so the scan walks only those. */
    uint64_t *live[BN_WAF_NPARTS][BN_WAF_MAX_PARANOIA];
    /* By bn_waf_rules_finish(): the classes each byte value is in, one bit
     * each: BN_WAF_TRANSFORM_CLASS(t) for the bytes transformation t acts
     * on, then one per distinct needs.  A value's classes are those of its
     * bytes, or'ed: one load a byte tells every rule whether to run. */
    uint64_t byte_class[256];
    bn_pool_t *pool;  /* the rules' */
    const char *path; /* the site's rules file; NULL: built-in only */
} bn_waf_rules_t;

/*
 * Parses rules text into set (in pool: its regexes are freed with it),
 * appending to what set holds.  On an error returns BN_ERROR with
 * "FILE:LINE: what" in err.
 */
int bn_waf_rules_parse(bn_waf_rules_t *set, bn_pool_t *pool, const char *text, size_t len,
                       const char *file, char *err, size_t errsize);
/* Sorts the rules by chain (once every text is parsed); BN_ERROR and err
 * on a duplicate id. */
int bn_waf_rules_finish(bn_waf_rules_t *set, char *err, size_t errsize);
/* The built-in set's text. */
extern const char bn_waf_builtin_rules[];
const bn_waf_rule_t *bn_waf_rule_by_id(const bn_waf_rules_t *set, unsigned id);

const char *bn_waf_part_name(bn_waf_part_t part);

/* ---- a scan: one request's values ----------------------------------------------- */

#define BN_WAF_MAX_MATCHES 8 /* kept for the log; the score counts them all */
/* A regex rule may not spend more than this on one value: a pattern that
 * backtracks without end (ReDoS) is cut off, and that counts as its match
 * (an input built to make a rule run away is an attack itself). */
#define BN_WAF_MATCH_LIMIT 100000
#define BN_WAF_EXCERPT 64

typedef struct {
    const bn_waf_rule_t *rule;
    bn_waf_part_t part;
    const char *why; /* a tokenizer's word on what it saw ("sqli: union select"); NULL: none */
    char name[BN_WAF_EXCERPT / 2]; /* the argument, cookie or header name, escaped */
    char excerpt[BN_WAF_EXCERPT];  /* of the transformed value, escaped */
} bn_waf_match_t;

/* Short values a scan found clean, kept whole: a JSON array of objects, a
 * form's repeated fields, say every key again and again in one request. */
#define BN_WAF_SEEN_SLOTS 32
#define BN_WAF_SEEN_LEN 24

typedef struct {
    uint64_t w[3];     /* the value's bytes, as waf.c's seen_pack() lays them out */
    unsigned char len; /* 0: free */
    unsigned char kind; /* the part, with 8 for raw bytes */
} bn_waf_seen_t;

typedef struct {
    const bn_waf_rules_t *set;
    unsigned paranoia;
    unsigned threshold;
    const unsigned *exclude;
    size_t nexclude;
    unsigned score;
    bn_waf_match_t matches[BN_WAF_MAX_MATCHES];
    unsigned nmatches;  /* kept in matches */
    unsigned nmatched;  /* all of them */
    unsigned nlimited;  /* regex runs cut by the match limits */
    unsigned long match_limit; /* PCRE2's, for each regex run (the depth limit follows) */
    uint64_t tag;       /* what decides a verdict besides the value (for the clean table) */
    bn_waf_seen_t seen[BN_WAF_SEEN_SLOTS];
} bn_waf_scan_t;

/* match_limit: BN_WAF_MATCH_LIMIT, or the route's waf.match_limit. */
void bn_waf_scan_init(bn_waf_scan_t *s, const bn_waf_rules_t *set, unsigned paranoia,
                      unsigned threshold, const unsigned *exclude, size_t nexclude,
                      unsigned long match_limit);
/* Whether values found clean are remembered (waf.c); off only to measure. */
extern bool bn_waf_clean_cache;
/* A hash of p[0..n) under a secret of this process (SipHash-1-3): where a
 * table keyed by what a client sends places an entry, so that nobody can
 * choose what collides. */
uint64_t bn_waf_keyed_hash(const void *p, size_t n);
/*
 * Runs the rules for part on one value (name: the argument's, cookie's or
 * header's, for the log; may be NULL).  Returns true once the score has
 * reached the threshold: nothing more needs looking at.
 */
bool bn_waf_scan_value(bn_waf_scan_t *s, bn_waf_part_t part, const char *name, size_t name_len,
                       const char *v, size_t n);
/* The same for raw body bytes, which no parser of the request took apart (a
 * line of a body of no parsed type, a file's contents): rules that say
 * raw=no, about the encoding of fields, do not run on them. */
bool bn_waf_scan_raw(bn_waf_scan_t *s, bn_waf_part_t part, const char *name, size_t name_len,
                     const char *v, size_t n);
/* What part holds does not parse as it claims (why: static): the rules
 * that say malformed = yes for that part match. */
bool bn_waf_scan_malformed(bn_waf_scan_t *s, bn_waf_part_t part, const char *why);

static inline bool
bn_waf_scan_over(const bn_waf_scan_t *s)
{
    return s->score >= s->threshold;
}

/* ---- counters, shared by every worker --------------------------------------------- */

typedef struct bn_waf_counters_s bn_waf_counters_t;

/* Made by the master once; kept for its life (across reloads). */
bn_waf_counters_t *bn_waf_counters_create(void);
/* One match of rule id in part; blocked: the request was refused for it. */
void bn_waf_count(bn_waf_counters_t *c, unsigned id, bn_waf_part_t part, bool blocked);
/* Reads rule id's counts in part (0 where it never matched). */
void bn_waf_counts(const bn_waf_counters_t *c, unsigned id, bn_waf_part_t part, uint64_t *matches,
                   uint64_t *blocks);

#endif
