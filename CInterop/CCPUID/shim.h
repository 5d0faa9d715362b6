#ifndef EQR_CCPUID_SHIM_H
#define EQR_CCPUID_SHIM_H
// The instruction sets this process may execute, from CPUID and XGETBV: what the CPU (or an
// emulator such as Valgrind, which hides AVX-512) reports and the OS saves on a context
// switch. /proc/cpuinfo lists the host CPU's flags even under an emulator.
#include <cpuid.h>
#include <stdint.h>

static inline uint64_t eqr_xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

/// 1 when AVX2 and FMA may run (CPU and OS), else 0.
static inline int eqr_cpu_runs_avx2_fma(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!fma || !osxsave || !avx) return 0;
    if ((eqr_xgetbv0() & 0x6) != 0x6) return 0;  // XMM and YMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;  // AVX2
}

/// 1 when AVX-512 F, DQ, BW and VL may run (CPU and OS), else 0.
static inline int eqr_cpu_runs_avx512(void) {
    unsigned a, b, c, d;
    if (!eqr_cpu_runs_avx2_fma()) return 0;
    if ((eqr_xgetbv0() & 0xE6) != 0xE6) return 0;  // plus opmask, ZMM0-15 upper halves, ZMM16-31
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    unsigned f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    return f && dq && bw && vl;
}
#endif
