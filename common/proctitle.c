/*
 * proctitle.c: setting the process title by overwriting argv, as nginx and
 * PostgreSQL do on Linux.  The environment, which follows argv in memory, is
 * moved out of the way first so the title may use its space too.
 */
#include "heritage.h"

#include <sys/prctl.h>

extern char **environ;

static char *title_start;
static size_t title_size;

void
bn_proctitle_init(int argc, char **argv)
{
    char *end;
    size_t n = 0;
    char **env;

    if (argc == 0 || argv[0] == NULL) {
        return;
    }
    end = argv[0];
    for (int i = 0; i < argc; i++) {
        if (argv[i] == end) {
            end = argv[i] + strlen(argv[i]) + 1;
        }
    }
    for (int i = 0; environ[i] != NULL; i++) {
        if (environ[i] == end) {
            end = environ[i] + strlen(environ[i]) + 1;
        }
        n++;
    }
    env = malloc((n + 1) * sizeof(char *));
    if (env == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        env[i] = strdup(environ[i]);
    }
    env[n] = NULL;
    environ = env;

    /* argv[] itself still points into the area; the master has copied what it
     * needs by the time it first sets a title. */
    title_start = argv[0];
    title_size = (size_t) (end - argv[0]);
}

void
bn_proctitle_set(const char *fmt, ...)
{
    va_list ap;

    if (title_start == NULL) {
        return;
    }
    memset(title_start, 0, title_size);
    va_start(ap, fmt);
    vsnprintf(title_start, title_size, fmt, ap);
    va_end(ap);
    /* The kernel's name (top, /proc/PID/stat) keeps 15 bytes: "bouncer: worker". */
    prctl(PR_SET_NAME, title_start, 0, 0, 0);
}
