#ifndef EQR_COPENBLAS_SHIM_H
#define EQR_COPENBLAS_SHIM_H
// OpenBLAS's CBLAS interface plus its thread-control extensions.
#include <cblas.h>
#endif
