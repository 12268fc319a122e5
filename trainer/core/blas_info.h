// Which BLAS library this process runs its matrix products through, and with
// how many threads of its own: part of what an attempt records about how it
// ran (the start event's kFieldBlas / kFieldBlasThreads, trainer contract).
//
// Found at run time among the libraries already loaded, by the functions
// each library exports (looked up with dlsym, so nothing here links against
// any BLAS): OpenBLAS (openblas_get_config, openblas_get_num_threads), MKL
// (mkl_get_version_string, mkl_get_max_threads), BLIS
// (bli_info_get_version_str, bli_thread_get_num_threads), FlexiBLAS
// (flexiblas_current_backend); else a loaded libblas/libcblas named by its
// resolved path (reference BLAS or another alternative), threads unknown.
//
// Thread-safety: DetectBlas() only reads; call it after the BLAS thread count
// is configured (main() pins OpenBLAS to one thread first).
#pragma once

#include <string>

namespace ltsweep::trainer {

struct BlasInfo {
  std::string name;  // e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ..."; empty: none found
  int threads = 0;   // the library's own thread count; 0: unknown
};

BlasInfo DetectBlas();

}  // namespace ltsweep::trainer
