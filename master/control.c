/*
 * control.c: the control socket, a UNIX stream socket beside the pid file
 * (mode 0600).  A command is one line ("reload\n"); the master answers with
 * lines and closes, except for stop and quit, where the connection stays
 * open until the master exits, so the command returns when it is done.
 *
 * The client end (bn_control_command) runs in the `bouncer reload` process.
 */
#include "control.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/*
 * The socket this master bound, by path and inode: at exit it removes only
 * that, not a socket of the same name a new master (bouncer upgrade) put
 * there since.
 */
static char *bound_path;
static dev_t bound_dev;
static ino_t bound_ino;

int
bn_control_listen(const char *path, char *err, size_t errlen)
{
    struct stat st;
    struct sockaddr_un sa;
    int fd;
    mode_t old;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        snprintf(err, errlen, "socket() failed: %s", strerror(errno));
        return -1;
    }
    /* We hold the pid file lock: any socket left here is a dead master's. */
    unlink(path);
    old = umask(0077);
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == -1) {
        umask(old);
        snprintf(err, errlen, "cannot create the control socket \"%s\": %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    umask(old);
    chmod(path, 0600);
    if (listen(fd, 16) == -1 || stat(path, &st) == -1) {
        snprintf(err, errlen, "listen() on \"%s\" failed: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    free(bound_path);
    bound_path = strdup(path);
    bound_dev = st.st_dev;
    bound_ino = st.st_ino;
    return fd;
}

int
bn_control_rename(const char *to)
{
    char *p;

    if (bound_path == NULL || rename(bound_path, to) == -1) {
        return BN_ERROR;
    }
    p = strdup(to);
    if (p != NULL) {
        free(bound_path);
        bound_path = p;
    }
    return BN_OK;
}

void
bn_control_remove(void)
{
    struct stat st;

    if (bound_path != NULL && stat(bound_path, &st) == 0 && st.st_dev == bound_dev
        && st.st_ino == bound_ino) {
        unlink(bound_path);
    }
    free(bound_path);
    bound_path = NULL;
}

/* A connection to the master's control socket; -1 with errno. */
static int
control_connect(const char *sock_path)
{
    struct sockaddr_un sa;
    int fd, e;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == -1) {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int
bn_control_command(const char *sock_path, const char *cmd, unsigned wait_secs)
{
    char buf[4096], line[64];
    int fd, status = 1;
    ssize_t n;
    size_t got = 0;
    bool in_long = false;
    struct pollfd pfd;

    fd = control_connect(sock_path);
    if (fd == -1) {
        int e = errno;
        /* As LSB init scripts: 3, not running, for status in either form. */
        if (strcmp(cmd, "status") == 0) {
            printf("bouncer is not running\n");
            return 3;
        }
        if (strcmp(cmd, "status json") == 0) {
            printf("{\"running\": false}\n");
            return 3;
        }
        fprintf(stderr,
                "bouncer: bouncer is not running (cannot reach \"%s\": %s)\n"
                "bouncer: a master started with another pid_file or control_socket is reached "
                "with -c and the config it runs, or with a signal\n",
                sock_path, strerror(e));
        return 1;
    }
    snprintf(line, sizeof(line), "%s\n", cmd);
    if (write(fd, line, strlen(line)) == -1) {
        fprintf(stderr, "bouncer: cannot send the command: %s\n", strerror(errno));
        close(fd);
        return 1;
    }
    /* The last line is "ok ..." or "error ..."; the rest is for the user. */
    pfd.fd = fd;
    pfd.events = POLLIN;
    for (;;) {
        int rc = poll(&pfd, 1, (int) wait_secs * 1000);
        if (rc <= 0) {
            fprintf(stderr, "bouncer: no answer from the master in %us\n", wait_secs);
            break;
        }
        n = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t) n;
        buf[got] = '\0';
        for (char *nl; (nl = strchr(buf, '\n')) != NULL;) {
            *nl = '\0';
            if (in_long) {
                printf("%s\n", buf); /* the end of a long line */
                in_long = false;
            } else if (strncmp(buf, "ok", 2) == 0) {
                status = 0;
                if (buf[2] == ' ') {
                    printf("%s\n", buf + 3);
                }
            } else if (strncmp(buf, "error", 5) == 0) {
                status = 1;
                fprintf(stderr, "bouncer: %s\n", buf[5] == ' ' ? buf + 6 : "failed");
            } else if (strncmp(buf, "| ", 2) == 0) {
                printf("%s\n", buf + 2);
            } else {
                fprintf(stderr, "%s\n", buf);
            }
            got -= (size_t) (nl + 1 - buf);
            memmove(buf, nl + 1, got + 1);
        }
        if (got == sizeof(buf) - 1) {
            /* A line longer than the buffer (status --json): what is for
             * the user goes out as it comes, the rest of it after. */
            if (strncmp(buf, "| ", 2) == 0 || in_long) {
                fwrite(buf + (in_long ? 0 : 2), 1, got - (in_long ? 0 : 2), stdout);
                in_long = true;
            }
            got = 0;
        }
    }
    close(fd);
    return status;
}

char *
bn_control_query(const char *sock_path, const char *cmd, unsigned wait_secs, size_t *len)
{
    struct pollfd pfd;
    size_t got = 0, size = 65536;
    char *buf = malloc(size);
    int fd;

    if (buf == NULL) {
        return NULL;
    }
    fd = control_connect(sock_path);
    if (fd == -1 || dprintf(fd, "%s\n", cmd) < 0) {
        if (fd != -1) {
            close(fd);
        }
        free(buf);
        return NULL;
    }
    pfd.fd = fd;
    pfd.events = POLLIN;
    for (;;) {
        ssize_t n;
        if (poll(&pfd, 1, (int) wait_secs * 1000) <= 0) {
            break;
        }
        if (got + 1 == size) {
            char *m = realloc(buf, size * 2);
            if (m == NULL) {
                break;
            }
            buf = m;
            size *= 2;
        }
        n = read(fd, buf + got, size - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t) n;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
}
