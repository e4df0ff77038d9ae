/*
 * waf_sqli.c: SQL injection found by the shape of the token stream.
 *
 * A value reaches a SQL statement in one of three places: as it is (a
 * number or a bare identifier), inside a single-quoted string, or inside a
 * double-quoted one.  The value is tokenized once per context: in a quoted
 * context the first token is the rest of the string the query had opened,
 * up to the quote that closes it (no closing quote: the value cannot leave
 * the string, and that context is done).  What follows is judged by a small
 * grammar of SQL continuations: an expression joined by a logic operator,
 * a union select, a stacked statement, a comment that cuts off the rest of
 * the query, an order/group by clause; each of them must be followed only by
 * what SQL allows there (the end, a comment, another continuation), and the
 * expression must carry weight (a comparison, a function, a subquery).
 * Natural text fails the grammar early: after "O'" comes the bare word
 * "Brien", which SQL never accepts right after a string.  A few shapes
 * count wherever they stand, because no text but a query has them: a
 * system catalog's name (information_schema, sysobjects) and a union
 * select of the kinds a union's probe takes ("union select 1,2", "union
 * select @@version", "x union select" at the value's end); see
 * sql_anywhere().
 *
 * At most MAXT tokens are read per context, each byte once, so the cost is
 * linear in the value whatever it holds.
 */
#include "waf_detect.h"

#include "str.h"

#include <stdint.h>
#include <string.h>

#define MAXT 48

/* Token types, one letter each: they also make the fingerprint. */
#define T_STRING 's'
#define T_NUMBER 'n'
#define T_VAR 'v'
#define T_WORD 'b'
#define T_KEYWORD 'k'
#define T_STMT 'E'
#define T_UNION 'U'
#define T_FUNC 'f'
#define T_LOGIC '&'
#define T_OP 'o'
#define T_LPAREN '('
#define T_RPAREN ')'
#define T_COMMA ','
#define T_SEMI ';'
#define T_DOT '.'
#define T_COMMENT 'c'
#define T_OTHER '?'

enum {
    KW_NONE,
    /* statements */
    KW_SELECT,
    KW_INSERT,
    KW_UPDATE,
    KW_DELETE,
    KW_DDL, /* drop, create, alter, truncate, rename */
    KW_EXEC,
    KW_DECLARE,
    KW_SHUTDOWN,
    KW_WAITFOR,
    KW_BEGIN,
    KW_GOTO,
    /* clauses and the words statements need */
    KW_FROM,
    KW_INTO,
    KW_VALUES,
    KW_SET,
    KW_OBJECT, /* table, database, ... after a DDL verb */
    KW_ORDER,
    KW_GROUP,
    KW_BY,
    KW_ORDERBY, /* "order by" or "group by", folded */
    KW_HAVING,
    KW_LIMIT,
    KW_PROCEDURE,
    KW_DELAY,
    KW_ALL, /* all, distinct after select or union */
    KW_TOP,
    KW_AS,
    KW_WHERE,
    KW_OUTFILE,
    /* words folded away or turned into operators */
    KW_NOT,
    KW_CASE,
    KW_END,
    KW_NULL,
    /* function classes */
    KW_FN_DANGER, /* time delays, file reads, error-based extraction */
    KW_FN_SQL,    /* functions injections lean on */
    /* variable class */
    KW_SYSVAR, /* @@name */
    KW_WORDOP, /* like, rlike, regexp, sounds, div, is, in, between */
    KW_PROC,   /* xp_..., sp_...: SQL Server's stored procedures */
    KW_USE,
    KW_IF,   /* if, while: SQL Server's control flow (if is MySQL's if() too) */
    KW_MODE, /* "mode", which ends "lock in share mode" and "in boolean mode" */
    KW_LOCK, /* lock, share, boolean: the words before it */
    KW_FOR,  /* "for update" */
    KW_THEN,
    KW_MATCH,      /* match col, ... against (...): full-text search */
    KW_CMP,        /* =, <>, <, >, ... : a comparison */
    KW_JOIN,       /* join, and the words before it (left, inner, ...) */
    KW_ON,         /* on, using: a join's condition */
    KW_OR_REPLACE, /* "replace" in "create or replace" */
    KW_CATALOG,    /* information_schema, sysobjects, ...: a database's own tables */
    KW_DO,         /* MySQL's do expr */
    KW_CALL,       /* call proc(...) */
    KW_LOAD,       /* load data|xml ... infile */
    KW_INFILE,
    KW_ASC, /* asc, desc after an order by's item */
    KW_WHEN,
    KW_ADMIN,      /* describe, show, grant, revoke: statements only when stacked */
    KW_IDENTIFIED, /* create user x identified by ... */
};

typedef struct {
    const char *word;
    char type;
    unsigned char kw;
} sql_word_t;

/* Keywords by what the grammar does with them, in byte order (hash_words()
 * indexes them); words not here are bare identifiers (a function when "("
 * follows). */
static const sql_word_t sql_words[] = {
    { "against", T_OP, KW_WORDOP },
    { "all", T_KEYWORD, KW_ALL },
    { "all_tab_columns", T_WORD, KW_CATALOG },
    { "all_users", T_WORD, KW_CATALOG },
    { "alter", T_STMT, KW_DDL },
    { "and", T_LOGIC, KW_NONE },
    { "as", T_KEYWORD, KW_AS },
    { "asc", T_WORD, KW_ASC },
    { "ascii", T_WORD, KW_FN_SQL },
    { "begin", T_STMT, KW_BEGIN },
    { "benchmark", T_WORD, KW_FN_DANGER },
    { "between", T_OP, KW_WORDOP },
    { "binary", T_OP, KW_NOT },
    { "boolean", T_WORD, KW_LOCK },
    { "by", T_KEYWORD, KW_BY },
    { "call", T_STMT, KW_CALL },
    { "case", T_OP, KW_CASE },
    { "cast", T_WORD, KW_FN_SQL },
    { "char", T_WORD, KW_FN_SQL },
    { "chr", T_WORD, KW_FN_SQL },
    { "coalesce", T_WORD, KW_FN_SQL },
    { "collate", T_OP, KW_NONE },
    { "concat", T_WORD, KW_FN_SQL },
    { "concat_ws", T_WORD, KW_FN_SQL },
    { "convert", T_WORD, KW_FN_SQL },
    { "count", T_WORD, KW_FN_SQL },
    { "create", T_STMT, KW_DDL },
    { "cross", T_WORD, KW_JOIN },
    { "current_user", T_WORD, KW_FN_SQL },
    { "database", T_KEYWORD, KW_OBJECT },
    { "db_name", T_WORD, KW_FN_SQL },
    { "dba_users", T_WORD, KW_CATALOG },
    { "dbms_pipe", T_WORD, KW_FN_SQL },
    { "declare", T_STMT, KW_DECLARE },
    { "delay", T_KEYWORD, KW_DELAY },
    { "delete", T_STMT, KW_DELETE },
    { "desc", T_WORD, KW_ASC },
    { "describe", T_WORD, KW_ADMIN },
    { "distinct", T_KEYWORD, KW_ALL },
    { "distinctrow", T_KEYWORD, KW_ALL },
    { "div", T_OP, KW_WORDOP },
    { "do", T_STMT, KW_DO },
    { "drop", T_STMT, KW_DDL },
    { "dumpfile", T_KEYWORD, KW_OUTFILE },
    { "else", T_OP, KW_NONE },
    { "elt", T_WORD, KW_FN_SQL },
    { "end", T_OP, KW_END },
    { "eqv", T_LOGIC, KW_NONE }, /* Access: logical equivalence */
    { "escape", T_OP, KW_NONE },
    { "except", T_UNION, KW_NONE },
    { "exec", T_STMT, KW_EXEC },
    { "execute", T_STMT, KW_EXEC },
    { "exists", T_WORD, KW_FN_SQL },
    { "exp", T_WORD, KW_FN_SQL },
    { "extractvalue", T_WORD, KW_FN_DANGER },
    { "false", T_NUMBER, KW_NULL },
    { "floor", T_WORD, KW_FN_SQL },
    { "for", T_KEYWORD, KW_FOR },
    { "from", T_KEYWORD, KW_FROM },
    { "function", T_KEYWORD, KW_OBJECT },
    { "get_host_address", T_WORD, KW_FN_DANGER },
    { "glob", T_OP, KW_WORDOP },
    { "goto", T_STMT, KW_GOTO },
    { "grant", T_WORD, KW_ADMIN },
    { "group", T_KEYWORD, KW_GROUP },
    { "group_concat", T_WORD, KW_FN_SQL },
    { "having", T_KEYWORD, KW_HAVING },
    { "hex", T_WORD, KW_FN_SQL },
    { "identified", T_WORD, KW_IDENTIFIED },
    { "if", T_WORD, KW_IF },
    { "ifnull", T_WORD, KW_FN_SQL },
    { "iif", T_WORD, KW_FN_SQL },
    { "immediate", T_WORD, KW_PROC }, /* Oracle's execute immediate 'sql' */
    { "imp", T_LOGIC, KW_NONE }, /* Access: implication */
    { "in", T_OP, KW_WORDOP },
    { "index", T_KEYWORD, KW_OBJECT },
    { "infile", T_KEYWORD, KW_INFILE },
    { "information_schema", T_WORD, KW_CATALOG },
    { "inner", T_WORD, KW_JOIN },
    { "insert", T_STMT, KW_INSERT },
    { "intersect", T_UNION, KW_NONE },
    { "into", T_KEYWORD, KW_INTO },
    { "is", T_OP, KW_WORDOP },
    { "isnull", T_WORD, KW_FN_SQL },
    { "join", T_WORD, KW_JOIN },
    { "left", T_WORD, KW_JOIN },
    { "length", T_WORD, KW_FN_SQL },
    { "like", T_OP, KW_WORDOP },
    { "limit", T_KEYWORD, KW_LIMIT },
    { "load", T_STMT, KW_LOAD },
    { "load_file", T_WORD, KW_FN_DANGER },
    { "lock", T_WORD, KW_LOCK },
    { "make_set", T_WORD, KW_FN_SQL },
    { "match", T_WORD, KW_MATCH },
    { "md5", T_WORD, KW_FN_SQL },
    { "mid", T_WORD, KW_FN_SQL },
    { "mod", T_OP, KW_WORDOP },
    { "mode", T_WORD, KW_MODE },
    { "msysaccessobjects", T_WORD, KW_CATALOG },
    { "msysobjects", T_WORD, KW_CATALOG },
    { "name_const", T_WORD, KW_FN_DANGER },
    { "natural", T_WORD, KW_JOIN },
    { "not", T_OP, KW_NOT },
    { "null", T_NUMBER, KW_NULL },
    { "offset", T_KEYWORD, KW_LIMIT },
    { "on", T_WORD, KW_ON },
    { "or", T_LOGIC, KW_NONE },
    { "ord", T_WORD, KW_FN_SQL },
    { "order", T_KEYWORD, KW_ORDER },
    { "outer", T_WORD, KW_JOIN },
    { "outfile", T_KEYWORD, KW_OUTFILE },
    { "pg_catalog", T_WORD, KW_CATALOG },
    { "pg_shadow", T_WORD, KW_CATALOG },
    { "pg_sleep", T_WORD, KW_FN_DANGER },
    { "procedure", T_KEYWORD, KW_PROCEDURE },
    { "rand", T_WORD, KW_FN_SQL },
    { "randomblob", T_WORD, KW_FN_DANGER },
    { "receive_message", T_WORD, KW_FN_DANGER },
    { "regexp", T_OP, KW_WORDOP },
    { "rename", T_STMT, KW_DDL },
    { "replace", T_WORD, KW_OR_REPLACE },
    { "revoke", T_WORD, KW_ADMIN },
    { "right", T_WORD, KW_JOIN },
    { "rlike", T_OP, KW_WORDOP },
    { "schema", T_KEYWORD, KW_OBJECT },
    { "select", T_STMT, KW_SELECT },
    { "set", T_KEYWORD, KW_SET },
    { "sha1", T_WORD, KW_FN_SQL },
    { "share", T_WORD, KW_LOCK },
    { "show", T_WORD, KW_ADMIN },
    { "shutdown", T_STMT, KW_SHUTDOWN },
    { "similar", T_OP, KW_WORDOP },
    { "sleep", T_WORD, KW_FN_DANGER },
    { "sounds", T_OP, KW_WORDOP },
    { "sqlite_master", T_WORD, KW_CATALOG },
    { "straight_join", T_WORD, KW_JOIN },
    { "substr", T_WORD, KW_FN_SQL },
    { "substring", T_WORD, KW_FN_SQL },
    { "sys_eval", T_WORD, KW_FN_DANGER },
    { "sys_exec", T_WORD, KW_FN_DANGER },
    { "syscat", T_WORD, KW_CATALOG },
    { "syscolumns", T_WORD, KW_CATALOG },
    { "sysdatabases", T_WORD, KW_CATALOG },
    { "sysibm", T_WORD, KW_CATALOG },
    { "sysobjects", T_WORD, KW_CATALOG },
    { "system_user", T_WORD, KW_FN_SQL },
    { "table", T_KEYWORD, KW_OBJECT },
    { "then", T_OP, KW_THEN },
    { "time", T_KEYWORD, KW_DELAY },
    { "top", T_KEYWORD, KW_TOP },
    { "trigger", T_KEYWORD, KW_OBJECT },
    { "true", T_NUMBER, KW_NULL },
    { "truncate", T_STMT, KW_DDL },
    { "unhex", T_WORD, KW_FN_SQL },
    { "union", T_UNION, KW_NONE },
    { "update", T_STMT, KW_UPDATE },
    { "updatexml", T_WORD, KW_FN_DANGER },
    { "use", T_STMT, KW_USE },
    { "user", T_WORD, KW_FN_SQL },
    { "using", T_WORD, KW_ON },
    { "utl_inaddr", T_WORD, KW_FN_SQL },
    { "values", T_KEYWORD, KW_VALUES },
    { "version", T_WORD, KW_FN_SQL },
    { "view", T_KEYWORD, KW_OBJECT },
    { "waitfor", T_STMT, KW_WAITFOR },
    { "when", T_OP, KW_WHEN },
    { "where", T_KEYWORD, KW_WHERE },
    { "while", T_WORD, KW_IF },
    { "xor", T_LOGIC, KW_NONE },
    { "xp_cmdshell", T_WORD, KW_FN_DANGER },
};

static const sql_word_t proc_word = { "xp_", T_WORD, KW_PROC };

typedef struct {
    char type;
    unsigned char kw;
    bool open;  /* a string that ran to the end of the value unclosed */
    bool unary; /* an operator that may stand before an operand; a union
                 * with "all" or "distinct" after it */
    bool qname; /* a quoted (`x`, [x]) or qualified (a.b) name */
    uint32_t off; /* a bare word's or an unknown function's bytes,
                   * s[off..off+len); len 0 for other tokens */
    uint32_t len;
} sql_tok_t;

typedef struct {
    sql_tok_t t[MAXT];
    int nt;
    bool truncated; /* tokens were left unread after MAXT */
    bool plus_blank; /* "+" between words is a blank (a form-encoded value) */
    bool dash_signs; /* "--" before a non-blank is two minus signs (MySQL) */
    bool versioned; /* inside a MySQL / *! ... * / comment, which runs */
    unsigned char cases; /* CASE_* of a value that starts with "case" */
    unsigned char anycase; /* CASE_START, _THEN, _END of a case anywhere */
    bool dashed; /* the value starts with "--" read as two signs */
    bool litcmp; /* two literals compared ("1=1", "'a'<>'b'"): a tautology
                  * or a contradiction, which only a test of the query asks */
    int litcmp_at; /* the token of the first such test's second operand */
    bool spaced;   /* a blank after a non-blank before the quote that closes
                    * the query's string */
    size_t far; /* the bytes the reading looked at: s[0..far) */
    unsigned char quote; /* the context read in: what the value closed first, or 0 */
    const unsigned char *s; /* the value read */
} sql_lex_t;

#define CASE_START 0x01 /* the first word is "case" (after a "(" maybe) */
#define CASE_THEN 0x02  /* then "when ... then" */
#define CASE_LIT 0x04   /* a literal right after "then" */
#define CASE_END 0x08   /* then "end" */

/* What an expression held, and what followed it. */
#define F_CMP 0x01     /* a binary operator */
#define F_FUNC 0x02    /* a function call */
#define F_DANGER 0x04  /* a function with a side channel (time, file, error) */
#define F_SUB 0x08     /* a subquery */
#define F_LOGIC 0x10   /* a logic operator */
#define F_LITERAL 0x20 /* a number, string or variable among the operands */
#define F_COMMENT 0x40 /* the rest of the query cut off by a comment */
#define F_UNION 0x80
#define F_STACK 0x100
#define F_CLAUSE 0x200 /* order by, group by, having, limit, into outfile */
#define F_SQLFN 0x400  /* a function of the KW_FN_SQL kind */
#define F_STMT 0x800   /* a statement inside a group */
#define F_SQLWORD 0x1000 /* in a group, a SQL function's name without "()" ("(exists)") */

/* Byte classes, one table lookup per byte in the lexer's loops. */
#define C_SPACE 0x01 /* NUL and the other controls split tokens as blanks do;
                      * 0xa0 is a non-breaking space in Latin-1 and MySQL */
#define C_START 0x02 /* starts a name: letters, _, $, bytes >= 0x80 */
#define C_WORD 0x04  /* inside a name: those and digits */
#define C_DIGIT 0x08
#define C_HEX 0x10
#define C_DOLLAR 0x20 /* "$": a dollar string, or a word inside a name */
#define C_MARK 0x40   /* a byte sql_may_inject() looks at twice: quotes, \ #
                       * and the first of -- / * || && @@ */

static uint8_t sql_class[256];

static void
class_bytes(void)
{
    for (unsigned c = 0; c < 256; c++) {
        uint8_t k = 0;

        if (c <= ' ' || c == 0x7f || c == 0xa0) {
            k = C_SPACE;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$'
                   || c >= 0x80) {
            k = C_START | C_WORD;
        } else if (c >= '0' && c <= '9') {
            k = C_WORD | C_DIGIT | C_HEX;
        }
        if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
            k |= C_HEX;
        }
        if (c == '$') {
            k |= C_DOLLAR;
        }
        if (strchr("'\"\\#-/|&@", (int) c) != NULL && c != 0) {
            k |= C_MARK;
        }
        sql_class[c] = k;
    }
}

static inline bool
sql_space(unsigned char c)
{
    return (sql_class[c] & C_SPACE) != 0;
}

static inline bool
sql_word_start(unsigned char c)
{
    return (sql_class[c] & C_START) != 0;
}

static inline bool
sql_word_char(unsigned char c)
{
    return (sql_class[c] & C_WORD) != 0;
}

static inline bool
sql_digit(unsigned char c)
{
    return (sql_class[c] & C_DIGIT) != 0;
}

/*
 * The words by a hash of their lower-case bytes, open addressing in a
 * table four times their number: a lookup is a hash over the word and,
 * nearly always, one comparison.  Made the first time it is needed.
 */
#define WORD_SLOTS 512

static uint16_t word_slot[WORD_SLOTS]; /* index + 1 into sql_words; 0: free */
static uint8_t word_len[sizeof(sql_words) / sizeof(sql_words[0])];
static bool words_hashed;

/*
 * The words without which no reading can match (see sql_may_inject()):
 * TRIG_ALWAYS wherever they stand, TRIG_CALL only as a call, "(" after
 * them.  trig_lens[c]: bit l set when such a word of length l starts with
 * the lower-case byte c, a filter before the lookup.
 */
#define TRIG_ALWAYS 0x01
#define TRIG_CALL 0x02

static uint8_t word_trig[sizeof(sql_words) / sizeof(sql_words[0])];
static uint32_t trig_lens[256];
static size_t trig_max; /* the longest of them */

static inline uint32_t
word_hash(uint32_t h, unsigned char c)
{
    return (h ^ c) * 16777619u;
}

/*
 * What a word must be for a reading to need it.  With none of them the
 * tokens of any reading are operands, bare words and names, operators,
 * ",", ".", ")", ";" and keywords that start no clause: the grammar's
 * shapes all need a logic operator, a union, a statement, a comment, a
 * clause (order/group by, from, where, having, limit, into outfile,
 * procedure), a whole "case" expression, or a call of a SQL function (a
 * function's own or one that a word operator, if or while makes); ";"
 * stacks only a statement and "(" weighs only with such a call.
 */
static uint8_t
word_trigger(const sql_word_t *w)
{
    switch (w->kw) {
    case KW_DO:
        return TRIG_CALL; /* do (1=1), do sleep(5): "do" alone is English */
    case KW_LOAD:
        return 0; /* load data infile: "infile" is the trigger */
    case KW_INFILE:
        return TRIG_ALWAYS;
    default:
        break;
    }
    switch (w->type) {
    case T_UNION:
    case T_STMT:
    case T_LOGIC:
        return TRIG_ALWAYS;
    default:
        break;
    }
    switch (w->kw) {
    case KW_FROM:
    case KW_LIMIT:
    case KW_HAVING:
    case KW_WHERE:
    case KW_ORDER:
    case KW_GROUP:
    case KW_OUTFILE:
    case KW_PROCEDURE:
    case KW_CASE:
    case KW_CATALOG:
        return TRIG_ALWAYS;
    case KW_FN_DANGER:
    case KW_FN_SQL:
    case KW_IF:
    case KW_WORDOP:
        return TRIG_CALL;
    default:
        return 0;
    }
}

static void
hash_words(void)
{
    for (size_t k = 0; k < sizeof(sql_words) / sizeof(sql_words[0]); k++) {
        const char *w = sql_words[k].word;
        uint32_t h = 2166136261u, slot;

        word_len[k] = (uint8_t) strlen(w);
        for (size_t i = 0; w[i] != '\0'; i++) {
            h = word_hash(h, (unsigned char) w[i]);
        }
        for (slot = h % WORD_SLOTS; word_slot[slot] != 0; slot = (slot + 1) % WORD_SLOTS) {
        }
        word_slot[slot] = (uint16_t) (k + 1);
        word_trig[k] = word_trigger(&sql_words[k]);
        if (word_trig[k] != 0) {
            trig_lens[(unsigned char) w[0]] |= 1u << word_len[k];
            if (word_len[k] > trig_max) {
                trig_max = word_len[k];
            }
        }
    }
    class_bytes();
    words_hashed = true;
}

static const sql_word_t *
sql_lookup(const unsigned char *w, size_t len)
{
    char low[20];
    uint32_t h = 2166136261u;

    if (len >= sizeof(low)) {
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        low[i] = (char) bn_waf_lower(w[i]);
        h = word_hash(h, (unsigned char) low[i]);
    }
    for (uint32_t slot = h % WORD_SLOTS; word_slot[slot] != 0; slot = (slot + 1) % WORD_SLOTS) {
        size_t k = word_slot[slot] - 1u;
        if (word_len[k] == len && memcmp(low, sql_words[k].word, len) == 0) {
            return &sql_words[k];
        }
    }
    return NULL;
}

/* Whether a token of type t may stand right before an operand (a unary
 * operator after it is a sign); 0 is the value's start. */
static inline bool
sql_before_operand(char t)
{
    switch (t) {
    case 0:
    case T_OP:
    case T_LOGIC:
    case T_LPAREN:
    case T_COMMA:
    case T_STMT:
    case T_KEYWORD:
    case T_UNION:
    case T_SEMI:
        return true;
    default:
        return false;
    }
}

/*
 * Adds a token, folding as SQL reads it: a unary operator before its
 * operand, "not", "case" and "end" drop out; adjacent strings are one (SQL
 * concatenates them); "a.b" and "a..b" are one name; "union all" is a union;
 * "order by" one keyword.
 */
static inline void
sql_push(sql_lex_t *lx, char type, unsigned char kw, bool open, bool unary)
{
    sql_tok_t *prev = lx->nt > 0 ? &lx->t[lx->nt - 1] : NULL;
    char pt = prev != NULL ? prev->type : 0;

    if (lx->nt >= MAXT) {
        lx->truncated = true;
        return;
    }
    if (kw == KW_CASE && (lx->nt == 0 || (lx->nt == 1 && pt == T_LPAREN))) {
        lx->cases = CASE_START;
    } else if (kw == KW_THEN && lx->cases == CASE_START) {
        lx->cases |= CASE_THEN;
    } else if ((type == T_NUMBER || type == T_STRING || (type == T_VAR && kw == KW_SYSVAR))
               && (lx->cases & CASE_THEN) && pt == T_OP && prev->kw == KW_THEN) {
        lx->cases |= CASE_LIT;
    } else if (kw == KW_END && (lx->cases & CASE_THEN)) {
        lx->cases |= CASE_END;
    }
    if (kw == KW_CASE) {
        lx->anycase = CASE_START;
    } else if (kw == KW_THEN && (lx->anycase & CASE_START)) {
        lx->anycase |= CASE_THEN;
    } else if (kw == KW_END && (lx->anycase & CASE_THEN)) {
        lx->anycase |= CASE_END;
    }
    if ((type == T_NUMBER || type == T_STRING || (type == T_VAR && kw == KW_SYSVAR)) && pt == T_OP
        && prev->kw == KW_CMP && lx->nt >= 2
        && (strchr("ns", lx->t[lx->nt - 2].type) != NULL || lx->t[lx->nt - 2].kw == KW_SYSVAR)) {
        if (!lx->litcmp) {
            lx->litcmp = true;
            lx->litcmp_at = lx->nt;
        }
    }
    if (kw == KW_NOT || kw == KW_CASE) {
        return;
    }
    if (kw == KW_WHEN && sql_before_operand(pt)) {
        return; /* "= case when 1 then 1 end": the case dropped, its when too */
    }
    if (kw == KW_END && (pt == T_NUMBER || pt == T_STRING || pt == T_WORD || pt == T_VAR
                         || pt == T_RPAREN)) {
        return;
    }
    if (type == T_OP && unary && sql_before_operand(pt)) {
        return;
    }
    if (type == T_STRING && pt == T_STRING) {
        prev->open = open;
        return;
    }
    if (type == T_DOT && pt == T_DOT) {
        return;
    }
    if ((type == T_WORD || type == T_COMMA) && pt == T_WORD && prev->kw == KW_MATCH) {
        return; /* match title, body against (...): the columns are one operand */
    }
    if ((type == T_WORD || type == T_FUNC) && pt == T_DOT && lx->nt >= 2
        && lx->t[lx->nt - 2].type == T_VAR) {
        lx->nt--; /* @@global.key_buffer_size: still a variable */
        return;
    }
    if ((type == T_WORD || type == T_FUNC) && pt == T_DOT && lx->nt >= 2
        && lx->t[lx->nt - 2].type == T_WORD) {
        lx->nt--;
        prev = &lx->t[lx->nt - 1];
        prev->type = type;
        prev->kw = prev->kw == KW_CATALOG ? KW_CATALOG : kw; /* information_schema.tables */
        prev->qname = true;
        return;
    }
    if ((type == T_WORD || type == T_FUNC) && pt == T_DOT
        && (lx->nt == 1 || strchr("Ek,(", lx->t[lx->nt - 2].type) != NULL)) {
        /* select.`name`, from .t: a name with an empty qualifier */
        prev->type = type;
        prev->kw = kw;
        prev->qname = true;
        return;
    }
    if (kw == KW_ALL && pt == T_UNION) {
        prev->unary = true; /* "union all": a union's own word, which no prose adds */
        return;
    }
    if (type == T_OP && kw == KW_WORDOP && pt == T_OP && prev->kw == KW_WORDOP) {
        return; /* "sounds like", "like binary" read as one operator */
    }
    /* Locking and full-text modifiers ("for update", "lock in share mode",
     * "in boolean mode") change nothing of the shape: they drop out. */
    if (kw == KW_UPDATE && pt == T_KEYWORD && prev->kw == KW_FOR) {
        lx->nt--;
        return;
    }
    if (kw == KW_MODE && pt == T_WORD && prev->kw == KW_LOCK && lx->nt >= 2
        && lx->t[lx->nt - 2].kw == KW_WORDOP) {
        lx->nt -= 2;
        if (lx->nt > 0 && lx->t[lx->nt - 1].kw == KW_LOCK) {
            lx->nt--;
        }
        return;
    }
    if (kw == KW_BY && pt == T_KEYWORD && (prev->kw == KW_ORDER || prev->kw == KW_GROUP)) {
        prev->kw = KW_ORDERBY;
        return;
    }
    lx->t[lx->nt].type = type;
    lx->t[lx->nt].kw = kw;
    lx->t[lx->nt].open = open;
    lx->t[lx->nt].unary = unary;
    lx->t[lx->nt].qname = false;
    lx->t[lx->nt].len = 0;
    lx->nt++;
}

/*
 * Notes the bytes of the bare word or unknown function just pushed,
 * s[i..i+len); a bare word that
 * equals itself ("x=x", "a = a") is a tautology as a test of two literals
 * is: a column equals itself in every row.
 */
static void
sql_word_pushed(sql_lex_t *lx, const unsigned char *s, size_t i, size_t len)
{
    sql_tok_t *t = &lx->t[lx->nt - 1], *a;

    t->off = (uint32_t) i;
    t->len = (uint32_t) len;
    if (t->type != T_WORD || lx->nt < 3 || lx->t[lx->nt - 2].type != T_OP
        || lx->t[lx->nt - 2].kw != KW_CMP) {
        return;
    }
    a = &lx->t[lx->nt - 3];
    if (a->type != T_WORD || a->len != len || a->qname || memcmp(s + a->off, s + i, len) != 0) {
        return;
    }
    /* "=" alone between them: "x != x" is how C tests for a NaN */
    for (size_t k = a->off + a->len; k < i; k++) {
        if (!sql_space(s[k]) && s[k] != '=') {
            return;
        }
    }
    if (!lx->litcmp) {
        lx->litcmp = true;
        lx->litcmp_at = lx->nt - 1;
    }
}

/* Whether token i is the unknown word w (lower case), in any case. */
static bool
sql_token_is(const sql_lex_t *lx, int i, const char *w)
{
    return i >= 0 && i < lx->nt && lx->t[i].len == strlen(w)
           && bn_strncaseeq((const char *) lx->s + lx->t[i].off, lx->t[i].len, w, lx->t[i].len);
}

/* Marks the name just pushed as quoted. */
static void
sql_qname(sql_lex_t *lx)
{
    if (lx->nt > 0 && lx->t[lx->nt - 1].type == T_WORD) {
        lx->t[lx->nt - 1].qname = true;
    }
}

/* The end of the string whose body starts at i, delimited by q: the index
 * after the closing quote, or n when it runs to the end (*open set). */
static size_t
sql_string_end(const unsigned char *s, size_t n, size_t i, unsigned char q, bool *open)
{
    while (i < n) {
        if (s[i] == '\\') {
            i += 2;
            continue;
        }
        if (s[i] == q) {
            if (i + 1 < n && s[i + 1] == q) {
                i += 2;
                continue;
            }
            *open = false;
            return i + 1;
        }
        i++;
    }
    *open = true;
    return n;
}

/*
 * Whether the comment whose text is s[i..n) cuts nothing a query needs:
 * blanks and dashes alone ("1 --", "1 #"), or SQL Server's "sp_password",
 * which keeps the statement out of its trace ("1--sp_password").
 */
static bool
sql_blank_rest(const unsigned char *s, size_t n, size_t i)
{
    for (size_t k = i; k < n; k++) {
        if (!sql_space(s[k]) && s[k] != '-' && s[k] != '+' && s[k] != '*') {
            for (; k + 11 <= n; k++) {
                if (bn_waf_prefix_eq((const char *) s + k, n - k, "sp_password")) {
                    return true;
                }
            }
            return false;
        }
    }
    return true;
}

/* Whether token i is the name of one of Oracle's packages whose calls
 * wait or reach out (dbms_lock.sleep, utl_inaddr.get_host_address, ...):
 * "abc' dbms_lock.sleep(5)" is no prose's "it's foo.bar". */
static bool
sql_oracle_package(const sql_lex_t *lx, int i)
{
    static const char *const packages[] = { "dbms_", "utl_", "ctxsys", "user_lock", "sys" };
    const char *w = (const char *) lx->s + lx->t[i].off;

    for (size_t k = 0; k < sizeof(packages) / sizeof(packages[0]); k++) {
        if (bn_waf_prefix_eq(w, lx->t[i].len, packages[k])
            && (packages[k][strlen(packages[k]) - 1] == '_'
                || lx->t[i].len == strlen(packages[k]))) {
            return true;
        }
    }
    return false;
}

/* Whether s[i..n) holds one word at most, between blanks. */
static bool
sql_last_word(const unsigned char *s, size_t n, size_t i)
{
    while (i < n && sql_space(s[i])) {
        i++;
    }
    while (i < n && sql_word_char(s[i])) {
        i++;
    }
    while (i < n && sql_space(s[i])) {
        i++;
    }
    return i == n;
}

/* The length of the operator at s[i..n), its type, its keyword (KW_CMP for
 * a comparison), whether it can be unary. */
static size_t
sql_operator(const unsigned char *s, size_t n, size_t i, char *type, unsigned char *kw,
             bool *unary)
{
    static const struct {
        char op[3];
        char type;
        unsigned char kw;
    } two[] = {
        { "<=", T_OP, KW_CMP },    { ">=", T_OP, KW_CMP },     { "<>", T_OP, KW_CMP },
        { "!=", T_OP, KW_CMP },    { "==", T_OP, KW_CMP },     { "!<", T_OP, KW_CMP },
        { "!>", T_OP, KW_CMP },    { ":=", T_OP, KW_NONE },    { "<<", T_OP, KW_NONE },
        { ">>", T_OP, KW_NONE },   { "::", T_OP, KW_NONE },    { "||", T_LOGIC, KW_NONE },
        { "&&", T_LOGIC, KW_NONE },
    };

    *unary = false;
    *type = T_OP;
    *kw = KW_CMP;
    if (i + 3 <= n && memcmp(s + i, "<=>", 3) == 0) {
        return 3;
    }
    for (size_t k = 0; k < sizeof(two) / sizeof(two[0]); k++) {
        if (i + 2 <= n && memcmp(s + i, two[k].op, 2) == 0) {
            *type = two[k].type;
            *kw = two[k].kw;
            return 2;
        }
    }
    if (strchr("=<>+-*/%^|&~!", s[i]) != NULL) {
        *unary = strchr("+-~!", s[i]) != NULL;
        if (strchr("=<>", s[i]) == NULL) {
            *kw = KW_NONE;
        }
        return 1;
    }
    return 0;
}

/* How sql_lex() reads a value, besides the first way. */
#define LEX_PLUS 0x01   /* "+" is a blank: the value was form-encoded */
#define LEX_DASHES 0x02 /* "--" before a non-blank is two signs, as MySQL has it */
#define LEX_WHOLE 0x04  /* read on after an operand and a bare word ("1'id=-13 union ...") */

/*
 * Tokenizes s as SQL.  quote, when not 0, is the quote the query opened
 * before the value: the first token is the rest of that string.  Returns
 * false when the value never leaves it.
 */
static bool
sql_lex(sql_lex_t *lx, const unsigned char *s, size_t n, unsigned char quote, unsigned mode)
{
    size_t i = 0, j, len, depth;
    int pushed;
    bool open, unary, no_bracket = false;
    unsigned odbc = 0;
    unsigned char opkw;
    char type;

    lx->nt = 0;
    lx->truncated = false;
    lx->plus_blank = (mode & LEX_PLUS) != 0;
    lx->dash_signs = (mode & LEX_DASHES) != 0;
    lx->versioned = false;
    lx->cases = 0;
    lx->anycase = 0;
    lx->litcmp = false;
    lx->litcmp_at = 0;
    lx->dashed = false;
    lx->far = 0;
    lx->quote = quote;
    lx->spaced = false;
    lx->s = s;
    if (quote == '*') {
        /* the value lands in a comment: what follows its close comes
         * after the operand the comment stood behind */
        const unsigned char *e = memmem(s, n, "*/", 2);

        if (e == NULL) {
            return false;
        }
        i = (size_t) (e - s) + 2;
        sql_push(lx, T_STRING, KW_NONE, false, false); /* that operand */
    } else if (quote != 0) {
        i = sql_string_end(s, n, 0, quote, &open);
        if (open) {
            return false;
        }
        for (j = 0; j + 1 < i && sql_space(s[j]); j++) {
        }
        for (; j + 1 < i && !lx->spaced; j++) {
            lx->spaced = sql_space(s[j]); /* after the blanks the value starts with */
        }
        /* a quoted name (`name`, [name]) is a column or table */
        sql_push(lx, quote == '`' || quote == ']' ? T_WORD : T_STRING, KW_NONE, false, false);
    }
    while (i < n) {
        unsigned char c = s[i];

        if (lx->nt == 2 && lx->t[1].type == T_WORD && strchr("snvb", lx->t[0].type) != NULL
            && lx->t[1].kw != KW_LOCK && lx->t[1].kw != KW_IF && !(mode & LEX_WHOLE)
            && !(s[i] == '.' && sql_oracle_package(lx, 1))) {
            /* "O'Brien", "hello world": SQL never puts a bare word right
             * after an operand, so no shape can follow; stop reading. */
            break;
        }
        if (lx->nt >= MAXT) {
            while (i < n && sql_space(s[i])) {
                i++;
            }
            lx->truncated = i < n;
            break;
        }
        if (sql_space(c)
            || (c == '+' && lx->plus_blank
                && !(i > 0 && sql_digit(s[i - 1]) && i + 1 < n && sql_digit(s[i + 1])))) {
            i++;
            continue;
        }
        if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            if (i + 2 < n && s[i + 2] == '!') {
                /* MySQL runs what a / *!50000 ... * / comment holds. */
                i += 3;
                for (j = i; j < n && j < i + 6 && sql_digit(s[j]); j++) {
                }
                if (j - i >= 5) {
                    i = j; /* the version: five digits, six in MySQL 8 */
                }
                lx->versioned = true;
                continue;
            }
            for (j = i + 2, depth = 1; j + 1 < n; j++) {
                if (s[j] == '/' && s[j + 1] == '*') {
                    depth++;
                    j++;
                } else if (s[j] == '*' && s[j + 1] == '/') {
                    /* PostgreSQL nests comments: "/ * / * * / * /" is one
                     * when a second close follows the first; MySQL ends
                     * at the first. */
                    size_t k;

                    for (k = j + 2; k < n && sql_space(s[k]); k++) {
                    }
                    if (--depth == 0 || !(k + 1 < n && s[k] == '*' && s[k + 1] == '/')) {
                        break;
                    }
                    j = k - 1;
                }
            }
            if (j + 1 >= n) {
                sql_push(lx, T_COMMENT, KW_NONE, sql_blank_rest(s, n, i + 2), false);
                break;
            }
            if (lx->nt == 1 && (lx->t[0].type == T_NUMBER || lx->t[0].type == T_VAR)
                && sql_blank_rest(s, n, j + 2)) {
                /* "1/ * anything * /": a number, then a comment that ends
                 * the value, as "1 --" is */
                sql_push(lx, T_COMMENT, KW_NONE, true, false);
                break;
            }
            i = j + 2;
            continue;
        }
        if (c == '*' && lx->versioned && i + 1 < n && s[i + 1] == '/') {
            lx->versioned = false;
            i += 2;
            continue;
        }
        if (c == '-' && i + 2 < n && s[i + 1] == '-' && lx->nt == 0 && !sql_space(s[i + 2])
            && s[i + 2] != '-') {
            /* "--1 union select ...": MySQL's comment needs a blank after
             * the dashes, so at the start these are two signs; a comment
             * there would hide the whole value, which is no reading */
            i += 2;
            lx->dashed = true;
            continue;
        }
        if (c == '-' && lx->dash_signs && i + 2 < n && s[i + 1] == '-'
            && (sql_digit(s[i + 2]) || s[i + 2] == '(' || s[i + 2] == '@')) {
            sql_push(lx, T_OP, KW_NONE, false, true); /* x--1: x - -1 */
            i += 2;
            continue;
        }
        if (c == '#' || (c == '-' && i + 1 < n && s[i + 1] == '-')) {
            /* Such a comment ends at the line's end, and SQL goes on on
             * the next: to the query it is a blank (sqlmap's space2hash,
             * "1#x\nor#x\n1=1"), unless one word at most follows (its
             * "-- x" made "--#a\nx"), which the comment cuts off. */
            const unsigned char *nl = memchr(s + i, '\n', n - i);

            if (nl != NULL && !sql_last_word(s, n, (size_t) (nl - s) + 1)) {
                i = (size_t) (nl - s) + 1;
                continue;
            }
            sql_push(lx, T_COMMENT, KW_NONE, sql_blank_rest(s, n, i + 1), false);
            break;
        }
        if (c == '\'' || c == '"') {
            i = sql_string_end(s, n, i + 1, c, &open);
            sql_push(lx, T_STRING, KW_NONE, open, false);
            continue;
        }
        if (c == '\\' && i + 1 < n && s[i + 1] == 'N') {
            /* MySQL's \N is NULL. */
            sql_push(lx, T_NUMBER, KW_NULL, false, false);
            i += 2;
            continue;
        }
        if (c == '\\' && i + 1 < n && sql_digit(s[i + 1])) {
            i++; /* \1=\1: a backslash an escaping layer left before a digit */
            continue;
        }
        if (c == '[' && i + 1 < n && sql_word_start(s[i + 1])) {
            /* SQL Server's and Access's [name], or one the value opens */
            for (j = i + 1; j < n && sql_word_char(s[j]); j++) {
            }
            if (j == n || s[j] == ']') {
                sql_push(lx, T_WORD, KW_NONE, j == n, false);
                sql_qname(lx);
                i = j + 1;
                continue;
            }
        }
        if (c == '`') {
            for (j = i + 1; j < n && s[j] != '`'; j++) {
            }
            if (j >= n && sql_blank_rest(s, n, i + 1) && lx->nt > 0 && i > 0
                && sql_space(s[i - 1])) {
                /* a backtick left open at the end, after a blank: MySQL
                 * reads what it opens as a comment (libinjection's
                 * "foo\" and 1=1 `"; Markdown's `"` has no blank before) */
                sql_push(lx, T_COMMENT, KW_NONE, true, false);
                break;
            }
            sql_push(lx, T_WORD, KW_NONE, false, false);
            sql_qname(lx);
            i = j + 1;
            continue;
        }
        if (c == '$') {
            /* PostgreSQL's $tag$...$tag$ string; $1 and $name are names */
            for (j = i + 1; j < n && s[j] != '$' && sql_word_char(s[j]); j++) {
            }
            if (j < n && s[j] == '$' && !(j > i + 1 && sql_digit(s[i + 1]))) {
                const unsigned char *e = memmem(s + j + 1, n - j - 1, s + i, j + 1 - i);

                sql_push(lx, T_STRING, KW_NONE, e == NULL, false);
                i = e == NULL ? n : (size_t) (e - s) + (j + 1 - i);
                continue;
            }
        }
        if (c == '{' && i + 1 < n && sql_word_start(s[i + 1])) {
            /* ODBC's escapes, {ts '...'}, {fn f(x)}, {oj ...}: the braces
             * and the word drop out. */
            for (j = i + 1; j < n && sql_word_char(s[j]); j++) {
            }
            if (j < n && sql_space(s[j])) {
                odbc++;
                i = j;
                continue;
            }
        }
        if (c == '}' && odbc > 0) {
            odbc--;
            i++;
            continue;
        }
        if (c == '[' && !no_bracket) {
            /* SQL Server's [quoted name]; once a '[' finds no ']', none
             * after it will, so each byte is still read once. */
            for (j = i + 1; j < n && s[j] != ']'; j++) {
            }
            if (j < n) {
                sql_push(lx, T_WORD, KW_NONE, false, false);
                sql_qname(lx);
                i = j + 1;
                continue;
            }
            no_bracket = true;
        }
        if (sql_digit(c) || (c == '.' && i + 1 < n && sql_digit(s[i + 1]))) {
            j = i;
            if (c == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X' || s[i + 1] == 'b')) {
                j += 2;
                while (j < n && (sql_class[s[j]] & C_HEX)) {
                    j++;
                }
            } else {
                while (j < n && sql_digit(s[j])) {
                    j++;
                }
                if (j < n && s[j] == '.') {
                    j++;
                    while (j < n && sql_digit(s[j])) {
                        j++;
                    }
                }
                if (j + 1 < n && (s[j] == 'e' || s[j] == 'E')
                    && (sql_digit(s[j + 1])
                        || ((s[j + 1] == '-' || s[j + 1] == '+') && j + 2 < n
                            && sql_digit(s[j + 2])))) {
                    j += 2;
                    while (j < n && sql_digit(s[j])) {
                        j++;
                    }
                }
            }
            if (j < n && sql_word_start(s[j])) {
                /* "1a" is a name; "1union", "1or" a number and a keyword. */
                size_t e = j;

                while (e < n && sql_word_char(s[e])) {
                    e++;
                }
                if (sql_lookup(s + j, e - j) == NULL) {
                    sql_push(lx, T_WORD, KW_NONE, false, false);
                    i = e;
                    continue;
                }
            }
            sql_push(lx, T_NUMBER, KW_NONE, false, false);
            i = j;
            continue;
        }
        if (c == '@') {
            bool sys = i + 1 < n && s[i + 1] == '@';

            j = i + (sys ? 2 : 1);
            while (j < n && sql_word_char(s[j])) {
                j++;
            }
            if (j == i + 1 && j < n && (s[j] == '`' || s[j] == '"' || s[j] == '\'')) {
                /* @`name`, @"name": a user variable with a quoted name. */
                j = sql_string_end(s, n, j + 1, s[j], &open);
            }
            sql_push(lx, T_VAR, sys && j > i + 2 ? KW_SYSVAR : KW_NONE, false, false);
            i = j;
            continue;
        }
        if (sql_word_start(c)) {
            const sql_word_t *w;
            size_t k;

            /* N'...', X'...', B'...', E'...': a string with a prefix. */
            if (i + 1 < n && s[i + 1] == '\'' && strchr("nNxXbBeE", c) != NULL) {
                i++;
                continue;
            }
            for (j = i; j < n && sql_word_char(s[j]); j++) {
            }
            if (c == '_' && j < n && s[j] == '\'') {
                i = j; /* _latin1'...': a string with its character set */
                continue;
            }
            len = j - i;
            w = sql_lookup(s + i, len);
            if (w == NULL && len > 3 && s[i + 2] == '_'
                && (bn_waf_prefix_eq((const char *) s + i, len, "xp_")
                    || bn_waf_prefix_eq((const char *) s + i, len, "sp_"))) {
                w = &proc_word;
            }
            for (k = j; k < n; k++) {
                if (lx->versioned && s[k] == '*' && k + 1 < n && s[k + 1] == '/') {
                    k++; /* / *!sleep* /(5): the call's name in the comment */
                } else if (!sql_space(s[k]) && !(s[k] == '+' && lx->plus_blank)) {
                    break;
                }
            }
            if (k >= lx->far) {
                lx->far = k + 1;
            }
            type = w != NULL ? w->type : T_WORD;
            if (k < n && s[k] == '('
                && (type == T_WORD || (w != NULL && (w->kw == KW_INSERT || w->kw == KW_OBJECT)))) {
                type = T_FUNC;
            } else if (k < n && s[k] == '(' && w != NULL && w->kw == KW_WORDOP
                       && sql_before_operand(lx->nt == 0 ? 0 : lx->t[lx->nt - 1].type)) {
                /* like('a', ...) with no left operand: MySQL's function. */
                sql_push(lx, T_FUNC, KW_FN_SQL, false, false);
                i = j;
                continue;
            }
            pushed = lx->nt;
            sql_push(lx, type, w != NULL ? w->kw : KW_NONE, false, w != NULL && w->kw == KW_NOT);
            if ((type == T_WORD || type == T_FUNC) && w == NULL && lx->nt == pushed + 1) {
                sql_word_pushed(lx, s, i, len);
            }
            i = j;
            continue;
        }
        if (c == '(' || c == ')' || c == ',' || c == ';' || c == '.') {
            sql_push(lx, (char) c, KW_NONE, false, false);
            i++;
            continue;
        }
        len = sql_operator(s, n, i, &type, &opkw, &unary);
        if (len > 0) {
            sql_push(lx, type, opkw, false, unary);
            i += len;
            continue;
        }
        if (c == ':' && lx->nt > 0 && lx->t[lx->nt - 1].type == T_WORD
            && lx->t[lx->nt - 1].kw == KW_NONE) {
            lx->nt--; /* "label:" of SQL Server's goto: no shape of its own */
            i++;
            continue;
        }
        sql_push(lx, T_OTHER, KW_NONE, false, false);
        i++;
    }
    if (i > lx->far) {
        lx->far = i < n ? i : n;
    }
    if (lx->truncated && lx->t[lx->nt - 1].type == T_DOT) {
        lx->nt--; /* "mysql." of "mysql.user" cut off: the name is still one */
    }
    return true;
}

/* The type and the keyword of token i; 0 and KW_NONE past either end
 * (sql_after_operand() looks before an operand that may be the first). */
static char
tt(const sql_lex_t *lx, int i)
{
    return i >= 0 && i < lx->nt ? lx->t[i].type : 0;
}

static unsigned char
tk(const sql_lex_t *lx, int i)
{
    return i >= 0 && i < lx->nt ? lx->t[i].kw : KW_NONE;
}

/* Whether the token stream ran out at i: the value's end, or the end of
 * what was read (the rest is not judged). */
static bool
at_end(const sql_lex_t *lx, int i)
{
    return i >= lx->nt;
}

static int sql_stmt(const sql_lex_t *lx, int i, unsigned *f);
static int sql_select(const sql_lex_t *lx, int i, unsigned *f);
static int sql_expr(const sql_lex_t *lx, int i, unsigned *f);

/*
 * The group opened by the "(" at i: the index after its ")", with what it
 * held in *f; nt when the value ends inside it (the query may close it).
 */
static int
sql_group(const sql_lex_t *lx, int i, unsigned *f)
{
    int depth = 0;

    if (tt(lx, i + 1) == T_STMT && tk(lx, i + 1) == KW_SELECT) {
        *f |= F_SUB;
    }
    for (; i < lx->nt; i++) {
        switch (lx->t[i].type) {
        case T_LPAREN:
            depth++;
            break;
        case T_RPAREN:
            if (--depth == 0) {
                return i + 1;
            }
            break;
        case T_FUNC:
            *f |= F_FUNC;
            if (lx->t[i].kw == KW_FN_DANGER) {
                *f |= F_DANGER;
            } else if (lx->t[i].kw == KW_FN_SQL || lx->t[i].kw == KW_IF) {
                *f |= F_SQLFN;
            }
            break;
        case T_STMT:
            *f |= lx->t[i].kw == KW_SELECT ? F_SUB : F_STMT;
            break;
        case T_OP:
        case T_LOGIC:
            *f |= F_CMP;
            break;
        case T_SEMI:
            /* (select 1; select sleep(5)): a statement stacked inside
             * the group; "(a; b)" of prose ends the group. */
            if (at_end(lx, i + 1) || tt(lx, i + 1) == T_COMMENT) {
                return lx->nt;
            }
            if (tk(lx, i + 1) == KW_END && (*f & F_STACK)) {
                break; /* ...; begin dbms_lock.sleep(5); end; */
            }
            if ((tt(lx, i + 1) != T_STMT && tk(lx, i + 1) != KW_IF)
                || sql_stmt(lx, i + 1, f) < 0) {
                return -1;
            }
            *f |= F_STACK;
            break;
        case T_STRING:
        case T_NUMBER:
        case T_VAR:
            *f |= F_LITERAL;
            break;
        case T_WORD:
            if (lx->t[i].kw == KW_FN_SQL) {
                *f |= F_SQLWORD;
            }
            break;
        default:
            break;
        }
    }
    return lx->nt;
}

/*
 * Whether the call at i holds another call and one of them is a SQL
 * function's: "ascii(substring(...))", "uncompress(compress(version()))".
 */
static bool
sql_nested_call(const sql_lex_t *lx, int i)
{
    unsigned inner = 0;
    int j;

    if (tt(lx, i) != T_FUNC || tt(lx, i + 1) != T_LPAREN) {
        return false;
    }
    /* closed: "use \"if (\" instead of \"if(\"" opens calls it never ends */
    j = sql_group(lx, i + 1, &inner);
    return j > 0 && tt(lx, j - 1) == T_RPAREN && (inner & F_FUNC)
           && ((inner & F_SQLFN) || tk(lx, i) == KW_FN_SQL);
}

/*
 * Whether the operand at i, right after the one at prev, may be joined to
 * it by a "+" that the URL decoding read as a blank ("1+pi()+and+...",
 * "9999'+(select ...)" sent as they are): two operands side by side, not
 * both bare words (prose is made of those).
 */
static bool
sql_juxtaposed(const sql_lex_t *lx, int prev, int i)
{
    char a = tt(lx, prev), b = tt(lx, i);

    if (a == 0 || b == 0
        || (strchr("snvf(", a) == NULL && !(a == T_WORD && tk(lx, prev) == KW_FN_SQL))) {
        return false;
    }
    /* char(124)+user+char(124): a SQL function's name without "()" */
    return strchr("snvf(", b) != NULL || (b == T_WORD && tk(lx, i) == KW_FN_SQL);
}

/* One operand at i: the index after it, or -1. */
static int
sql_primary(const sql_lex_t *lx, int i, unsigned *f)
{
    if (i >= lx->nt) {
        return lx->truncated ? i : -1;
    }
    switch (tt(lx, i)) {
    case T_STMT:
        /* "or select ...": a subquery without its parentheses. */
        if (tk(lx, i) == KW_SELECT) {
            *f |= F_SUB;
            return sql_select(lx, i + 1, f);
        }
        return -1;
    case T_STRING:
    case T_NUMBER:
    case T_VAR:
        *f |= F_LITERAL;
        return i + 1;
    case T_WORD:
        return i + 1;
    case T_FUNC:
        *f |= F_FUNC;
        if (tk(lx, i) == KW_FN_DANGER) {
            *f |= F_DANGER;
        } else if (tk(lx, i) == KW_FN_SQL || tk(lx, i) == KW_IF) {
            *f |= F_SQLFN;
        }
        if (i + 1 == lx->nt && lx->truncated) {
            return lx->nt; /* its "(" past what was read */
        }
        if (tt(lx, i + 1) != T_LPAREN) {
            return -1;
        }
        return sql_group(lx, i + 1, f);
    case T_LPAREN:
        return sql_group(lx, i, f);
    default:
        return -1;
    }
}

/* An expression at i: operands joined by operators.  Returns the index
 * after it, or -1. */
static int
sql_expr(const sql_lex_t *lx, int i, unsigned *f)
{
    for (;;) {
        int start = i;

        i = sql_primary(lx, i, f);
        if (i < 0 || at_end(lx, i)) {
            return i;
        }
        if (tt(lx, i) == T_OP) {
            *f |= F_CMP;
        } else if (tt(lx, i) == T_LOGIC) {
            *f |= F_LOGIC;
        } else if (sql_juxtaposed(lx, start, i)) {
            continue;
        } else {
            return i;
        }
        i++;
        if (at_end(lx, i) || tt(lx, i) == T_UNION || tt(lx, i) == T_COMMENT) {
            return i; /* "1 - (select 1) - union ...": the operator dangles */
        }
    }
}

/* A table at i: a name (quoted or qualified), a table function's call or a
 * subquery, with an alias maybe; the index after it, or -1. */
static int
sql_table(const sql_lex_t *lx, int i, unsigned *f)
{
    switch (tt(lx, i)) {
    case T_WORD:
    case T_STRING:
        if (tk(lx, i) == KW_JOIN || tk(lx, i) == KW_ON) {
            return -1;
        }
        i++;
        break;
    case T_FUNC:
        i = sql_group(lx, i + 1, f); /* from generate_series(1,5000000) */
        break;
    case T_LPAREN:
        i = sql_group(lx, i, f);
        break;
    default:
        return -1;
    }
    if (tt(lx, i) == T_KEYWORD && tk(lx, i) == KW_AS) {
        return tt(lx, i + 1) == T_WORD || at_end(lx, i + 1) ? i + 2 : -1;
    }
    if (tt(lx, i) == T_WORD && tk(lx, i) == KW_NONE) {
        i++; /* from all_users t1: an alias without "as" */
    }
    return i;
}

/*
 * The tables of the "from" at i: tables joined by "," or by a join and
 * its condition ("left join b on a.id=b.id", "join b using (id)").
 * Returns the index after them, or -1.
 */
static int
sql_from(const sql_lex_t *lx, int i, unsigned *f)
{
    for (i++;;) {
        if (at_end(lx, i)) {
            return i;
        }
        i = sql_table(lx, i, f);
        if (i < 0) {
            return -1;
        }
        if (tt(lx, i) == T_FUNC && tk(lx, i) == KW_ON) {
            i = sql_group(lx, i + 1, f); /* using (id) */
        } else if (tt(lx, i) == T_WORD && tk(lx, i) == KW_ON) {
            i = at_end(lx, i + 1) ? i + 1 : sql_expr(lx, i + 1, f);
            if (i < 0) {
                return -1;
            }
        }
        if (tt(lx, i) == T_COMMA) {
            i++;
        } else if (tt(lx, i) == T_WORD && tk(lx, i) == KW_JOIN) {
            while (tt(lx, i) == T_WORD && tk(lx, i) == KW_JOIN) {
                i++; /* left outer join */
            }
        } else {
            return i;
        }
    }
}

/* A select list item or list at i, then what may follow it; returns the
 * index after the select, or -1 when it is not one. */
static int
sql_select(const sql_lex_t *lx, int i, unsigned *f)
{
    int j;

    while (tt(lx, i) == T_KEYWORD && (tk(lx, i) == KW_ALL || tk(lx, i) == KW_TOP)) {
        i += tk(lx, i) == KW_TOP ? 2 : 1;
    }
    for (;;) {
        if (tt(lx, i) == T_OP && !lx->t[i].unary) { /* select * */
            j = i + 1;
        } else if (tt(lx, i) == T_WORD && tt(lx, i + 1) == T_DOT && tt(lx, i + 2) == T_OP
                   && !lx->t[i + 2].unary) {
            j = i + 3; /* select u.* */
        } else {
            j = sql_expr(lx, i, f);
        }
        if (j < 0) {
            return -1;
        }
        if (tt(lx, j) == T_KEYWORD && tk(lx, j) == KW_AS) {
            j += 2;
        } else if ((tt(lx, j) == T_WORD || tt(lx, j) == T_STRING)
                   && (tt(lx, j + 1) == T_COMMA || tk(lx, j + 1) == KW_FROM
                       || (j + 1 < lx->nt && strchr("cU;)E", tt(lx, j + 1)) != NULL))) {
            j++; /* an alias without "as" */
        } else if (tt(lx, j) == T_WORD && j + 1 == lx->nt && !lx->truncated && lx->t[j].qname) {
            j++; /* select a `b`, select x t.c: a quoted alias that ends the value */
        }
        if (tt(lx, j) != T_COMMA) {
            break;
        }
        i = j + 1;
        if (i >= lx->nt && lx->truncated) {
            return i;
        }
    }
    if (at_end(lx, j)) {
        return j;
    }
    switch (tt(lx, j)) {
    case T_COMMENT:
    case T_SEMI:
    case T_UNION:
    case T_RPAREN:
        return j;
    case T_STMT:
        /* SQL Server runs the next statement without a ";". */
        return sql_stmt(lx, j, f) >= 0 ? j : -1;
    case T_KEYWORD:
        if (tk(lx, j) == KW_FROM) {
            /* from tables, then the end or a clause. */
            j = sql_from(lx, j, f);
            if (j < 0) {
                return -1;
            }
            if (tt(lx, j) == T_KEYWORD && tk(lx, j) == KW_WHERE) {
                /* where, then the condition, or nothing: the rest cut off */
                j = at_end(lx, j + 1) || tt(lx, j + 1) == T_COMMENT || tt(lx, j + 1) == T_SEMI
                        ? j + 1
                        : sql_expr(lx, j + 1, f);
                if (j < 0) {
                    return -1;
                }
            }
            if (at_end(lx, j) || strchr("c;U),&E", tt(lx, j)) != NULL
                || (tt(lx, j) == T_KEYWORD && tk(lx, j) != KW_FROM)) {
                return j;
            }
            return -1;
        }
        return tk(lx, j) == KW_INTO || tk(lx, j) == KW_WHERE || tk(lx, j) == KW_ORDERBY
                       || tk(lx, j) == KW_LIMIT
                   ? j
                   : -1;
    default:
        return -1;
    }
}

/* A statement at i (its first token is T_STMT): the index after what was
 * checked of it, or -1 when the words do not make one. */
static int
sql_stmt(const sql_lex_t *lx, int i, unsigned *f)
{
    unsigned g = 0;
    int j;

    if (tk(lx, i) == KW_IF && tt(lx, i) != T_STMT) {
        /* if 1=1 shutdown, while 1=1 drop table t, if exists (select ...)
         * drop ..., if((1=2),select 1,drop function f): a condition, then
         * a statement, or a group that holds one. */
        j = sql_expr(lx, i + 1, &g);
        if (j < 0) {
            return -1;
        }
        *f |= g;
        if (tt(lx, j) == T_STMT) {
            /* "while (n > 0) do" is Pascal's loop: do and call must be
             * statements of their own */
            if (tk(lx, j) == KW_DO || tk(lx, j) == KW_CALL) {
                return sql_stmt(lx, j, f) >= 0 ? j : -1;
            }
            return (g & F_CMP) || sql_stmt(lx, j, f) >= 0 ? j : -1;
        }
        return g & (F_SUB | F_STMT) ? j : -1;
    }
    if (tt(lx, i) != T_STMT) {
        return -1;
    }
    switch (tk(lx, i)) {
    case KW_SELECT:
        return sql_select(lx, i + 1, f);
    case KW_INSERT:
        if (tk(lx, i + 1) != KW_INTO) {
            return -1;
        }
        if (tt(lx, i + 2) == T_FUNC) {
            /* insert into mysql.user (user, host, password) values (...):
             * the columns, then the rows; any word names a column */
            j = sql_group(lx, i + 3, &g);
            if (j < lx->nt && (tk(lx, j) == KW_VALUES || tk(lx, j) == KW_SELECT)) {
                return lx->nt;
            }
            return i + 3; /* insert into users(login, ...) */
        }
        return tt(lx, i + 2) == T_WORD
                       && (tt(lx, i + 3) == T_LPAREN || tk(lx, i + 3) == KW_VALUES
                           || tk(lx, i + 3) == KW_SELECT)
                   ? i + 4
                   : -1;
    case KW_UPDATE:
        return tt(lx, i + 1) == T_WORD && tk(lx, i + 2) == KW_SET ? i + 3 : -1;
    case KW_DELETE:
        if (tt(lx, i + 1) == T_WORD && tk(lx, i + 2) == KW_FROM) {
            i++; /* delete ignore from, delete low_priority from */
        }
        return tk(lx, i + 1) == KW_FROM && tt(lx, i + 2) == T_WORD ? i + 3 : -1;
    case KW_DDL:
        if (tk(lx, i + 1) == KW_FN_SQL && tt(lx, i + 2) == T_WORD
            && tk(lx, i + 3) == KW_IDENTIFIED && tk(lx, i + 4) == KW_BY) {
            return lx->nt; /* create user name identified by 'pass' ... */
        }
        if (tt(lx, i + 1) == T_LOGIC
            && (tk(lx, i + 2) == KW_OR_REPLACE || tk(lx, i + 2) == KW_DDL)) {
            i += 2; /* create or replace, create or alter */
        }
        return (tk(lx, i + 1) == KW_OBJECT || tk(lx, i + 1) == KW_PROCEDURE)
                       && (tt(lx, i + 2) == T_WORD || tt(lx, i + 2) == T_FUNC || at_end(lx, i + 2))
                   ? i + 3
                   : -1;
    case KW_EXEC:
        /* exec xp_cmdshell ..., exec master..xp_cmdshell, exec(@sql):
         * what follows is the procedure's arguments. */
        if (tk(lx, i + 1) == KW_PROC || tk(lx, i + 1) == KW_FN_DANGER || tt(lx, i + 1) == T_VAR
            || tt(lx, i + 1) == T_LPAREN || tt(lx, i + 1) == T_FUNC) {
            return lx->nt;
        }
        return -1;
    case KW_USE:
        if (tt(lx, i + 1) == T_WORD && tt(lx, i + 2) == T_STMT && tk(lx, i + 2) != KW_USE) {
            return sql_stmt(lx, i + 2, f) >= 0 ? i + 3 : -1; /* use master exec xp_... */
        }
        return tt(lx, i + 1) == T_WORD && (at_end(lx, i + 2) || tt(lx, i + 2) == T_SEMI) ? i + 2
                                                                                           : -1;
    case KW_DO:
        /* do (1=1), do sleep(5): an expression evaluated for its effect */
        if (strchr("f(", tt(lx, i + 1)) == NULL || tt(lx, i + 1) == 0) {
            return -1;
        }
        j = sql_expr(lx, i + 1, &g);
        *f |= g;
        return j >= 0 && ((g & (F_DANGER | F_SUB | F_SQLFN)) || lx->litcmp) ? j : -1;
    case KW_CALL:
        /* call p(@version, @a): a literal or a variable among its
         * arguments ("call f()" and "call f(x)" are how prose names code) */
        if (tt(lx, i + 1) != T_FUNC) {
            return -1;
        }
        j = sql_primary(lx, i + 1, &g);
        *f |= g;
        return j >= 0 && (g & F_LITERAL) ? j : -1;
    case KW_LOAD:
        /* load data [local] infile 'f', load xml low_priority infile 'f' */
        for (j = i + 1; j < i + 4 && tt(lx, j) == T_WORD; j++) {
        }
        return j > i + 1 && tk(lx, j) == KW_INFILE && tt(lx, j + 1) == T_STRING ? j + 2 : -1;
    case KW_DECLARE:
        /* declare @s varchar(200) select @s = 0x... exec(@s): a variable
         * and its type, and what follows runs with it */
        if (tt(lx, i + 1) == T_VAR && (tt(lx, i + 2) == T_WORD || tt(lx, i + 2) == T_FUNC)) {
            return lx->nt;
        }
        return tt(lx, i + 1) == T_VAR ? i + 2 : -1;
    case KW_SHUTDOWN:
        if (tt(lx, i + 1) == T_WORD && tt(lx, i + 2) == T_WORD) {
            i += 2; /* shutdown with nowait */
        }
        return at_end(lx, i + 1) || tt(lx, i + 1) == T_COMMENT || tt(lx, i + 1) == T_SEMI
                       || tk(lx, i + 1) == KW_END
                   ? i + 1
                   : -1;
    case KW_WAITFOR:
        return tk(lx, i + 1) == KW_DELAY && tt(lx, i + 2) == T_STRING ? i + 3 : -1;
    case KW_BEGIN:
        /* begin declare ..., begin try select ..., begin dbms_lock.sleep(5) */
        if (tt(lx, i + 1) == T_WORD && tt(lx, i + 2) == T_STMT) {
            i++;
        }
        if (tk(lx, i + 1) == KW_IF && tt(lx, i + 1) == T_FUNC) {
            /* PL/SQL's begin if (...) then dbms_lock.sleep(5); ... end if;
             * end;: a block, whose statements are calls that wait */
            int then = -1, call = -1;

            for (int k = i + 2; k < lx->nt; k++) {
                if (then < 0 && tk(lx, k) == KW_THEN) {
                    then = k;
                } else if (then >= 0 && call < 0 && tt(lx, k) == T_FUNC
                           && tk(lx, k) == KW_FN_DANGER) {
                    call = k;
                } else if (call >= 0 && tk(lx, k) == KW_END) {
                    *f |= F_DANGER;
                    return lx->nt;
                }
            }
            return -1;
        }
        if (tt(lx, i + 1) == T_FUNC) {
            return sql_primary(lx, i + 1, f);
        }
        return sql_stmt(lx, i + 1, f);
    case KW_GOTO:
        return tt(lx, i + 1) == T_WORD
                       && (tt(lx, i + 2) == T_STMT || tt(lx, i + 2) == T_SEMI
                           || tt(lx, i + 2) == T_COMMENT)
                   ? i + 2
                   : -1;
    default:
        return -1;
    }
}

/* After the union at i, "[(...] select": the index after the select, or -1. */
static int
sql_union_select(const sql_lex_t *lx, int i)
{
    for (i++; tt(lx, i) == T_LPAREN; i++) {
    }
    return tt(lx, i) == T_STMT && tk(lx, i) == KW_SELECT ? i + 1 : -1;
}

/*
 * Whether the union at i selects a literal, a call or a group first
 * ("union select 1,2,...", "union all select null,", "union select
 * concat(...)"), or "*": what a union's probe of the column count and its
 * extraction look like, whatever follows.
 */
static bool
sql_union_probe(const sql_lex_t *lx, int i)
{
    i = sql_union_select(lx, i);
    if (i < 0) {
        return false;
    }
    while (tt(lx, i) == T_KEYWORD && tk(lx, i) == KW_ALL) {
        i++;
    }
    if (at_end(lx, i)) {
        return false;
    }
    return strchr("nsvf(", tt(lx, i)) != NULL || (tt(lx, i) == T_OP && !lx->t[i].unary);
}

/* A union at i: "union [all] select ..." or "union (select". */
static int
sql_union(const sql_lex_t *lx, int i, unsigned *f)
{
    if (tt(lx, i) != T_UNION) {
        return -1;
    }
    i = sql_union_select(lx, i);
    return i < 0 ? -1 : sql_select(lx, i, f);
}

/* A clause that may end an injected condition: order by, group by,
 * having, limit, into outfile, procedure. */
static int
sql_clause(const sql_lex_t *lx, int i, unsigned *f)
{
    switch (tk(lx, i)) {
    case KW_ORDERBY:
        /* order by 1, group by concat(0x7e, (select ...), floor(rand(0)*2)) */
        for (i++;;) {
            if (at_end(lx, i) && lx->truncated) {
                return i; /* the list goes on past what was read */
            }
            if (tt(lx, i) == T_NUMBER || tt(lx, i) == T_WORD || tt(lx, i) == T_VAR
                || tt(lx, i) == T_STRING) {
                i++; /* order by 1, order by @@version, order by 'a' */
            } else if ((tt(lx, i) != T_FUNC && tt(lx, i) != T_LPAREN)
                       || (i = sql_expr(lx, i, f)) < 0) {
                return -1;
            }
            if (tt(lx, i) == T_WORD && tk(lx, i) == KW_ASC) {
                i++; /* order by 1 desc */
            }
            if (tt(lx, i) != T_COMMA) {
                return i;
            }
            i++;
        }
    case KW_FROM:
        /* 1) from users where name='a': the rest of the query's select */
        if (tt(lx, i + 1) != T_WORD) {
            return -1;
        }
        return tk(lx, i + 2) == KW_WHERE ? sql_clause(lx, i + 2, f) : i + 2;
    case KW_LIMIT:
        i++;
        for (;;) {
            if (at_end(lx, i) && lx->truncated) {
                return i;
            }
            if (tt(lx, i) != T_NUMBER && tt(lx, i) != T_WORD) {
                return -1;
            }
            i++;
            if (tt(lx, i) != T_COMMA) {
                return i;
            }
            i++;
        }
    case KW_HAVING:
    case KW_WHERE:
        return at_end(lx, i + 1) ? i + 1 : sql_expr(lx, i + 1, f);
    case KW_INTO:
        if (tt(lx, i + 1) == T_VAR) {
            return i + 2; /* into @a: a variable takes the row */
        }
        if (tk(lx, i + 1) == KW_OUTFILE) {
            *f |= F_DANGER; /* a file written: a side channel as load_file() is */
        }
        if (tk(lx, i + 1) == KW_OUTFILE && tt(lx, i + 2) == T_FUNC) {
            return sql_group(lx, i + 3, f); /* into outfile substring(...) */
        }
        if (tk(lx, i + 1) == KW_OUTFILE && tt(lx, i + 2) == T_LPAREN) {
            return sql_group(lx, i + 2, f); /* into outfile ('/tmp/x') */
        }
        return tk(lx, i + 1) == KW_OUTFILE && tt(lx, i + 2) == T_STRING ? i + 3 : -1;
    case KW_PROCEDURE:
        if (tt(lx, i + 1) != T_FUNC) {
            return -1;
        }
        if (sql_token_is(lx, i + 1, "analyse")) {
            *f |= F_DANGER; /* procedure analyse(extractvalue(...)): errors that tell */
        }
        return sql_group(lx, i + 2, f);
    default:
        return -1;
    }
}

/*
 * Whether a statement that changes data or schema stands at i, after a
 * ";", cut off by a comment before its grammar is whole ("1; update
 * users --", "; delete #"), or a drop of a name at the value's end ("; drop
 * members").
 */
static bool
sql_stmt_cut(const sql_lex_t *lx, int i)
{
    if (tt(lx, i) != T_STMT
        || (tk(lx, i) != KW_DDL && tk(lx, i) != KW_UPDATE && tk(lx, i) != KW_DELETE
            && tk(lx, i) != KW_INSERT)) {
        return false;
    }
    if (tt(lx, i + 1) == T_WORD || tt(lx, i + 1) == T_KEYWORD) {
        i++; /* its object: "drop table", "update users" */
    }
    /* "; update the docs" is English: only a drop of a name may end the
     * value, the others end with the comment */
    return tt(lx, i + 1) == T_COMMENT
           || (at_end(lx, i + 1) && tk(lx, i - 1) == KW_DDL && tt(lx, i) == T_WORD);
}

/*
 * Whether an administrative statement stands at i, after a ";": "desc
 * users", "show tables", "grant connect to x", a few words that end with
 * the statement, and a comment that cuts off the rest of the query.  The
 * words are English too ("done; grant access to all"), and commands of
 * other tools ("echo 'show info; show stat'"): the comment decides.
 */
static bool
sql_admin(const sql_lex_t *lx, int i)
{
    int j;

    if (tt(lx, i) != T_WORD || (tk(lx, i) != KW_ADMIN && tk(lx, i) != KW_ASC)
        || tt(lx, lx->nt - 1) != T_COMMENT) {
        return false;
    }
    for (j = i + 1; j < i + 5 && tt(lx, j) == T_WORD; j++) {
    }
    return j > i + 1 && (tt(lx, j) == T_SEMI || tt(lx, j) == T_COMMENT);
}

/*
 * What may follow an injected expression for the query to stay valid: the
 * end, a comment, a stacked statement, a union, a clause, more logic.
 * Returns whether it is so, adding what it saw to *f.
 */
static bool
sql_tail(const sql_lex_t *lx, int i, unsigned *f, int depth)
{
    int j;

    if (depth > 4) {
        return false;
    }
    while (tt(lx, i) == T_RPAREN) {
        i++;
    }
    if (at_end(lx, i)) {
        return true;
    }
    switch (tt(lx, i)) {
    case T_COMMENT:
        *f |= F_COMMENT;
        return true;
    case T_SEMI:
        while (tt(lx, i + 1) == T_SEMI) {
            i++; /* ";;": an empty statement */
        }
        if (tt(lx, i + 1) == T_COMMENT) {
            if (lx->t[i + 1].open) {
                *f |= F_COMMENT; /* ";--": the statement ended, the rest cut off */
            }
            return true; /* "; # set the default": a comment of code */
        }
        if (at_end(lx, i + 1)) {
            return true;
        }
        if (tt(lx, i + 1) == T_LPAREN && tt(lx, i + 2) == T_STMT && tk(lx, i + 2) == KW_SELECT) {
            *f |= F_STACK | F_SUB;
            return true;
        }
        if (tt(lx, i + 1) == T_LPAREN || (tt(lx, i + 1) == T_FUNC && tt(lx, i + 2) == T_LPAREN)) {
            unsigned g = 0;

            sql_group(lx, tt(lx, i + 1) == T_LPAREN ? i + 1 : i + 2, &g);
            if (g & F_DANGER) {
                /* ;(load_file(...)), ;if(now()=sysdate(),sleep(5),0): a side
                 * channel stacked */
                *f |= F_STACK | F_DANGER;
                return true;
            }
        }
        j = sql_stmt(lx, i + 1, f);
        if (j < 0 && !sql_stmt_cut(lx, i + 1) && !sql_admin(lx, i + 1)) {
            return false;
        }
        *f |= F_STACK;
        return true;
    case T_UNION:
        if (at_end(lx, i + 1)) {
            if (lx->t[i].unary) {
                *f |= F_UNION; /* "(@x) or (@y) union all" */
            }
            return true; /* "... and 1=0 union": the rest elsewhere */
        }
        if (tt(lx, i + 1) == T_COMMENT) {
            *f |= F_UNION | F_COMMENT; /* 1/1/ * * /union#-- */
            return true;
        }
        /* After an expression, "union [all] [(] select" is enough: what
         * the select lists may be beyond this grammar. */
        j = i + 1;
        while (tt(lx, j) == T_LPAREN) {
            j++;
        }
        if (tk(lx, j) != KW_SELECT || tt(lx, j) != T_STMT) {
            return false;
        }
        *f |= F_UNION;
        return true;
    case T_KEYWORD:
        if (tk(lx, i) == KW_AS && at_end(lx, i + 1)) {
            return true;
        }
        if (tk(lx, i) == KW_AS && tt(lx, i + 1) == T_WORD) {
            return sql_tail(lx, i + 2, f, depth + 1);
        }
        j = sql_clause(lx, i, f);
        if (j < 0) {
            return false;
        }
        *f |= F_CLAUSE;
        return sql_tail(lx, j, f, depth + 1);
    case T_LOGIC:
    case T_OP:
        j = sql_expr(lx, i + 1, f);
        return j >= 0 && sql_tail(lx, j, f, depth + 1);
    case T_COMMA:
        /* '+if(benchmark(...),null,null),null,null) --: the rest of a
         * list the value stood in (values, a call's arguments) */
        for (j = i; tt(lx, j) == T_COMMA;) {
            j = sql_expr(lx, j + 1, f);
            if (j < 0) {
                return false;
            }
        }
        return sql_tail(lx, j, f, depth + 1);
    case T_STMT:
        /* where 1=1 waitfor delay '0:0:5': SQL Server runs a statement
         * that follows another without a ";"; one that text can be read
         * as ("use it", "select one") is not enough here */
        if (tk(lx, i) == KW_SELECT || tk(lx, i) == KW_USE || tk(lx, i) == KW_GOTO
            || tk(lx, i) == KW_BEGIN || tk(lx, i) == KW_DO || tk(lx, i) == KW_CALL
            || sql_stmt(lx, i, f) < 0) {
            return false;
        }
        *f |= F_STACK;
        return true;
    default:
        return false;
    }
}

/* Whether the value holds a whole case expression and a comparison of two
 * literals: "(case when 5=5 then 1 else null end)", a boolean test. */
static bool
sql_case_test(const sql_lex_t *lx)
{
    return lx->anycase == (CASE_START | CASE_THEN | CASE_END) && lx->litcmp;
}

/*
 * The continuation at i, after what the query already had (a closed string,
 * an operand): the reason it is an injection, or NULL.  raw: the value
 * stands where a number would, so the shapes natural text can take ("1 or
 * 2", "x--") need a higher paranoia.
 */
static const char *
sql_after_operand(const sql_lex_t *lx, int i, bool raw, unsigned paranoia)
{
    unsigned f = 0;
    int j, start = i;
    bool lit0 = raw && strchr("snv", tt(lx, 0)) != NULL;
    /* an operand that closes a "(" the query opened, or a quoted name,
     * then an operator or clause ("foo) rlike if(...)", "abc` where 1=1"):
     * as sure a start as a literal */
    bool closed = raw && start == 1 && tt(lx, 0) == T_WORD
                  && (tt(lx, 1) == T_RPAREN || lx->quote == '`' || lx->quote == ']');

    while (tt(lx, i) == T_RPAREN) {
        i++;
    }
    if (at_end(lx, i)) {
        return NULL;
    }
    switch (tt(lx, i)) {
    case T_COMMENT:
        if (!raw || paranoia >= 2) {
            return "sqli: comment truncates the query";
        }
        if (i > start && start == 1 && strchr("nv", tt(lx, 0)) != NULL && lx->t[i].open) {
            /* 1)) -- -: the number closes the query's parentheses and
             * cuts off the rest with an empty comment ("2) # of items"
             * has words in it) */
            return "sqli: parentheses closed then comment";
        }
        /* "1 --", "1 #", "@version--": a number or a variable, then a
         * comment with nothing in it (not a string: "'name'#" is a link's anchor) */
        return i == 1 && (tt(lx, 0) == T_NUMBER || tt(lx, 0) == T_VAR) && lx->t[i].open
                       && !lx->dashed /* "--3--" is a heading */
                   ? "sqli: number then comment"
                   : NULL;
    case T_COMMA:
        /* 1,(select ...): the value in a list, a subquery after it */
        if (!sql_tail(lx, i, &f, 0)) {
            return NULL;
        }
        if (f & (F_DANGER | F_SUB | F_STACK | F_UNION)) {
            return "sqli: subquery after the value in a list"; /* 1),(1)) union select 1 */
        }
        /* 1,iif(5=5,1,1/0), 1,(case when 5=5 then 1 else null end),
         * a,20,1764 and 1=@@version */
        if ((f & F_LOGIC) && lx->litcmp) {
            return "sqli: a list, then a test of literals";
        }
        return ((f & F_SQLFN) && lx->litcmp) || sql_case_test(lx)
                   ? "sqli: SQL function over a comparison of literals"
                   : NULL;
    case T_SEMI:
        if (sql_tail(lx, i, &f, 0) && (f & F_STACK)) {
            return "sqli: stacked query";
        }
        if (!raw && tt(lx, i + 1) == T_COMMENT) {
            return "sqli: comment truncates the query";
        }
        return NULL;
    case T_UNION:
        if ((!raw || lit0) && tt(lx, i + 1) == T_STMT && tk(lx, i + 1) == KW_SELECT
            && (at_end(lx, i + 2) || tt(lx, i + 2) == T_COMMENT)) {
            return "sqli: union select";
        }
        if (lit0 && tt(lx, 0) == T_NUMBER && (at_end(lx, i + 1) || tt(lx, i + 1) == T_COMMENT)) {
            return "sqli: number then union"; /* -1 union: the select elsewhere */
        }
        if ((!raw || lit0) && lx->t[i].unary && (at_end(lx, i + 1) || tt(lx, i + 1) == T_COMMENT)) {
            return "sqli: union all"; /* -9467' union all: the select elsewhere */
        }
        if ((!raw || lit0) && sql_union_probe(lx, i)) {
            return "sqli: union select";
        }
        return sql_union(lx, i, &f) >= 0 ? "sqli: union select" : NULL;
    case T_STMT:
        /* 'exec master..xp_cmdshell, 'declare @s: SQL Server runs a
         * statement that follows another without a ";". */
        if ((!raw || i > start || tk(lx, i) == KW_WAITFOR || tk(lx, i) == KW_EXEC
             || tk(lx, i) == KW_DECLARE
             || (tt(lx, 0) == T_NUMBER && (tk(lx, i) == KW_UPDATE || tk(lx, i) == KW_DELETE)))
            && tk(lx, i) != KW_DO && tk(lx, i) != KW_CALL && sql_stmt(lx, i, &f) >= 0) {
            return "sqli: statement after the value";
        }
        if (lit0 && tk(lx, i) == KW_SELECT && (j = sql_stmt(lx, i, &f)) >= 0
            && sql_tail(lx, j, &f, 0)
            && (sql_case_test(lx) || lx->litcmp
                || (f & (F_COMMENT | F_DANGER | F_SUB | F_UNION | F_STACK)))) {
            /* 1 select 'a'||(case when 1=1 ...), 1 select * from t having 1=1# */
            return "sqli: statement after the value";
        }
        return NULL;
    case T_WORD:
        /* ' if exists (select ...), '; if 1=1 shutdown */
        if (tk(lx, i) == KW_IF && (!raw || i > start) && sql_stmt(lx, i, &f) >= 0) {
            return "sqli: statement after the value";
        }
        return NULL;
    case T_LPAREN:
    case T_FUNC:
    case T_NUMBER:
    case T_STRING:
    case T_VAR: {
        unsigned g = 0;

        if (tk(lx, i) == KW_IF && (!raw || i > start) && sql_stmt(lx, i, &f) >= 0) {
            return "sqli: statement after the value";
        }
        /* An operand right after the value: joined to it by a "+" read
         * as a blank ("1'+(select ...)", "1+pi()+and+(3=pi())--"). */
        j = sql_expr(lx, i, &g);
        if (j >= 0 && sql_tail(lx, j, &g, 0)) {
            if (g & (F_DANGER | F_SUB | F_UNION | F_STACK)) {
                return "sqli: subquery or side channel after the value";
            }
            if ((g & F_LOGIC) && (g & F_CMP) && (g & F_LITERAL)
                && (!raw || lit0 || tt(lx, start - 1) == T_RPAREN)) {
                return "sqli: operand, logic and comparison";
            }
            if ((g & F_SQLFN) && (g & F_CMP) && tt(lx, 0) == T_NUMBER) {
                return "sqli: arithmetic with a SQL function"; /* 1+ascii(...)-4 */
            }
            if (sql_case_test(lx) && (!raw || lit0)) {
                return "sqli: case over a comparison of literals"; /* 1 (case when 1=1 ...) */
            }
            if ((!raw || i > start) && sql_nested_call(lx, i)) {
                /* ')) uncompress(compress(version())), 1) ascii(substring(...)):
                 * after the string or the parentheses the value closed */
                return "sqli: nested SQL functions after the value";
            }
        }
        /* '('12')+and..., '+coalesce('a')+and...: a group or a call
         * after the string, judged with what follows it. */
        if (raw || (tt(lx, i) != T_LPAREN && tt(lx, i) != T_FUNC)) {
            return NULL;
        }
        j = sql_primary(lx, i, &f);
        return j > i ? sql_after_operand(lx, j, raw, paranoia) : NULL;
    }
    case T_KEYWORD:
        if (tk(lx, i) == KW_AS && tt(lx, i + 1) == T_WORD && tt(lx, i + 2) == T_KEYWORD) {
            i += 2; /* 1)) as x where 1=1: the subquery's alias, then its clause */
        }
        j = sql_clause(lx, i, &f);
        if (j < 0 || !sql_tail(lx, j, &f, 0)) {
            return NULL;
        }
        if (!raw || lit0 || paranoia >= 2 || (closed && lx->litcmp)
            || (f & (F_COMMENT | F_UNION | F_STACK | F_DANGER | F_SUB))) {
            return "sqli: clause after the value";
        }
        return NULL;
    case T_LOGIC:
    case T_OP: {
        bool logic = tt(lx, i) == T_LOGIC;

        /* "1- union(select ...)": the operator left without its operand */
        j = tt(lx, i + 1) == T_UNION ? i + 1 : sql_expr(lx, i + 1, &f);
        if (j >= 0 && logic && lit0 && (f & (F_SQLFN | F_DANGER)) && (f & F_CMP)
            && lx->t[j - 1].type == T_NUMBER && !sql_tail(lx, j, &f, 0)) {
            /* 1 and substring(@@version,1,1)=5//true: the test is whole,
             * whatever the value's end holds */
            return "sqli: logic operator and a test of a SQL function";
        }
        if (j < 0 || !sql_tail(lx, j, &f, 0)) {
            return NULL;
        }
        if (f & (F_DANGER | F_SUB | F_UNION | F_STACK)) {
            return "sqli: condition with a subquery or side channel";
        }
        if (logic) {
            /* "x' or 'a'='a", "1 or 1=1", "' or 1--": a condition that
             * carries a comparison or a literal truth. */
            if ((f & F_CMP) && ((f & (F_LITERAL | F_FUNC)) || lx->litcmp)) {
                return "sqli: logic operator and comparison";
            }
            if (!raw && (f & (F_LITERAL | F_COMMENT | F_FUNC | F_SQLWORD))) {
                return "sqli: string closed then logic operator";
            }
            if (raw && (f & F_COMMENT) && (f & (F_LITERAL | F_FUNC))) {
                return "sqli: logic operator and comment";
            }
            if (raw && (f & F_FUNC) && (lit0 || closed)) {
                return "sqli: literal, logic operator and function";
            }
            if (raw && (f & F_COMMENT) && tt(lx, 0) == T_NUMBER) {
                return "sqli: number, logic operator and comment";
            }
            if (paranoia >= 2 && (f & (F_LITERAL | F_FUNC))) {
                return "sqli: logic operator";
            }
            return NULL;
        }
        /* "'||sleep(5)||'", "'+char(65)+'", "'=1 or '1": an operator
         * after the string needs more weight. */
        if ((f & F_LOGIC) && (f & F_LITERAL) && (!raw || (f & F_CMP) || lx->litcmp)) {
            return "sqli: operator, logic and comparison"; /* 1=1 and -1 */
        }
        if ((f & (F_SQLFN | F_COMMENT)) && !raw) {
            return "sqli: string closed then operator";
        }
        if (!raw && (f & F_LITERAL)
            && ((f & F_CMP) || lx->t[i].kw == KW_WORDOP
                || (j == lx->nt && j == i + 2 && lx->t[j - 1].open))) {
            /* 'like'0, 1'*@@version*-0 = '0, A' - 'B */
            return "sqli: string closed then comparison";
        }
        if (!raw && i == 1 && !lx->spaced && lx->t[i].kw != KW_WORDOP
            && (lx->t[i].kw == KW_CMP ? (f & (F_LITERAL | F_FUNC)) != 0
                                      : strchr("vf(", tt(lx, 2)) != NULL || tk(lx, 2) == KW_NULL)) {
            /* aa' >= @@version, ' != pi(), x' <> (1), abc' * @a, ' | null:
             * the string the value closed, compared or computed with what
             * only SQL writes there; prose that quotes code ("use '!= 0'
             * here") has words before its quote */
            return "sqli: string closed then an operator";
        }
        if (lit0 && (f & F_COMMENT) && (f & F_LITERAL)) {
            return "sqli: arithmetic then comment";
        }
        if ((lit0 || closed) && (f & F_SQLFN)) {
            return "sqli: arithmetic with a SQL function"; /* 1 - ord('a') */
        }
        if ((f & F_SQLFN) && lx->litcmp) {
            /* foo rlike if(5=5,foo,0x28) */
            return "sqli: SQL function over a comparison of literals";
        }
        if (paranoia >= 2 && (f & (F_SQLFN | F_COMMENT))) {
            return "sqli: operator and function";
        }
        return NULL;
    }
    default:
        return NULL;
    }
}

/*
 * Whether the value is punctuation alone with a quote and what ends a
 * statement (a comment, or ";" among parentheses): a probe for where the
 * query breaks ("'--", "--';", "<>\"'%;)(&+"); text has letters or digits.
 */
static bool
sql_probe(const unsigned char *s, size_t n)
{
    bool quote = false, comment = false, semi = false, open = false, close = false;

    for (size_t i = 0; i < n; i++) {
        if (sql_word_char(s[i])) {
            return false;
        }
        quote |= s[i] == '\'' || s[i] == '"';
        comment |= s[i] == '#' || (s[i] == '-' && i + 1 < n && s[i + 1] == '-');
        semi |= s[i] == ';';
        open |= s[i] == '(';
        close |= s[i] == ')';
    }
    /* ";)" alone is a wink */
    return quote && (comment || (semi && open && close));
}

/* The raw context: the value stands where a number or a name would. */
static const char *
sql_raw(const sql_lex_t *lx, unsigned paranoia)
{
    unsigned f = 0;
    int j;

    if ((lx->cases & (CASE_START | CASE_THEN | CASE_END)) == (CASE_START | CASE_THEN | CASE_END)
        && ((lx->cases & CASE_LIT) || lx->litcmp)) {
        /* case [x] when ... then 1 ... end, case when 1=1 then x ... end:
         * a whole CASE expression */
        return "sqli: case expression";
    }

    switch (tt(lx, 0)) {
    case T_NUMBER:
    case T_STRING:
    case T_VAR:
        if (lx->nt == 1 && lx->t[0].kw == KW_SYSVAR) {
            return "sqli: system variable";
        }
        return sql_after_operand(lx, 1, true, paranoia);
    case T_WORD:
        if (tk(lx, 0) == KW_IF) {
            return sql_stmt(lx, 0, &f) >= 0 ? "sqli: statement" : NULL;
        }
        return sql_after_operand(lx, 1, true, paranoia);
    case T_RPAREN:
        return sql_after_operand(lx, 0, true, paranoia);
    case T_LOGIC:
        /* "or 1=1", "and sleep(5)": the condition alone. */
        return sql_after_operand(lx, 0, true, paranoia);
    case T_OP:
        /* "=1 union select ...", "|coalesce(benchmark(...))": an operator
         * the query's own operand stands before; only what no expression of
         * a form's own holds ("* (select one)", "* Delete x from y" are
         * bullets) */
        j = sql_expr(lx, 1, &f);
        return j >= 0 && sql_tail(lx, j, &f, 0) && (f & (F_DANGER | F_UNION))
                   ? "sqli: operator, then a side channel or a union"
                   : NULL;
    case T_UNION:
        /* "union select", "union all select * from users where ...": a
         * value that starts so is a union's probe, whatever follows */
        j = tt(lx, 1) == T_LPAREN ? 2 : 1;
        if (tt(lx, j) == T_STMT && tk(lx, j) == KW_SELECT
            && (at_end(lx, j + 1) || tt(lx, j + 1) == T_COMMENT)) {
            return "sqli: union select";
        }
        return sql_union_probe(lx, 0) || sql_union(lx, 0, &f) >= 0 ? "sqli: union select" : NULL;
    case T_COMMA:
        /* ",null,null) waitfor delay ...", ",(select ...)": the value
         * goes on with a list the query holds */
        return sql_tail(lx, 0, &f, 0) && (f & (F_DANGER | F_SUB | F_STACK))
                   ? "sqli: list continued with a subquery or side channel"
                   : NULL;
    case T_KEYWORD:
        /* "order by 1,sleep(5)", "having 1=1#": the clause alone, with
         * what no sort or filter of a form's own asks */
        j = tk(lx, 0) == KW_AS && tt(lx, 1) == T_WORD ? 2 : 0; /* as x where 1=1 ... */
        j = sql_clause(lx, j, &f);
        if (j < 0 || !sql_tail(lx, j, &f, 0)) {
            return NULL;
        }
        if ((f & (F_DANGER | F_SUB | F_UNION | F_STACK)) || lx->litcmp) {
            return "sqli: clause with a side channel or a test of literals";
        }
        /* "limit 0,1--", " order by 3 -- ": a probe of the columns, the
         * rest cut off */
        return (tk(lx, 0) == KW_ORDERBY || tk(lx, 0) == KW_LIMIT) && tt(lx, 1) == T_NUMBER
                       && tt(lx, j) == T_COMMENT && lx->t[j].open
                   ? "sqli: clause then comment"
                   : NULL;
    case T_SEMI:
        return sql_tail(lx, 0, &f, 0) && (f & F_STACK) ? "sqli: stacked query" : NULL;
    case T_STMT:
        if (tk(lx, 0) == KW_DO || tk(lx, 0) == KW_CALL) {
            return NULL; /* only stacked: "do (this)", "call f(1)" are prose too */
        }
        j = sql_stmt(lx, 0, &f);
        if (j < 0 || !sql_tail(lx, j, &f, 0)) {
            return NULL;
        }
        return "sqli: statement";
    case T_FUNC:
    case T_LPAREN: {
        unsigned inner = 0;

        if (tk(lx, 0) == KW_IF && sql_stmt(lx, 0, &f) >= 0) {
            return "sqli: statement";
        }
        if (tt(lx, 0) == T_FUNC && (tk(lx, 0) == KW_FN_SQL || tk(lx, 0) == KW_OBJECT)
            && tt(lx, 1) == T_LPAREN) {
            if (tt(lx, 2) == T_RPAREN && (at_end(lx, 3) || tt(lx, 3) == T_COMMENT)) {
                return "sqli: a SQL function alone"; /* version(), database(), user() */
            }
            if (tt(lx, 2) != 0 && strchr("nsv", tt(lx, 2)) != NULL && tt(lx, 3) == T_RPAREN
                && tt(lx, 4) == T_COMMENT && lx->t[4].open) {
                return "sqli: a SQL function, then a comment"; /* ascii(5)#, elt(null)-- */
            }
        }
        j = sql_primary(lx, 0, &f);
        if (j < 0) {
            return NULL;
        }
        if (tt(lx, 0) == T_FUNC) {
            sql_group(lx, 1, &inner);
        }
        if ((f & (F_DANGER | F_SUB)) && sql_tail(lx, j, &f, 0)) {
            return "sqli: side-channel function or subquery";
        }
        /* ascii(substring(...)), uncompress(compress(version())) */
        if ((inner & F_FUNC) && ((inner & F_SQLFN) || tk(lx, 0) == KW_FN_SQL)
            && sql_tail(lx, j, &f, 0)) {
            return "sqli: nested SQL functions";
        }
        /* elt(5=5,1), iif(1=2,1,1/0), if(7=7,sleep(5),0): a SQL function
         * that tests a comparison of two literals */
        if ((tk(lx, 0) == KW_FN_SQL || tk(lx, 0) == KW_IF) && lx->litcmp
            && sql_tail(lx, j, &f, 0)) {
            return "sqli: SQL function over a comparison of literals";
        }
        if (tt(lx, 0) == T_LPAREN && (f & F_LITERAL) && sql_tail(lx, j, &f, 0)
            && (f & F_COMMENT)) {
            return "sqli: group then comment";
        }
        if (tt(lx, 0) == T_LPAREN && lx->litcmp && lx->litcmp_at < j && tt(lx, j) == T_OP
            && tk(lx, j) != KW_WORDOP && sql_tail(lx, j, &f, 0)) {
            /* (5550=8168)*1: a test of literals made an operand */
            return "sqli: group over a comparison of literals, then an operator";
        }
        return sql_after_operand(lx, j, true, paranoia);
    }
    default:
        return NULL;
    }
}

/*
 * Whether the select of the union at k names, among the first items of its
 * list, a system variable or a SQL function ("union select \\.,@@version",
 * "union select top 1 a char(0x7e) b"): what a union's extraction asks,
 * and no list of a form's own.
 */
static bool
sql_union_system(const sql_lex_t *lx, int k)
{
    int i = sql_union_select(lx, k);

    if (i < 0) {
        return false;
    }
    for (; i < lx->nt && i < k + 24; i++) {
        if (strchr("cU;Ek", tt(lx, i)) != NULL && tk(lx, i) != KW_ALL && tk(lx, i) != KW_TOP) {
            return false; /* the list ends: from, a comment, another statement */
        }
        if ((tt(lx, i) == T_VAR && tk(lx, i) == KW_SYSVAR)
            || (tt(lx, i) == T_FUNC && (tk(lx, i) == KW_FN_SQL || tk(lx, i) == KW_OBJECT)
                && tt(lx, i + 1) == T_LPAREN)) {
            return true; /* @@version, version(), database(), concat(...) */
        }
    }
    return false;
}

/*
 * The shapes that count wherever they stand in a reading, after tokens no
 * grammar here reads: a system catalog's name, and a union select that
 * names a system variable or a SQL function in its list, that ends the
 * value, that selects a literal list ("1 or \\.<\\ union select
 * 1,@@version"), a select in parentheses, or a literal, call or group
 * first (or parses whole) with a comment after it, which cuts off the rest
 * of the query ("* / union select password from users--").
 */
static const char *
sql_anywhere(const sql_lex_t *lx)
{
    unsigned f = 0;

    for (int k = 0; k < lx->nt; k++) {
        if (tk(lx, k) == KW_CATALOG && (tt(lx, k) == T_WORD || tt(lx, k) == T_FUNC)) {
            /* information_schema.tables, sysobjects: only a query about
             * the database itself names them */
            return "sqli: a system catalog's name";
        }
    }
    for (int k = 1; k < lx->nt; k++) {
        if (tt(lx, k) == T_UNION && sql_union_system(lx, k)) {
            return "sqli: union select of a system value or SQL function after other tokens";
        }
        if (tt(lx, k) == T_UNION && tt(lx, k + 1) == T_STMT && tk(lx, k + 1) == KW_SELECT
            && (at_end(lx, k + 2) || tt(lx, k + 2) == T_COMMENT)) {
            /* "@a union select", "x') union select --": the select list
             * is where the value stops */
            return "sqli: union select at the end";
        }
        if (tt(lx, k) != T_UNION || (!sql_union_probe(lx, k) && sql_union(lx, k, &f) < 0)) {
            continue;
        }
        if (sql_union_probe(lx, k) && (tt(lx, k + 3) == T_COMMA || tt(lx, k + 4) == T_COMMA)) {
            return "sqli: union select of a list after other tokens"; /* union select 1,2 */
        }
        if (tt(lx, k + 1) == T_LPAREN && sql_union(lx, k, &f) >= 0) {
            /* 1' id union (select id from users limit 1,1): a select in
             * parentheses, which prose does not write */
            return "sqli: union of a select in parentheses after other tokens";
        }
        for (int c = k + 2; c < lx->nt; c++) {
            if (tt(lx, c) == T_COMMENT) {
                return "sqli: union select and a comment after other tokens";
            }
        }
    }
    return NULL;
}

static bool
sql_report(const sql_lex_t *lx, const char *reason, bn_waf_detect_t *m)
{
    char fp[15];
    int k;

    for (k = 0; k < lx->nt && k < (int) sizeof(fp); k++) {
        fp[k] = lx->t[k].type;
    }
    return bn_waf_found(m, reason, fp, (size_t) k);
}

/* Whether s holds the word "union", in any case. */
static bool
sql_has_union(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i + 5 <= n; i++) {
        if ((s[i] | 0x20) == 'u' && bn_waf_prefix_eq((const char *) s + i, n - i, "union")) {
            return true;
        }
    }
    return false;
}

/*
 * Whether s can close context q (a quote of sql_detect()'s).  A string's
 * quote anywhere; a quoted name's where its first closer follows a
 * non-blank ("my table` where": prose quotes `so', Markdown `code`), with
 * no "[" before a "]"; a comment only after what a name or a number is
 * made of ("1* / or": C code opens the comments it closes).
 */
static bool
sql_closes(const unsigned char *s, size_t n, unsigned char q)
{
    size_t i = 0;

    const unsigned char *e;

    if (q == '\'' || q == '"') {
        return memchr(s, q, n) != NULL;
    }
    if (q != '*') {
        e = memchr(s, q, n);
        return e != NULL && e > s && !sql_space(e[-1])
               && (q != ']' || memchr(s, '[', (size_t) (e - s)) == NULL);
    }
    while (i < n && (sql_word_char(s[i]) || s[i] == '-' || s[i] == '.')) {
        i++;
    }
    return i > 0 && i + 1 < n && s[i] == '*' && s[i + 1] == '/';
}

/* The reason s is an injection, read in each context, or NULL; lx holds
 * the last reading. */
static const char *
sql_detect(sql_lex_t *lx, const unsigned char *u, size_t n, unsigned paranoia)
{
    /* The contexts a value can land in and close: a string, a quoted name
     * (MySQL's `name`, SQL Server's [name]), a comment ('*' for its close). */
    static const unsigned char quotes[] = { '\'', '"', '`', ']', '*' };
    const char *s = (const char *) u;
    const char *reason;
    size_t far[sizeof(quotes) + 1] = { 0 }, raw = sizeof(quotes);
    const unsigned char *dd = memmem(u, n, "--", 2);
    unsigned modes[3], nmodes = 0;

    /* A form-encoded value may still hold "+" for blanks ("1+or+1=1"): a
     * second pass reads it so.  "--" then a non-blank is a comment to SQL
     * Server, PostgreSQL and Oracle and two signs to MySQL ("1--1 union
     * select ..."): a last pass reads it so before a digit, "(" or "@". */
    modes[nmodes++] = 0;
    if (memchr(s, '+', n) != NULL) {
        modes[nmodes++] = LEX_PLUS;
    }
    for (; dd != NULL; dd = memmem(dd + 2, n - (size_t) (dd + 2 - u), "--", 2)) {
        if (dd + 2 < u + n && (sql_digit(dd[2]) || dd[2] == '(' || dd[2] == '@')) {
            modes[nmodes++] = LEX_DASHES; /* not before a letter: "--verbose" */
            break;
        }
    }
    for (unsigned m = 0; m < nmodes; m++) {
        bool plus = modes[m] == LEX_PLUS;

        /* The "+" pass reads again only what met a "+" in the first: the
         * rest would come out the same. */
        for (size_t q = 0; q < sizeof(quotes); q++) {
            if ((plus && memchr(s, '+', far[q]) == NULL) || !sql_closes(u, n, quotes[q])
                || !sql_lex(lx, u, n, quotes[q], modes[m])) {
                continue;
            }
            far[q] = lx->far;
            /* a name closed, then a comment, is no sure sign ("[root@host
             * root]# ls"): read as an operand is; a closed comment is as
             * sure as a closed string */
            reason = sql_after_operand(lx, 1, quotes[q] == '`' || quotes[q] == ']', paranoia);
            if (reason != NULL) {
                return reason;
            }
        }
        if (plus && memchr(s, '+', far[raw]) == NULL) {
            continue;
        }
        sql_lex(lx, u, n, 0, modes[m]);
        far[raw] = lx->far;
        reason = sql_raw(lx, paranoia);
        if (reason == NULL) {
            reason = sql_anywhere(lx);
        }
        if (reason != NULL) {
            return reason;
        }
    }
    /* 1'id=-13 union select 1,2,3 --: a union select that no reading
     * reached, past a bare word after the closed string */
    for (size_t q = 0; q < sizeof(quotes); q++) {
        if (sql_closes(u, n, quotes[q]) && sql_has_union(u, n)
            && sql_lex(lx, u, n, quotes[q], LEX_WHOLE)
            && (reason = sql_anywhere(lx)) != NULL) {
            return reason;
        }
    }
    return sql_probe(u, n) ? "sqli: quote and statement punctuation alone" : NULL;
}

/*
 * s with its \xHH escapes decoded into out (at most size bytes of it),
 * when one of them is a quote: the value goes through a layer (PHP, a
 * JavaScript string) that decodes them before SQL sees it ("\x27 or 1=1").
 * Returns the length, or 0 when no escaped quote is there.
 */
static size_t
sql_unescape(const unsigned char *s, size_t n, unsigned char *out, size_t size)
{
    size_t i, o = 0;
    bool quote = false;

    for (i = 0; i < n && o < size; i++) {
        if (s[i] == '\\' && i + 3 < n && (s[i + 1] == 'x' || s[i + 1] == 'X')
            && (sql_class[s[i + 2]] & C_HEX) && (sql_class[s[i + 3]] & C_HEX)) {
            unsigned char c = (unsigned char) (bn_hex_value(s[i + 2]) * 16
                                               + bn_hex_value(s[i + 3]));

            quote |= c == '\'' || c == '"';
            out[o++] = c;
            i += 3;
        } else {
            out[o++] = s[i];
        }
    }
    return quote ? o : 0;
}

/* Whether a trigger word of len bytes starts with c: most words of a
 * value fail this one table test, inline, before any lookup. */
static inline bool
sql_trigger_len(unsigned char c, size_t len)
{
    return len < 32 && (trig_lens[bn_waf_lower(c)] & (1u << len)) != 0;
}

/* Whether the word s[k..j) is one that a reading needs (word_trigger()),
 * as a call when "(" follows after blanks and "+"s.  The caller has
 * checked sql_trigger_len(). */
static bool
sql_trigger_at(const unsigned char *s, size_t n, size_t k, size_t j)
{
    const sql_word_t *w;

    if ((w = sql_lookup(s + k, j - k)) == NULL) {
        return false;
    }
    if (word_trig[w - sql_words] & TRIG_ALWAYS) {
        return true;
    }
    if (!(word_trig[w - sql_words] & TRIG_CALL)) {
        return false;
    }
    while (j < n && (sql_space(s[j]) || s[j] == '+')) {
        j++;
    }
    return j < n && s[j] == '(';
}

/*
 * Whether the "/" at s[i] is the middle of a media range "* / *" at the start
 * of s or after a "," or ";" (blanks between), as in an Accept field: a
 * comment there follows no number, string or name that a reading could
 * take for an injection's start.
 */
static bool
sql_media_range(const unsigned char *s, size_t i)
{
    if (i == 0 || s[i - 1] != '*') {
        return false;
    }
    for (i--; i > 0 && sql_space(s[i - 1]); i--) {
    }
    return i == 0 || s[i - 1] == ',' || s[i - 1] == ';';
}

/*
 * Whether s may match in some reading: false only when it has none of what
 * every shape needs (word_trigger()), so that the readings can be skipped.
 * Quotes (a string to close, a probe), a backslash (\xHH, \N), "$" (a dollar
 * string, after which a word may start inside a run of name bytes), "#",
 * "--", "/ *" (comments), "||", "&&" (logic) and "@@" (a system variable)
 * send it to the readings at once; but not the "/ *" of a media range
 * "* / *" (sql_media_range()), which nearly every browser's Accept holds.
 * A reading's word is a whole run of name bytes, or the end of one after a
 * number ("1union", "0x1or", "1.e5or"): a run with a digit in it has each
 * of its ends looked up.  A value that opens with "(" and holds "=" may be
 * a group over a test of literals ("(5550=8168)*1"), which needs no word.
 */
static bool
sql_may_inject(const unsigned char *s, size_t n)
{
    size_t i = 0, j, k;

    while (i < n && sql_space(s[i])) {
        i++;
    }
    if (i < n && s[i] == '(' && memchr(s + i, '=', n - i) != NULL) {
        return true;
    }

    while (i < n) {
        unsigned char c = s[i];
        uint8_t seen = 0;

        if (!sql_word_char(c)) {
            unsigned char next = i + 1 < n ? s[i + 1] : 0;

            if ((sql_class[c] & C_MARK)
                && (c == '\'' || c == '"' || c == '\\' || c == '#' || (c == '-' && next == '-')
                    || (c == '/' && next == '*' && !sql_media_range(s, i))
                    || (c == '|' && next == '|')
                    || (c == '&' && next == '&') || (c == '@' && next == '@'))) {
                return true;
            }
            i++;
            continue;
        }
        for (j = i; j < n && sql_word_char(s[j]); j++) {
            seen |= sql_class[s[j]];
        }
        if (seen & C_DOLLAR) {
            return true;
        }
        if (sql_word_start(c) && sql_trigger_len(c, j - i) && sql_trigger_at(s, n, i, j)) {
            return true;
        }
        if (seen & C_DIGIT) {
            for (k = j - i > trig_max ? j - trig_max : i + 1; k < j; k++) {
                if (sql_word_start(s[k]) && sql_trigger_len(s[k], j - k)
                    && sql_trigger_at(s, n, k, j)) {
                    return true;
                }
            }
        }
        i = j;
    }
    return false;
}

bool
bn_waf_sqli(const char *s, size_t n, unsigned paranoia, bn_waf_detect_t *m)
{
    const unsigned char *u = (const unsigned char *) s;
    unsigned char esc[1024];
    const char *reason;
    sql_lex_t lx;
    size_t len;

    paranoia = bn_waf_begin(m, paranoia);
    if (!words_hashed) {
        hash_words();
    }
    if (!sql_may_inject(u, n)) {
        return false;
    }
    reason = sql_detect(&lx, u, n, paranoia);
    if (reason == NULL && memchr(s, '\\', n) != NULL
        && (len = sql_unescape(u, n, esc, sizeof(esc))) > 0) {
        reason = sql_detect(&lx, esc, len, paranoia);
    }
    return reason != NULL && sql_report(&lx, reason, m);
}
