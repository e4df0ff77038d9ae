/*
 * json.h: strict JSON (RFC 8259).  A push tokenizer that takes the text in
 * pieces of any size and reports what it reads through a callback, so a
 * body can be inspected as it arrives without being held; and a tree builder
 * on top of it that puts the whole value into a pool.
 *
 * Strict means: the text is UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF, no byte order mark), \u escapes are checked (a surrogate
 * must come as a high-low pair), no control characters in strings, no
 * trailing commas, no comments, no leading zeros, no NaN or Infinity, one
 * value, and only whitespace (space, tab, CR, LF) after it.
 */
#ifndef BN_JSON_H
#define BN_JSON_H

#include "bouncer.h"
#include "pool.h"

typedef enum {
    BN_JSON_NULL,
    BN_JSON_FALSE,
    BN_JSON_TRUE,
    BN_JSON_NUMBER,
    BN_JSON_STRING,
    BN_JSON_ARRAY,
    BN_JSON_OBJECT
} bn_json_type_t;

typedef struct bn_json_s bn_json_t;
struct bn_json_s {
    bn_json_type_t type;
    const char *key; /* when a member of an object */
    size_t key_len;
    const char *str; /* STRING: the decoded UTF-8, NUL-terminated (may hold \0: len counts); */
    size_t len;      /* NUMBER: the literal as written */
    double num;      /* NUMBER (+-HUGE_VAL when the literal is out of range) */
    bn_json_t *child, *next; /* ARRAY/OBJECT: the members in order */
    size_t n;                /* ARRAY/OBJECT: how many */
};

/* 0 in a field: its default (depth 32, size 1 MiB).  Depths above
 * BN_JSON_MAX_DEPTH are taken as BN_JSON_MAX_DEPTH. */
typedef struct {
    size_t max_depth;
    size_t max_size;
} bn_json_limits_t;

#define BN_JSON_DEFAULT_DEPTH 32
#define BN_JSON_DEFAULT_SIZE (1024 * 1024)
#define BN_JSON_MAX_DEPTH 1024

/*
 * The whole text as one tree in pool; NULL with *err a static reason
 * ("duplicate key", "nested too deep", "invalid UTF-8", ...) and the byte
 * offset where it was seen in *err_off if err_off != NULL.
 */
bn_json_t *bn_json_parse(bn_pool_t *pool, const char *text, size_t len, const bn_json_limits_t *lim,
                         const char **err, size_t *err_off);

/* An object's member by key (exact bytes), or NULL (also when obj is not an object). */
const bn_json_t *bn_json_get(const bn_json_t *obj, const char *key);

/* --- the push tokenizer ---------------------------------------------------- */

typedef enum {
    BN_JSON_EV_OBJECT_BEGIN,
    BN_JSON_EV_OBJECT_END,
    BN_JSON_EV_ARRAY_BEGIN,
    BN_JSON_EV_ARRAY_END,
    BN_JSON_EV_KEY,
    BN_JSON_EV_STRING,
    BN_JSON_EV_NUMBER,
    BN_JSON_EV_TRUE,
    BN_JSON_EV_FALSE,
    BN_JSON_EV_NULL
} bn_json_ev_type_t;

/*
 * What the handler is told.  A KEY, STRING or NUMBER comes in one or more
 * calls of the same type, in order, the last one with `last` set: the stream
 * never buffers a whole string, only up to BN_JSON_PIECE bytes, and hands on
 * what it has at the end of every piece of input it was fed.  A piece of a
 * KEY or STRING is decoded UTF-8 and always whole characters (a sequence cut
 * between two pieces of input is held back until it is complete); a piece
 * of a NUMBER is part of the literal as written.  Any piece may be empty.
 * The other events come once, with `last` set and no data.
 */
typedef struct {
    bn_json_ev_type_t type;
    const char *data;
    size_t len;
    bool last;
    size_t depth;    /* containers open around the value (0 for the top-level value) */
    const char *err; /* the handler's static reason when it returns BN_ERROR */
} bn_json_ev_t;

/* BN_OK to go on, BN_ERROR to stop the stream (with ev->err set, or "refused"). */
typedef int (*bn_json_handler_pt)(void *ctx, bn_json_ev_t *ev);

#define BN_JSON_PIECE 256

/* The fields are the stream's own; read only err and err_off. */
typedef struct {
    unsigned magic;
    int state;
    bn_json_ev_type_t tok; /* the KEY, STRING or NUMBER being read, or the literal */
    const char *lit;       /* the rest of true/false/null being matched */
    size_t max_depth, max_size;
    size_t offset; /* bytes consumed so far */
    size_t depth;
    uint64_t stack[BN_JSON_MAX_DEPTH / 64]; /* bit set: that level is an object */
    uint32_t cp;                            /* \u escape or UTF-8 sequence being read */
    uint32_t high;                          /* a high surrogate waiting for its low half */
    unsigned need;                          /* hex digits or continuation bytes still to come */
    unsigned char lo, hi;                   /* the range of the next continuation byte */
    unsigned char seq[4];                   /* the UTF-8 sequence being read */
    unsigned nseq;
    size_t buf_len;
    char buf[BN_JSON_PIECE];
    bn_json_handler_pt handler;
    void *ctx;
    const char *err; /* static reason once feed or finish returned BN_ERROR */
    size_t err_off;  /* the offset of the byte where it was seen */
} bn_json_stream_t;

void bn_json_stream_init(bn_json_stream_t *st, const bn_json_limits_t *lim, bn_json_handler_pt h,
                         void *ctx);
/* BN_OK: all of p was taken; BN_ERROR: st->err says why (and every later call fails). */
int bn_json_stream_feed(bn_json_stream_t *st, const char *p, size_t n);
/* The end of the text: BN_OK when it held exactly one complete value, else BN_ERROR. */
int bn_json_stream_finish(bn_json_stream_t *st);

/* --- the tree builder, fed in pieces ------------------------------------- */

typedef struct bn_json_tree_s bn_json_tree_t;

/* NULL when the pool is out of memory.  Everything lives in pool. */
bn_json_tree_t *bn_json_tree_create(bn_pool_t *pool, const bn_json_limits_t *lim);
/* BN_OK, or BN_ERROR (bn_json_tree_finish then says why). */
int bn_json_tree_feed(bn_json_tree_t *t, const char *p, size_t n);
/* The tree once the whole text was fed, or NULL with *err and *err_off as bn_json_parse(). */
bn_json_t *bn_json_tree_finish(bn_json_tree_t *t, const char **err, size_t *err_off);

#endif
