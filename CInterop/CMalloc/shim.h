#ifndef EQR_CMALLOC_SHIM_H
#define EQR_CMALLOC_SHIM_H
// glibc's malloc tuning (mallopt), which Swift's Glibc module does not export.
#include <malloc.h>
#endif
