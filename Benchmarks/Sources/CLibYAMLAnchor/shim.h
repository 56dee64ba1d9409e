#include <yaml.h>
#include <malloc.h>
