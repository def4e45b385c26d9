/* Sv39 virtual memory: see vm_common.h for the mappings and the cases. */
#define VM_LEVELS 3
#include "vm_common.h"
