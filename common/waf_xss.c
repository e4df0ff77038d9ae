/*
 * waf_xss.c: cross-site scripting found by reading the value as HTML and as
 * the inside of a script.
 *
 * A tag is "<" and a letter; its attributes are read as a browser reads them
 * (names up to "=", values quoted with ', " or ` or bare up to a blank), so
 * what matters is what a browser would run: a tag that loads or runs code
 * (script, iframe, object, embed, base, meta refresh, a style with
 * expression()), an event-handler attribute on any tag, an attribute whose
 * URL scheme is javascript:, vbscript: or a data: document, with the blanks
 * and controls a browser strips out of a scheme.  Outside tags the value may
 * land in an attribute or a script string: a quote that closes it followed
 * by a call of a sink (`';alert(1)//`, `"-prompt(1)-"`), a template `${...}`,
 * an event handler after a quote, a javascript: URL at the start.  "a < b",
 * "<3" and "x<y" are not tags that can run anything.
 *
 * One pass over the value: a tag's scan stops at its ">" or at the next "<",
 * and the scan goes on from there; each attribute value is judged on its
 * first bytes only.
 */
#include "waf_detect.h"

#include <string.h>

/* How much of an attribute value or code shape is read. */
#define XSS_PEEK 256

/* Byte classes, one table lookup each: the main loop looks at most bytes
 * only to see that they start nothing. */
enum {
    X_SPACE = 0x01, /* HTML blanks */
    X_ALPHA = 0x02, /* ASCII letters */
    X_IDENT = 0x04, /* JS identifier bytes: letters, digits, _ $ */
    X_JOIN = 0x08,  /* what joins a closed string to the next expression */
    X_TRIG = 0x10,  /* a byte the main loop acts on */
};

#define X_L (X_ALPHA | X_IDENT)

static const unsigned char xss_class[256] = {
    ['\t'] = X_SPACE, ['\n'] = X_SPACE, ['\v'] = X_SPACE, ['\f'] = X_SPACE, ['\r'] = X_SPACE,
    [' '] = X_SPACE,
    ['0'] = X_IDENT, ['1'] = X_IDENT, ['2'] = X_IDENT, ['3'] = X_IDENT, ['4'] = X_IDENT,
    ['5'] = X_IDENT, ['6'] = X_IDENT, ['7'] = X_IDENT, ['8'] = X_IDENT, ['9'] = X_IDENT,
    ['_'] = X_IDENT, ['$'] = X_IDENT | X_TRIG,
    ['a'] = X_L, ['b'] = X_L, ['c'] = X_L, ['d'] = X_L, ['e'] = X_L | X_TRIG, ['f'] = X_L,
    ['g'] = X_L, ['h'] = X_L, ['i'] = X_L, ['j'] = X_L | X_TRIG, ['k'] = X_L, ['l'] = X_L,
    ['m'] = X_L, ['n'] = X_L, ['o'] = X_L | X_TRIG, ['p'] = X_L, ['q'] = X_L, ['r'] = X_L,
    ['s'] = X_L, ['t'] = X_L, ['u'] = X_L, ['v'] = X_L, ['w'] = X_L, ['x'] = X_L,
    ['y'] = X_L, ['z'] = X_L,
    ['A'] = X_L, ['B'] = X_L, ['C'] = X_L, ['D'] = X_L, ['E'] = X_L | X_TRIG, ['F'] = X_L,
    ['G'] = X_L, ['H'] = X_L, ['I'] = X_L, ['J'] = X_L | X_TRIG, ['K'] = X_L, ['L'] = X_L,
    ['M'] = X_L, ['N'] = X_L, ['O'] = X_L | X_TRIG, ['P'] = X_L, ['Q'] = X_L, ['R'] = X_L,
    ['S'] = X_L, ['T'] = X_L, ['U'] = X_L, ['V'] = X_L, ['W'] = X_L, ['X'] = X_L,
    ['Y'] = X_L, ['Z'] = X_L,
    [')'] = X_JOIN, [']'] = X_JOIN, ['}'] = X_JOIN, [';'] = X_JOIN, [','] = X_JOIN,
    ['+'] = X_JOIN, ['-'] = X_JOIN, ['*'] = X_JOIN, ['/'] = X_JOIN, ['%'] = X_JOIN,
    ['^'] = X_JOIN, ['|'] = X_JOIN, ['&'] = X_JOIN | X_TRIG, ['='] = X_JOIN, [':'] = X_JOIN,
    ['?'] = X_JOIN, ['!'] = X_JOIN, ['~'] = X_JOIN, ['<'] = X_JOIN | X_TRIG, ['>'] = X_JOIN,
    ['\0'] = X_JOIN, ['\''] = X_TRIG, ['"'] = X_TRIG, ['`'] = X_TRIG, ['{'] = X_TRIG,
};

static inline bool
xss_space(unsigned char c)
{
    return (xss_class[c] & X_SPACE) != 0;
}

static inline bool
xss_alpha(unsigned char c)
{
    return (xss_class[c] & X_ALPHA) != 0;
}

static inline bool
xss_ident(unsigned char c)
{
    return (xss_class[c] & X_IDENT) != 0;
}

/*
 * Whether s[i..n) starts with the URL scheme w (lower case, with its ':'),
 * as a browser reads one: blanks and controls before it and inside it are
 * dropped, letters in any case.
 */
static bool
xss_scheme_at(const unsigned char *s, size_t n, size_t i, const char *w, size_t *end)
{
    size_t k = 0, lim = BN_WAF_MIN(n, i + XSS_PEEK);

    /* Before the scheme, also bytes outside ASCII: a parser that reads the
     * value in another charset, or drops what it cannot read, may see the
     * scheme first. */
    while (i < lim && (s[i] <= ' ' || s[i] >= 0x7f)) {
        i++;
    }
    while (i < lim && w[k] != '\0') {
        if (s[i] <= ' ' || s[i] == 0x7f) {
            i++;
            continue;
        }
        if (bn_waf_lower(s[i]) != (unsigned char) w[k]) {
            return false;
        }
        i++;
        k++;
    }
    if (w[k] != '\0') {
        return false;
    }
    if (end != NULL) {
        *end = i;
    }
    return true;
}

/* The script URL at s[i..n): javascript:, vbscript:, livescript:, or a
 * data: URL of a document type (a data: image is harmless). */
static const char *
xss_script_url(const unsigned char *s, size_t n, size_t i)
{
    static const char *const images[] = { "image/png", "image/gif", "image/jpeg", "image/jpg",
                                          "image/webp", "image/bmp", "image/x-icon" };
    size_t e;

    if (xss_scheme_at(s, n, i, "javascript:", NULL) || xss_scheme_at(s, n, i, "vbscript:", NULL)
        || xss_scheme_at(s, n, i, "livescript:", NULL)) {
        return "xss: script URL";
    }
    if (xss_scheme_at(s, n, i, "data:", &e)) {
        while (e < n && xss_space(s[e])) {
            e++;
        }
        for (size_t k = 0; k < sizeof(images) / sizeof(images[0]); k++) {
            if (bn_waf_prefix_eq((const char *) s + e, n - e, images[k])) {
                return NULL;
            }
        }
        return "xss: data: URL";
    }
    return NULL;
}

/* Whether the bytes s[i..i+len) of a style (an attribute or a <style>
 * element) hold CSS that runs code, comments and backslashes dropped as
 * the CSS parser drops them. */
static bool
xss_style_code(const unsigned char *s, size_t i, size_t len)
{
    static const char *const bad[] = { "expression(", "javascript:", "vbscript:", "behavior:",
                                       "behaviour:", "-moz-binding", "@import", "url(javascript" };
    unsigned char low[XSS_PEEK];
    size_t k = 0, e = i + BN_WAF_MIN(len, (size_t) XSS_PEEK);

    while (i < e) {
        if (s[i] == '/' && i + 1 < e && s[i + 1] == '*') {
            i += 2;
            while (i + 1 < e && !(s[i] == '*' && s[i + 1] == '/')) {
                i++;
            }
            i += 2;
            continue;
        }
        if (s[i] == '\\' || xss_space(s[i]) || s[i] == '\0') {
            i++;
            continue;
        }
        low[k++] = bn_waf_lower(s[i++]);
    }
    for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
        size_t bl = strlen(bad[b]);

        for (size_t j = 0; j + bl <= k; j++) {
            if (memcmp(low + j, bad[b], bl) == 0) {
                return true;
            }
        }
    }
    return false;
}

/*
 * Whether the value s[b..e) of a style attribute does more than set plain
 * properties: it loads something (url(), @import, behavior), runs code
 * (expression()), hides its words from a reader (CSS escapes, comments)
 * or breaks out of its declaration list ("{", "}", "<", a string that a
 * newline cuts).
 */
static bool
xss_style_attr(const unsigned char *s, size_t b, size_t e)
{
    unsigned char quote = 0;
    size_t lim = BN_WAF_MIN(e, b + XSS_PEEK);

    for (size_t i = b; i < lim; i++) {
        unsigned char c = s[i];

        if (quote != 0) {
            if (c == quote) {
                quote = 0;
            } else if (c == '\n' || c == '\r' || c == '\f' || c == '\\') {
                return true;
            }
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '\\' || c == '{' || c == '}' || c == '<' || c == '>'
                   || (c == '/' && i + 1 < lim && s[i + 1] == '*')) {
            return true;
        } else if (c == '(' && i >= b + 3 && bn_waf_word_eq((const char *) s + i - 3, 3, "url")) {
            return true;
        }
    }
    return xss_style_code(s, b, e - b);
}

static bool
xss_name_is(const unsigned char *s, size_t len, const char *const *names, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        if (bn_waf_word_eq((const char *) s, len, names[k])) {
            return true;
        }
    }
    return false;
}

/* Tags that load or run code whatever their attributes say. */
static const char *const xss_code_tags[] = { "script", "iframe",   "frame",  "frameset", "object",
                                             "embed",  "applet",   "base",   "vmlframe", "portal",
                                             "import", "xml",      "isindex", "svg",     "listener",
                                             "handler" };

/* Attributes that bind data into the page (IE data binding) or bring in
 * another XML vocabulary whose elements run code (SVG, XLink, VML): what
 * their value says does not matter. */
static bool
xss_black_attr(const unsigned char *s, size_t len)
{
    return bn_waf_prefix_eq((const char *) s, len, "xmlns")
           || bn_waf_prefix_eq((const char *) s, len, "xlink:")
           || bn_waf_word_eq((const char *) s, len, "datasrc")
           || bn_waf_word_eq((const char *) s, len, "datafld")
           || bn_waf_word_eq((const char *) s, len, "dataformatas");
}

/* Whether an attribute named s[0..len) is an event handler: "on" and at
 * least two more letters (onload, onerror, onbegin, ...). */
static bool
xss_event_name(const unsigned char *s, size_t len)
{
    /* x:ontimer, ev:onload: the name after a namespace prefix. */
    for (size_t k = len; k > 0; k--) {
        if (s[k - 1] == ':') {
            s += k;
            len -= k;
            break;
        }
    }
    return len >= 4 && bn_waf_lower(s[0]) == 'o' && bn_waf_lower(s[1]) == 'n' && xss_alpha(s[2])
           && xss_alpha(s[3]);
}

/* Whether the script URL at s[i] goes on with code, not prose
 * ("javascript: the good parts"): a call, a template, an assignment. */
static bool
xss_codeish(const unsigned char *s, size_t n, size_t i)
{
    size_t lim = BN_WAF_MIN(n, i + XSS_PEEK);

    for (; i < lim; i++) {
        if (s[i] == '(' || s[i] == '`' || s[i] == '=' || s[i] == '%') {
            return true;
        }
    }
    return false;
}

/* Whether the name s[0..len) is href after any namespace prefix
 * (href, xlink:href). */
static bool
xss_href_name(const unsigned char *s, size_t len)
{
    return len >= 4 && bn_waf_word_eq((const char *) s + len - 4, 4, "href")
           && (len == 4 || s[len - 5] == ':');
}

/*
 * The tag whose name starts at s[i]: reads its attributes up to ">", the
 * next "<" or the end.  Returns the reason when it can run code, and sets
 * *next to where the scan goes on.
 */
static const char *
xss_tag(const unsigned char *s, size_t n, size_t i, size_t *next, unsigned paranoia,
        size_t *name_at, size_t *name_len)
{
    size_t nb = i, ne, vb, ve, lb;
    bool meta, link;

    while (i < n && (xss_ident(s[i]) || s[i] == ':' || s[i] == '-')) {
        i++;
    }
    ne = i;
    *name_at = nb;
    *name_len = ne - nb;
    *next = i;
    /* svg:svg, x:script: the local name after a namespace prefix. */
    for (lb = ne; lb > nb && s[lb - 1] != ':'; lb--) {
    }
    if (xss_name_is(s + lb, ne - lb, xss_code_tags,
                    sizeof(xss_code_tags) / sizeof(xss_code_tags[0]))) {
        return "xss: tag that runs code";
    }
    meta = bn_waf_word_eq((const char *) s + nb, ne - nb, "meta");
    link = bn_waf_word_eq((const char *) s + nb, ne - nb, "link");
    if (link && paranoia >= 2) {
        return "xss: link tag";
    }
    /* A tag name must end at a blank, "/", ">" or the end. */
    if (i < n && !xss_space(s[i]) && s[i] != '/' && s[i] != '>') {
        return NULL;
    }
    if (bn_waf_word_eq((const char *) s + nb, ne - nb, "style")) {
        /* A style element restyles, hides or overlays the whole page and
         * loads what its rules name. */
        return "xss: style element";
    }
    for (;;) {
        size_t ab, ae, e;
        bool has_value = false;

        while (i < n && (xss_space(s[i]) || s[i] == '/' || s[i] == '\0')) {
            i++;
        }
        if (i >= n || s[i] == '<') {
            *next = i;
            break;
        }
        if (s[i] == '>') {
            *next = i + 1;
            break;
        }
        ab = i;
        /* A name may start with "=" (HTML 13.2.5.32); it ends at a blank,
         * "/", ">", "=" or "<". */
        i++;
        while (i < n && !xss_space(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '='
               && s[i] != '<') {
            i++;
        }
        ae = i;
        while (i < n && xss_space(s[i])) {
            i++;
        }
        vb = ve = i;
        if (i < n && s[i] == '=') {
            i++;
            while (i < n && xss_space(s[i])) {
                i++;
            }
            has_value = true;
            if (i < n && (s[i] == '"' || s[i] == '\'' || s[i] == '`')) {
                const unsigned char *q = memchr(s + i + 1, s[i], n - i - 1);

                vb = i + 1;
                ve = q != NULL ? (size_t) (q - s) : n;
                i = q != NULL ? ve + 1 : n;

            } else {
                vb = i;
                while (i < n && !xss_space(s[i]) && s[i] != '>' && s[i] != '<') {
                    i++;
                }
                ve = i;
            }
        }
        if (has_value && xss_event_name(s + ab, ae - ab)) {
            return "xss: event handler attribute";
        }
        if (!has_value) {
            if (i >= n) {
                *next = n;
                break;
            }
            continue;
        }
        if (xss_script_url(s, ve, vb) != NULL) {
            return "xss: script URL in attribute";
        }
        if (xss_scheme_at(s, ve, vb, "javascript", &e) && e < ve && !xss_ident(s[e])
            && xss_codeish(s, ve, e)) {
            /* javascript#alert(1): a lax URL parser's scheme. */
            return "xss: script URL in attribute";
        }
        if (xss_black_attr(s + ab, ae - ab)) {
            return "xss: data binding or XML namespace attribute";
        }
        if (bn_waf_word_eq((const char *) s + ab, ae - ab, "style") && xss_style_attr(s, vb, ve)) {
            return "xss: style that loads or runs code";
        }
        if (bn_waf_word_eq((const char *) s + ab, ae - ab, "attributename")
            && (xss_event_name(s + vb, ve - vb) || xss_href_name(s + vb, ve - vb))) {
            /* <set attributeName=onload to=...>: SVG animation sets the
             * attribute that the value names. */
            return "xss: animation of a handler or link";
        }
        if (link && xss_href_name(s + ab, ae - ab)) {
            return "xss: link tag that loads a resource";
        }
        if (meta
            && (bn_waf_word_eq((const char *) s + ab, ae - ab, "http-equiv")
                || bn_waf_word_eq((const char *) s + ab, ae - ab, "content")
                || bn_waf_word_eq((const char *) s + ab, ae - ab, "charset"))) {
            return "xss: meta refresh, content or charset";
        }
        if (has_value && bn_waf_word_eq((const char *) s + ab, ae - ab, "srcdoc")) {
            return "xss: srcdoc attribute";
        }
        if (has_value && ve == n && vb < n && (s[vb - 1] == '"' || s[vb - 1] == '\''
                                               || s[vb - 1] == '`')) {
            /* An unclosed value: a browser would take the rest, but the
             * value may as well land elsewhere, so the scan goes on inside
             * it.  It is the last such quote: no later search for it. */
            *next = vb;
            return NULL;
        }
        if (i >= n) {
            *next = n;
            break;
        }
    }
    return NULL;
}

/* JS names whose call is what an injected script does. */
static const char *const xss_sinks[] = {
    "alert",   "prompt",     "confirm",  "eval",     "settimeout",   "setinterval", "function",
    "fetch",   "import",     "atob",     "open",     "write",        "writeln",     "print",
    "execscript", "fromcharcode", "constructor", "xmlhttprequest", "sendbeacon", "top",
    "window",  "document",   "location", "self",     "parent",       "frames",      "globalthis",
};

/*
 * Whether s[i..) is a call of a sink: a dotted or indexed name whose last
 * or first part is in xss_sinks, followed by "(" or a template "`".  With
 * any_call, any name called counts.
 */
static bool
xss_call_at(const unsigned char *s, size_t n, size_t i, bool any_call)
{
    size_t lim = BN_WAF_MIN(n, i + XSS_PEEK);
    bool sink = false;

    for (;;) {
        size_t b = i;

        while (i < lim && xss_ident(s[i])) {
            i++;
        }
        if (i == b) {
            return false;
        }
        if (xss_name_is(s + b, i - b, xss_sinks, sizeof(xss_sinks) / sizeof(xss_sinks[0]))) {
            sink = true;
        }
        while (i < lim && xss_space(s[i])) {
            i++;
        }
        if (i < lim && s[i] == '[') {
            /* window['al'+'ert'] */
            while (i < lim && s[i] != ']') {
                i++;
            }
            i = BN_WAF_MIN(i + 1, lim);
            sink = true;
            while (i < lim && xss_space(s[i])) {
                i++;
            }
        }
        if (i < lim && s[i] == '.') {
            i++;
            continue;
        }
        break;
    }
    return i < lim && (s[i] == '(' || s[i] == '`') && (sink || any_call);
}

/*
 * A quote that closes a script string followed by code: `';alert(1)//`,
 * `"-alert(1)-"`, `'};top.alert(1);{'`, `\');prompt(1)//`.  i is just after
 * the quote.
 */
static bool
xss_breakout_at(const unsigned char *s, size_t n, size_t i, unsigned paranoia)
{
    size_t lim = BN_WAF_MIN(n, i + 32);
    bool joined = false;

    while (i < lim && (xss_class[s[i]] & (X_SPACE | X_JOIN)) != 0) {
        if (!xss_space(s[i])) {
            joined = true;
        }
        i++;
    }
    if (!joined || i >= n) {
        return false;
    }
    if (bn_waf_prefix_eq((const char *) s + i, n - i, "new ")) {
        i += 4;
    }
    return xss_call_at(s, n, i, paranoia >= 2);
}

/*
 * An event handler outside a tag, for a value that lands inside one:
 * `" onmouseover="alert(1)`, ` autofocus onfocus=alert(1) `.  i is at the
 * "on"; the handler's code must look like code.
 */
static bool
xss_loose_handler(const unsigned char *s, size_t n, size_t i)
{
    size_t b = i, lim;
    /* `" onload="`, `'/onload='`: the value that was quoted is closed
     * just before, so a quoted handler value is an attribute of the tag. */
    bool broke_out = i > 0
                     && (s[i - 1] == '"' || s[i - 1] == '\'' || s[i - 1] == '/'
                         || (i > 1 && xss_space(s[i - 1])
                             && (s[i - 2] == '"' || s[i - 2] == '\'')));

    while (i < n && xss_alpha(s[i])) {
        i++;
    }
    if (!xss_event_name(s + b, i - b)) {
        return false;
    }
    while (i < n && xss_space(s[i])) {
        i++;
    }
    if (i >= n || s[i] != '=') {
        return false;
    }
    i++;
    lim = BN_WAF_MIN(n, i + XSS_PEEK);
    while (i < lim && xss_space(s[i])) {
        i++;
    }
    if (broke_out && i + 1 < lim && s[i] == '\\') {
        i++; /* \" inside a script string */
    }
    if (broke_out && i < lim && (s[i] == '"' || s[i] == '\'')
        && memchr(s + i + 1, s[i], lim - i - 1) != NULL) {
        return true;
    }
    while (i < lim && (xss_space(s[i]) || s[i] == '"' || s[i] == '\'' || s[i] == '`')) {
        i++;
    }
    if (xss_call_at(s, n, i, false) || xss_script_url(s, n, i) != NULL) {
        return true;
    }
    for (; i < lim && !xss_space(s[i]) && s[i] != '"' && s[i] != '\''; i++) {
        if (s[i] == '(' || s[i] == '`' || s[i] == '=') {
            return true;
        }
    }
    return false;
}

/* Tags whose name alone, with blanks around it ("< script >"), is worth a
 * look: a lax parser or a later cleanup that strips blanks makes them
 * tags. */
static bool
xss_spaced_tag(const unsigned char *s, size_t n, size_t i)
{
    size_t lim = BN_WAF_MIN(n, i + 64), b;

    while (i < lim && (xss_space(s[i]) || s[i] == '/')) {
        i++;
    }
    for (b = i; i < lim && xss_alpha(s[i]); i++) {
    }
    if (!bn_waf_word_eq((const char *) s + b, i - b, "script")
        && !bn_waf_word_eq((const char *) s + b, i - b, "iframe")
        && !bn_waf_word_eq((const char *) s + b, i - b, "style")
        && !bn_waf_word_eq((const char *) s + b, i - b, "svg")) {
        return false;
    }
    while (i < lim && xss_space(s[i])) {
        i++;
    }
    return i < lim && s[i] == '>';
}

/*
 * "<!" and "<?" at s[i]: a DTD that declares entities or attributes
 * (<!ENTITY x SYSTEM ...>, an ATTLIST that gives every img an onerror), a
 * DOCTYPE with an internal subset, an XML processing instruction that
 * loads a style sheet or a namespace (<?xml-stylesheet, <?xml:namespace),
 * IE's <?import.  A plain <!DOCTYPE html> or <?xml version?> is none.
 */
static const char *
xss_markup_decl(const unsigned char *s, size_t n, size_t i)
{
    const char *p = (const char *) s + i + 2;
    size_t left = n - i - 2;

    if (s[i + 1] == '?') {
        if (bn_waf_prefix_eq(p, left, "import")) {
            return "xss: import processing instruction";
        }
        if (bn_waf_prefix_eq(p, left, "xml") && left > 3 && (p[3] == '-' || p[3] == ':')) {
            return "xss: XML processing instruction";
        }
        return NULL;
    }
    if (bn_waf_prefix_eq(p, left, "entity") || bn_waf_prefix_eq(p, left, "attlist")
        || bn_waf_prefix_eq(p, left, "element")) {
        return "xss: DTD declaration";
    }
    if (bn_waf_prefix_eq(p, left, "doctype")) {
        size_t lim = BN_WAF_MIN(n, i + XSS_PEEK);

        for (size_t k = i + 9; k < lim && s[k] != '>' && s[k] != '<'; k++) {
            if (s[k] == '[') {
                return "xss: DOCTYPE with an internal subset";
            }
        }
    }
    return NULL;
}

/* Whether s[i..) after "expression" is its call: "(", or the "(" spelled
 * as a CSS escape (\28, \000028), comments and blanks before it. */
static bool
xss_expression_call(const unsigned char *s, size_t n, size_t i)
{
    size_t lim = BN_WAF_MIN(n, i + 64);

    while (i < lim) {
        if (xss_space(s[i])) {
            i++;
        } else if (s[i] == '/' && i + 1 < lim && s[i + 1] == '*') {
            for (i += 2; i + 1 < lim && !(s[i] == '*' && s[i + 1] == '/'); i++) {
            }
            i += 2;
        } else {
            break;
        }
    }
    if (i >= lim) {
        return false;
    }
    if (s[i] == '(') {
        return true;
    }
    if (s[i] != '\\') {
        return false;
    }
    for (i++; i < lim && s[i] == '0'; i++) {
    }
    return i + 1 < lim && s[i] == '2' && s[i + 1] == '8';
}

bool
bn_waf_xss(const char *str, size_t n, unsigned paranoia, bn_waf_detect_t *m)
{
    const unsigned char *s = (const unsigned char *) str;
    const char *reason;
    size_t i, next, na, nl;

    paranoia = bn_waf_begin(m, paranoia);
    if (n == 0) {
        return false;
    }
    reason = xss_script_url(s, n, 0);
    if (reason != NULL && xss_codeish(s, n, 0)) {
        return bn_waf_found(m, reason, "url", 3);
    }
    if ((s[0] == ';' || s[0] == ')') && xss_breakout_at(s, n, 0, paranoia)) {
        /* ;alert(1);: a value that lands in a script outside a string. */
        return bn_waf_found(m, "xss: script statement then a call", "breakout", 8);
    }
    for (i = 0; i < n;) {
        unsigned char c = s[i];

        if (paranoia >= 2 && xss_ident(c) && (i == 0 || !xss_ident(s[i - 1]))
            && xss_call_at(s, n, i, false)) {
            return bn_waf_found(m, "xss: call of a script sink", "call", 4);
        }
        if (!(xss_class[c] & X_TRIG)) {
            /* Most bytes start nothing: one lookup. */
            i++;
            continue;
        }
        switch (c) {
        case '<':
            if (i + 1 >= n) {
                break;
            }
            if (xss_alpha(s[i + 1])) {
                reason = xss_tag(s, n, i + 1, &next, paranoia, &na, &nl);
                if (reason != NULL) {
                    return bn_waf_found(m, reason, str + na, nl);
                }
                /* The scan goes on after the tag's name, not after the
                 * tag: a tag inside an attribute value (<x a='<img
                 * onerror=...>'>) may be the real one once a parser
                 * disagrees on where the value ends.  Values nest at most
                 * three quotes deep, so no byte is read more than a few
                 * times. */
                i = na + nl > i ? na + nl : i + 1;
                continue;
            }
            if (s[i + 1] == '/' && bn_waf_prefix_eq(str + i + 2, n - i - 2, "script")) {
                return bn_waf_found(m, "xss: closing script tag", "/script", 7);
            }
            if (s[i + 1] == '!' || s[i + 1] == '?') {
                reason = xss_markup_decl(s, n, i);
                if (reason != NULL) {
                    return bn_waf_found(m, reason, str + i + 1, BN_WAF_MIN(n - i - 1, 8));
                }
            }
            if ((xss_space(s[i + 1]) || s[i + 1] == '/') && xss_spaced_tag(s, n, i + 1)) {
                return bn_waf_found(m, "xss: tag with blanks in it", "< tag >", 7);
            }
            break;
        case '\'':
        case '"':
        case '`':
            if (xss_breakout_at(s, n, i + 1, paranoia)) {
                return bn_waf_found(m, "xss: script string closed then a call", "breakout", 8);
            }
            break;
        case '$':
            if (i + 1 < n && s[i + 1] == '{' && xss_call_at(s, n, i + 2, paranoia >= 2)) {
                return bn_waf_found(m, "xss: template expression calls a sink", "${", 2);
            }
            break;
        case '{':
            if (i + 1 < n && s[i + 1] == '{') {
                size_t k = i + 2;

                while (k < n && xss_space(s[k])) {
                    k++;
                }
                if (bn_waf_prefix_eq(str + k, n - k, "constructor")
                    || xss_call_at(s, n, k, false)) {
                    return bn_waf_found(m, "xss: template expression calls a sink", "{{", 2);
                }
            }
            break;
        case '&':
            if (i + 1 < n && s[i + 1] == '{') {
                /* &{alert(1)}; a JavaScript entity (Netscape 4). */
                const unsigned char *e = memchr(s + i + 2, '}', BN_WAF_MIN(n - i - 2, 64));

                if (e != NULL && memchr(s + i + 2, '(', (size_t) (e - s) - i - 2) != NULL) {
                    return bn_waf_found(m, "xss: JavaScript entity", "&{", 2);
                }
            }
            break;
        case 'o':
        case 'O':
            if (i > 0
                && (xss_space(s[i - 1]) || s[i - 1] == '"' || s[i - 1] == '\''
                    || s[i - 1] == '/' || s[i - 1] == '`')
                && xss_loose_handler(s, n, i)) {
                return bn_waf_found(m, "xss: event handler after a quote", "on", 2);
            }
            break;
        case 'j':
        case 'J':
            /* A script URL after an attribute, a property, a quote or any
             * byte that is not part of a name: href=javascript:,
             * x:javascript:, a look-alike blank before it. */
            if (i > 0 && !xss_ident(s[i - 1]) && xss_script_url(s, n, i) != NULL
                && xss_codeish(s, n, i)) {
                return bn_waf_found(m, "xss: script URL", "url", 3);
            }
            break;
        case 'e':
        case 'E':
            if (i > 0 && (s[i - 1] == ':' || xss_space(s[i - 1]))
                && bn_waf_prefix_eq(str + i, n - i, "expression")
                && xss_expression_call(s, n, i + 10)) {
                return bn_waf_found(m, "xss: CSS expression()", "expression", 10);
            }
            break;
        }
        i++;
    }
    return false;
}
