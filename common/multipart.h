/*
 * multipart.h: multipart/form-data bodies (RFC 7578, on RFC 2046 5.1.1), as
 * a push parser that takes the body in pieces of any size and reports the
 * parts through a callback, so a body can be inspected as it arrives
 * without being held.  Memory is the parser's struct and nothing more: a
 * part's header block is kept (up to BN_MULTIPART_HEAD_MAX bytes), its
 * contents never; of a delimiter cut between two feeds only how much of it
 * matched so far is kept.
 *
 * Strict where a lenient reading would let this parser and the server
 * behind it see different parts: lines end in CRLF (what browsers, curl
 * and every client library send; a bare LF in a header block, or a
 * delimiter line that begins after a bare LF, is an error, not a second
 * guess), a delimiter line holds only the boundary, "--" and white space,
 * a header block has no folded lines and no control characters,
 * Content-Disposition, Content-Type and any parameter of the former come
 * at most once, a Content-Transfer-Encoding is only 7bit, 8bit or binary,
 * and the epilogue (ignored, as RFC 2046 says) holds no further delimiter
 * line, which a server that reads past the closing one would take for a
 * part.
 */
#ifndef BN_MULTIPART_H
#define BN_MULTIPART_H

#include "bouncer.h"

/* RFC 2046 5.1.1: a boundary is 1 to 70 characters. */
#define BN_MULTIPART_BOUNDARY_MAX 70

/*
 * The boundary parameter of a Content-Type value (any media type: the
 * caller checks it is multipart/form-data), quoted or not; the parameter
 * name in any case, the other parameters read and ignored.  Writes it
 * NUL-terminated into out (outsize >= BN_MULTIPART_BOUNDARY_MAX + 1 always
 * suffices) and its length into *blen.  BN_ERROR when it is missing, given
 * twice, empty, longer than 70, holds a character outside RFC 2046's bchars
 * or ends in a space, or when the value is not well formed around it.
 */
int bn_multipart_boundary(const char *content_type, size_t len, char *out, size_t outsize,
                          size_t *blen);

/* 0 in a field: its default.  max_head above BN_MULTIPART_HEAD_MAX is
 * taken as BN_MULTIPART_HEAD_MAX. */
typedef struct {
    size_t max_head;  /* bytes of a part's header block, CRLFs and the empty line included */
    size_t max_parts; /* parts in the body */
    size_t max_lines; /* header lines in a part */
} bn_multipart_limits_t;

#define BN_MULTIPART_HEAD_MAX 8192
#define BN_MULTIPART_DEFAULT_PARTS 1000
#define BN_MULTIPART_DEFAULT_LINES 32

/*
 * A part, as its header block describes it: each field a pointer and a
 * length, the pointer NULL when the block does not have it.  name and
 * filename are the Content-Disposition parameters with the quoted-string
 * quoting taken off (a backslash quotes only '"' and '\': browsers send
 * Windows paths unquoted) and otherwise raw (browsers send '"' as %22 and
 * non-ASCII as raw UTF-8: the inspector decodes).  filename_ext is the
 * RFC 5987 "filename*" parameter as written, not decoded (charset'lang'
 * and percent-encoding, or quoted); content_type is the part's
 * Content-Type value without surrounding white space (RFC 7578 4.4: absent
 * means text/plain).  All of it stays valid from PART_BEGIN to PART_END.
 */
typedef struct {
    const char *name;
    size_t name_len;
    const char *filename;
    size_t filename_len;
    const char *filename_ext;
    size_t filename_ext_len;
    const char *content_type;
    size_t content_type_len;
} bn_multipart_part_t;

typedef enum {
    BN_MULTIPART_EV_PART_BEGIN,
    BN_MULTIPART_EV_DATA,
    BN_MULTIPART_EV_PART_END
} bn_multipart_ev_type_t;

/*
 * What the handler is told, for every part in order: PART_BEGIN once its
 * header block was read, its contents in DATA pieces, the last one with
 * `last` set (the CRLF before the delimiter is not part of them), then
 * PART_END.  A DATA piece points into what was fed, or for bytes that
 * looked like the start of a delimiter across a feed's end, into the
 * parser; it is valid only during the call and may be empty.  Where the
 * body was cut between feeds decides only how the contents are divided
 * into pieces.  The preamble and the epilogue are not reported.
 */
typedef struct {
    bn_multipart_ev_type_t type;
    const char *data; /* DATA */
    size_t len;
    bool last;
    size_t index;                    /* which part, from 0 */
    const bn_multipart_part_t *part; /* every event */
    const char *err;                 /* the handler's static reason when it returns BN_ERROR */
} bn_multipart_ev_t;

/* BN_OK to go on, BN_ERROR to stop (with ev->err set, or "refused"). */
typedef int (*bn_multipart_handler_pt)(void *ctx, bn_multipart_ev_t *ev);

/* The fields are the parser's own; read only err and err_off.  About 8.3 KiB:
 * embed it in a request's state or take it from the request's pool. */
typedef struct {
    unsigned magic;
    int state;
    size_t max_head, max_parts, max_lines;
    size_t offset; /* bytes consumed so far */
    size_t parts;  /* parts begun */
    /* The delimiter: CRLF "--" boundary.  A match in progress is delim[hold,
     * matched): hold is 0 after a CRLF, 1 after a bare LF, 2 at the start
     * of the body, where no line break is needed. */
    char delim[BN_MULTIPART_BOUNDARY_MAX + 4];
    size_t dlen;
    size_t matched;
    unsigned hold;
    /* The header block of the part being read, lines without their CRLF. */
    size_t head_raw; /* bytes of it as sent */
    size_t head_len; /* bytes in head */
    size_t line;     /* where the line being read starts in head */
    size_t lines;
    bool have_disp;
    bn_multipart_part_t part;
    char head[BN_MULTIPART_HEAD_MAX];
    bn_multipart_handler_pt handler;
    void *ctx;
    const char *err; /* static reason once feed or finish returned BN_ERROR */
    size_t err_off;  /* the offset of the byte where it was seen */
} bn_multipart_t;

/* boundary as bn_multipart_boundary() gives it.  BN_ERROR when its length
 * is 0 or above BN_MULTIPART_BOUNDARY_MAX (then mp must not be used); lim
 * may be NULL (the defaults), h NULL (only the syntax is checked). */
int bn_multipart_init(bn_multipart_t *mp, const char *boundary, size_t blen,
                      const bn_multipart_limits_t *lim, bn_multipart_handler_pt h, void *ctx);
/* BN_OK: all of p was taken; BN_ERROR: mp->err says why, and every later
 * call fails. */
int bn_multipart_feed(bn_multipart_t *mp, const char *p, size_t n);
/* The end of the body: BN_OK when the closing delimiter was read, else
 * BN_ERROR ("no opening boundary", "body ends before the closing
 * delimiter").  Nothing may be fed after it. */
int bn_multipart_finish(bn_multipart_t *mp);

#endif
