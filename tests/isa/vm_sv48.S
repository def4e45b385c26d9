/* Sv48 virtual memory: the Sv39 cases under a fourth level, plus 512 GiB terapages and
 * Sv48 canonical addresses. See vm_common.h for the mappings and the cases. */
#define VM_LEVELS 4
#include "vm_common.h"
