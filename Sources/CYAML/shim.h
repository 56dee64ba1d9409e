#ifndef SWIFT_GITOPS_CYAML_SHIM_H
#define SWIFT_GITOPS_CYAML_SHIM_H
#include <stdlib.h>
#include <yaml.h>

/// Frees what `event` owns, as `yaml_event_delete` does, for the events a reader meets on every
/// node (scalars, aliases, collection starts and ends), without clearing the event afterwards
/// (`yaml_parser_parse` clears it before filling it). libyaml allocates event data with `malloc`
/// (its `yaml_malloc`) and frees it with `free`; any other event goes to `yaml_event_delete`.
static inline __attribute__((always_inline)) void cyaml_event_release(yaml_event_t *event) {
    switch (event->type) {
    case YAML_SCALAR_EVENT:
        free(event->data.scalar.anchor);
        free(event->data.scalar.tag);
        free(event->data.scalar.value);
        break;
    case YAML_ALIAS_EVENT:
        free(event->data.alias.anchor);
        break;
    case YAML_SEQUENCE_START_EVENT:
        free(event->data.sequence_start.anchor);
        free(event->data.sequence_start.tag);
        break;
    case YAML_MAPPING_START_EVENT:
        free(event->data.mapping_start.anchor);
        free(event->data.mapping_start.tag);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
        break;
    default:
        yaml_event_delete(event);
        break;
    }
}
#endif
