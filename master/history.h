/*
 * history.h: what history.c exports: the configs that loaded, kept beside
 * the pid file, and what `bouncer history` and `bouncer rollback` read of
 * them.
 */
#ifndef BN_MASTER_HISTORY_H
#define BN_MASTER_HISTORY_H

#include "../common/bouncer.h"
#include "../common/conf.h"
#include "../common/log.h"

typedef struct {
    unsigned seq;         /* its folder's name: 1, 2, ... in the order they loaded */
    time_t loaded;        /* when it first loaded */
    time_t last_loaded;   /* when it last loaded (a reload of the same config) */
    unsigned rollback_of; /* the entry a rollback copied; 0: read from the file */
    char sha256[2 * BN_CONF_HASH_LEN + 1];
    char *file;      /* the config file it was loaded as */
    char *main_name; /* that file's copy, under files/ */
} bn_history_entry_t;

typedef struct {
    char *dir;
    bn_history_entry_t *entries; /* newest first */
    size_t n;
} bn_history_t;

/* bouncer.conf.history beside pid_file (malloc'd; NULL when memory runs out). */
char *bn_history_dir(const char *pid_file);
/*
 * Reads the entries of the history folder dir (taken over by h): BN_OK,
 * with none when there is no folder yet, or BN_ERROR with err.
 */
int bn_history_read(char *dir, bn_history_t *h, char *err, size_t errlen);
void bn_history_free(bn_history_t *h);

/*
 * How `rollback N` counts: N configs before the running entry (seq
 * running; 0 when the running config is not in the history, which then
 * counts from its newest entry), where an entry a rollback made stands in
 * the place of the entry it copied, so that a second rollback goes on
 * back instead of undoing the first.  bn_history_number() is the N of
 * h->entries[i] (0 for the running one), or -1 when no rollback reaches
 * it (it is newer than where the running entry stands).
 */
int bn_history_number(const bn_history_t *h, unsigned running, size_t i);
const bn_history_entry_t *bn_history_target(const bn_history_t *h, unsigned running, unsigned n);

/*
 * The master, once config c serves: keeps it in the history (unless
 * config_history is 0) with its @included files, prunes the history to
 * config_history entries, and writes bouncer.conf.last-good.  rollback_of
 * is the entry c was loaded from (0: from its file).  A config equal
 * (same sha256) to the newest entry only updates that entry's last
 * loaded time, unless it comes from a rollback.  BN_ERROR with err when
 * the history could not be written; the config serves all the same.
 * user, uid, gid and drop: the workers', whose folders are refused.
 */
int bn_history_save(bn_conf_t *c, unsigned rollback_of, uid_t uid, gid_t gid, bool drop, char *err,
                    size_t errlen);
/* The entry of the running config (0: none) and the entry it copied. */
unsigned bn_history_running(unsigned *rollback_of);

/*
 * `rollback --write`: puts the files of entry e back where it was loaded
 * from, the main file and the @included ones, each replaced file kept
 * beside it as FILE.replaced-YYYYmmdd-HHMMSS.  Says each step with
 * say(fd, ...); BN_ERROR after the first that fails.
 */
int bn_history_write_back(const bn_history_t *h, const bn_history_entry_t *e,
                          void (*say)(int fd, const char *fmt, ...), int fd);

#endif
