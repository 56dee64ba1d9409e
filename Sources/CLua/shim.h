#ifndef SWIFT_GITOPS_CLUA_SHIM_H
#define SWIFT_GITOPS_CLUA_SHIM_H
// Lua 5.4 for the Health module: the C API, prefixed static inline wrappers for its macros,
// and the two C callbacks that enforce a script's limits (an allocator that counts bytes and
// a count hook that checks a deadline). Both find their limits through the allocator's user
// data, so no Swift code runs between a Lua error and the protected call that catches it.
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/// What one Lua state may use; owned by the Swift object that owns the state.
typedef struct {
    size_t used;          // bytes allocated now
    size_t limit;         // most bytes allowed; 0 for no limit
    double deadline;      // CLOCK_MONOTONIC seconds after which the running script stops; 0 for none
    double timeLimit;     // the limit the deadline came from, for the message
    int timedOut;         // set by the hook when it stopped a script
    int memoryExceeded;   // set by the allocator when it refused a request
} gitops_lua_limits;

static inline double gitops_lua_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void *gitops_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    gitops_lua_limits *limits = (gitops_lua_limits *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        limits->used -= old;
        return NULL;
    }
    if (limits->limit != 0 && nsize > old && limits->used + (nsize - old) > limits->limit) {
        limits->memoryExceeded = 1;
        return NULL;
    }
    void *block = realloc(ptr, nsize);
    if (block == NULL) return NULL;
    limits->used = limits->used - old + nsize;
    return block;
}

static inline void gitops_lua_hook(lua_State *L, lua_Debug *ar) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    gitops_lua_limits *limits = (gitops_lua_limits *)ud;
    if (limits->deadline != 0 && gitops_lua_now() > limits->deadline) {
        limits->timedOut = 1;
        lua_getinfo(L, "Sl", ar);
        luaL_error(L, "%s:%d: script exceeded its time limit", ar->short_src, ar->currentline);
    }
}

static inline lua_State *gitops_lua_newstate(gitops_lua_limits *limits) {
    return lua_newstate(gitops_lua_alloc, limits);
}

static inline void gitops_lua_sethook(lua_State *L, int count) {
    lua_sethook(L, gitops_lua_hook, LUA_MASKCOUNT, count);
}

static inline void gitops_lua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void gitops_lua_newtable(lua_State *L) { lua_newtable(L); }
static inline const char *gitops_lua_tostring(lua_State *L, int i) { return lua_tostring(L, i); }
static inline int gitops_lua_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}
static inline int gitops_luaL_dostring(lua_State *L, const char *s) { return luaL_dostring(L, s); }
static inline int gitops_luaL_loadbufferx(lua_State *L, const char *buff, size_t sz, const char *name,
                                          const char *mode) {
    return luaL_loadbufferx(L, buff, sz, name, mode);
}
static inline int gitops_lua_isnil(lua_State *L, int i) { return lua_isnil(L, i); }
static inline int gitops_lua_istable(lua_State *L, int i) { return lua_istable(L, i); }
static inline int gitops_lua_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline void gitops_lua_pushglobaltable(lua_State *L) { lua_pushglobaltable(L); }
static inline int gitops_lua_ok(void) { return LUA_OK; }
static inline int gitops_lua_errmem(void) { return LUA_ERRMEM; }
static inline int gitops_lua_gc_collect(lua_State *L) { return lua_gc(L, LUA_GCCOLLECT, 0); }

#endif
