#ifndef SWIFT_GITOPS_CGIT2_SHIM_H
#define SWIFT_GITOPS_CGIT2_SHIM_H

#include <git2.h>
#include <git2/sys/stream.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>
#include <netdb.h>
#include <poll.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

// Prefixed wrappers for libgit2's variadic and macro APIs (Swift cannot call them).

static inline int cgit2_opts_set_ssl_cert_file(const char *file) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, (const char *)NULL);
}

static inline int cgit2_opts_set_user_agent(const char *agent) {
    return git_libgit2_opts(GIT_OPT_SET_USER_AGENT, agent);
}

static inline int cgit2_opts_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}

static inline int cgit2_opts_enable_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}

static inline int cgit2_opts_set_mwindow_file_limit(size_t limit) {
    return git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, limit);
}

static inline int cgit2_fetch_options_init(git_fetch_options *opts) {
    return git_fetch_options_init(opts, GIT_FETCH_OPTIONS_VERSION);
}

static inline int cgit2_remote_callbacks_init(git_remote_callbacks *cbs) {
    return git_remote_init_callbacks(cbs, GIT_REMOTE_CALLBACKS_VERSION);
}

static inline int cgit2_proxy_options_init(git_proxy_options *opts) {
    return git_proxy_options_init(opts, GIT_PROXY_OPTIONS_VERSION);
}

/// A socket stream whose first fields mirror libgit2's internal `git_socket_stream`
/// (parent, host, port, socket): libgit2's SSH transport reads the socket from there.
typedef struct {
    git_stream parent;
    char *host;
    char *port;
    int s;
    void *context;
} cgit2_socket_stream;

static inline int cgit2_stream_version(void) { return GIT_STREAM_VERSION; }

/// Connects a non-blocking TCP socket with a timeout; returns the socket or -errno
/// (and -ETIMEDOUT when the time runs out, -ECANCELED when `should_abort` says so).
static inline int cgit2_tcp_connect(const char *host, const char *port, int timeout_ms,
                                    int (*should_abort)(void *), void *ctx) {
    struct addrinfo hints, *info = NULL, *p;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    int rc = getaddrinfo(host, port, &hints, &info);
    if (rc != 0) return -EHOSTUNREACH;
    int result = -ECONNREFUSED;
    for (p = info; p != NULL; p = p->ai_next) {
        int s = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
        if (s < 0) { result = -errno; continue; }
        int flags = fcntl(s, F_GETFL, 0);
        fcntl(s, F_SETFL, flags | O_NONBLOCK);
        rc = connect(s, p->ai_addr, p->ai_addrlen);
        if (rc < 0 && errno != EINPROGRESS) { result = -errno; close(s); continue; }
        if (rc < 0) {
            int waited = 0, connected = 0;
            while (waited < timeout_ms) {
                struct pollfd pfd = { .fd = s, .events = POLLOUT, .revents = 0 };
                int slice = timeout_ms - waited < 100 ? timeout_ms - waited : 100;
                int n = poll(&pfd, 1, slice);
                if (n > 0) {
                    int err = 0; socklen_t len = sizeof(err);
                    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
                    if (err != 0) { result = -err; }
                    else { connected = 1; }
                    break;
                }
                if (n < 0 && errno != EINTR) { result = -errno; break; }
                waited += slice;
                if (should_abort && should_abort(ctx)) { result = -ECANCELED; break; }
            }
            if (!connected) {
                if (waited >= timeout_ms) result = -ETIMEDOUT;
                close(s);
                if (result == -ECANCELED || result == -ETIMEDOUT) break;
                continue;
            }
        }
        fcntl(s, F_SETFL, flags & ~O_NONBLOCK);
        int one = 1;
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        freeaddrinfo(info);
        return s;
    }
    freeaddrinfo(info);
    return result;
}

static inline int cgit2_flock(int fd, int exclusive) {
    int rc;
    do { rc = flock(fd, exclusive ? LOCK_EX : LOCK_SH); } while (rc < 0 && errno == EINTR);
    return rc;
}

static inline int cgit2_flock_try(int fd, int exclusive) {
    int rc;
    do { rc = flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB); } while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : 0;
}

static inline int cgit2_open_lock(const char *path) {
    return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
}

static inline int cgit2_create_file(const char *path, int mode) {
    return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
}

static inline int cgit2_errno(void) { return errno; }

#endif
