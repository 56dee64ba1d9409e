#ifndef SWIFT_GITOPS_CJSONNET_SHIM_H
#define SWIFT_GITOPS_CJSONNET_SHIM_H
#include <stddef.h>
#include <libjsonnet.h>

/// Frees a buffer that libjsonnet allocated (results, error messages).
static inline void cjsonnet_free(struct JsonnetVm *vm, char *buffer) {
    if (buffer != NULL) (void)jsonnet_realloc(vm, buffer, 0);
}

/// Copies `length` bytes into a NUL-terminated buffer allocated by libjsonnet, as the import
/// callback must return; NULL when out of memory.
static inline char *cjsonnet_copy(struct JsonnetVm *vm, const char *bytes, size_t length) {
    char *buffer = jsonnet_realloc(vm, NULL, length + 1);
    if (buffer == NULL) return NULL;
    for (size_t i = 0; i < length; i++) buffer[i] = bytes[i];
    buffer[length] = 0;
    return buffer;
}
#endif
