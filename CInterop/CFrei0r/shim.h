#ifndef EQR_CFREI0R_SHIM_H
#define EQR_CFREI0R_SHIM_H
// The frei0r plugin API (Debian: frei0r-plugins-dev).
#include <frei0r.h>
#include <stdint.h>

// Which plugin the shared entry points (Frei0rSupport) are linked into: 0 for the filter,
// 1 for the mixer2. Each plugin target defines it once (Sources/Frei0rFilter,
// Sources/Frei0rMixer); it is not exported from the plugins.
int32_t eqr_frei0r_plugin_kind(void);
#endif
