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
    // Lazy conversion of the object under assessment (see gitops_lua_materialize).
    void *context;        // passed to materialize
    void (*materialize)(lua_State *L, void *context, int tableIndex, lua_Integer id);
    lua_Integer sideRef;  // registry slot of the table mapping lazy tables to their ids
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

static inline gitops_lua_limits *gitops_lua_limits_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (gitops_lua_limits *)ud;
}

/// Fills the lazy table at `index` with its members (each container member itself a new lazy
/// table), once: the table leaves the side table and loses its metatable first. The members are
/// built by Swift code with the memory limit lifted (so no Lua error can unwind through Swift
/// frames); the limit is checked again here, in C, afterwards.
static inline void gitops_lua_materialize(lua_State *L, int index) {
    index = lua_absindex(L, index);
    if (lua_type(L, index) != LUA_TTABLE) return;
    luaL_checkstack(L, 8, NULL);
    gitops_lua_limits *limits = gitops_lua_limits_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, limits->sideRef);
    lua_pushvalue(L, index);
    lua_rawget(L, -2);
    if (!lua_isinteger(L, -1)) {
        lua_pop(L, 2);
        return;
    }
    lua_Integer id = lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_pushvalue(L, index);
    lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setmetatable(L, index);
    size_t saved = limits->limit;
    limits->limit = 0;
    limits->materialize(L, limits->context, index, id);
    limits->limit = saved;
    if (saved != 0 && limits->used > saved) {
        limits->memoryExceeded = 1;
        luaL_error(L, "not enough memory");
    }
}

static inline int gitops_lua_lazy_index(lua_State *L) {
    gitops_lua_materialize(L, 1);
    lua_settop(L, 2);
    lua_rawget(L, 1);
    return 1;
}

static inline int gitops_lua_lazy_newindex(lua_State *L) {
    gitops_lua_materialize(L, 1);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 0;
}

static inline int gitops_lua_lazy_len(lua_State *L) {
    gitops_lua_materialize(L, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
    return 1;
}

static inline int gitops_lua_lazy_pairs(lua_State *L) {
    gitops_lua_materialize(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, "gitops.rawnext");
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/// `touch(t)`: materializes `t` if it is lazy; for the sandbox's `next`, `rawget`, `rawlen`.
static inline int gitops_lua_lazy_touch(lua_State *L) {
    gitops_lua_materialize(L, 1);
    return 0;
}

/// Pushes the metatable of lazy tables.
static inline void gitops_lua_push_lazy_metatable(lua_State *L) {
    lua_createtable(L, 0, 5);
    lua_pushcfunction(L, gitops_lua_lazy_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, gitops_lua_lazy_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, gitops_lua_lazy_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, gitops_lua_lazy_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
}

/// Before the sandbox prelude: keeps the raw `next` for `__pairs`, and hands the prelude `touch`.
static inline void gitops_lua_register_lazy(lua_State *L) {
    lua_getglobal(L, "next");
    lua_setfield(L, LUA_REGISTRYINDEX, "gitops.rawnext");
    lua_pushcfunction(L, gitops_lua_lazy_touch);
    lua_setglobal(L, "__gitops_touch");
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
/// Generational collection: the tables built for each object die young.
static inline int gitops_lua_gc_generational(lua_State *L) { return lua_gc(L, LUA_GCGEN, 0, 0); }

#endif
