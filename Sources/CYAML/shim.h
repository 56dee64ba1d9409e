#ifndef SWIFT_GITOPS_CYAML_SHIM_H
#define SWIFT_GITOPS_CYAML_SHIM_H
#include <yaml.h>
#endif
