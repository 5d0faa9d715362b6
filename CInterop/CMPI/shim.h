// Open MPI's C API for Swift. Its handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are
// macros over addresses of library globals, which Swift cannot import; these functions
// return them.
#ifndef EQR_CMPI_SHIM_H
#define EQR_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm eqr_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype eqr_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype eqr_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype eqr_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op eqr_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op eqr_mpi_max(void) { return MPI_MAX; }
static inline void *eqr_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int eqr_mpi_success(void) { return MPI_SUCCESS; }
static inline int eqr_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

#endif
