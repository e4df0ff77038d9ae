/*
 * json_canon.h: a tree in a canonical text, for the drivers the tests run
 * (t/json_diff.t prints the same form from Python's json module): strings
 * with every byte outside 0x20-0x7e, '"' and '\\' as \xHH of its UTF-8,
 * numbers as the literal, "=", and the value as %.17g; members in order.
 */
#ifndef BN_JSON_CANON_H
#define BN_JSON_CANON_H

#include "../../common/json.h"

static void
canon_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];

        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            fprintf(f, "\\x%02x", c);
        } else {
            fputc(c, f);
        }
    }
    fputc('"', f);
}

static void
canon(FILE *f, const bn_json_t *j)
{
    const bn_json_t *m;

    switch (j->type) {
    case BN_JSON_NULL:
        fputs("null", f);
        break;
    case BN_JSON_FALSE:
        fputs("false", f);
        break;
    case BN_JSON_TRUE:
        fputs("true", f);
        break;
    case BN_JSON_NUMBER:
        fprintf(f, "%s=%.17g", j->str, j->num);
        break;
    case BN_JSON_STRING:
        canon_str(f, j->str, j->len);
        break;
    case BN_JSON_ARRAY:
    case BN_JSON_OBJECT:
        fputc(j->type == BN_JSON_ARRAY ? '[' : '{', f);
        for (m = j->child; m != NULL; m = m->next) {
            if (m != j->child) {
                fputc(',', f);
            }
            if (j->type == BN_JSON_OBJECT) {
                canon_str(f, m->key, m->key_len);
                fputc(':', f);
            }
            canon(f, m);
        }
        fputc(j->type == BN_JSON_ARRAY ? ']' : '}', f);
        break;
    }
}

/* The canonical text of j in a malloc'd string. */
static char *
canon_text(const bn_json_t *j)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);

    if (f == NULL) {
        return NULL;
    }
    canon(f, j);
    fclose(f);
    return s;
}

#endif
