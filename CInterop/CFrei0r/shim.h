#ifndef EQR_CFREI0R_SHIM_H
#define EQR_CFREI0R_SHIM_H
// The frei0r plugin API (Debian: frei0r-plugins-dev).
#include <frei0r.h>
#endif
