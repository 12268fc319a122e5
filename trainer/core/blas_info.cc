#include "trainer/core/blas_info.h"

#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>

#include <cstring>
#include <string>

namespace ltsweep::trainer {
namespace {

void* Symbol(const char* name) { return ::dlsym(RTLD_DEFAULT, name); }

template <typename Fn>
Fn As(void* symbol) {
  return reinterpret_cast<Fn>(symbol);
}

// The resolved path of a loaded libblas.so* / libcblas.so*, or "".
std::string LoadedGenericBlas() {
  std::string found;
  ::dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) -> int {
        const char* path = info->dlpi_name;
        if (path == nullptr || *path == '\0') return 0;
        const char* base = std::strrchr(path, '/');
        base = base == nullptr ? path : base + 1;
        if (std::strncmp(base, "libblas.so", 10) != 0 && std::strncmp(base, "libcblas.so", 11) != 0) return 0;
        char* real = ::realpath(path, nullptr);
        *static_cast<std::string*>(data) = real != nullptr ? real : path;
        ::free(real);
        return 1;
      },
      &found);
  return found;
}

}  // namespace

BlasInfo DetectBlas() {
  BlasInfo info;
  if (void* config = Symbol("openblas_get_config")) {
    info.name = As<char* (*)()>(config)();
    if (info.name.rfind("OpenBLAS", 0) != 0) info.name = "OpenBLAS " + info.name;
    if (void* n = Symbol("openblas_get_num_threads")) info.threads = As<int (*)()>(n)();
    return info;
  }
  if (void* max_threads = Symbol("mkl_get_max_threads")) {
    char version[256] = {};
    if (void* v = Symbol("mkl_get_version_string")) As<void (*)(char*, int)>(v)(version, sizeof(version) - 1);
    info.name = version[0] != '\0' ? version : "Intel MKL";
    info.threads = As<int (*)()>(max_threads)();
    return info;
  }
  if (void* version = Symbol("bli_info_get_version_str")) {
    info.name = std::string("BLIS ") + As<const char* (*)()>(version)();
    if (void* n = Symbol("bli_thread_get_num_threads")) info.threads = static_cast<int>(As<long (*)()>(n)());
    return info;
  }
  if (void* backend = Symbol("flexiblas_current_backend")) {
    char name[256] = {};
    As<int (*)(char*, size_t)>(backend)(name, sizeof(name) - 1);
    info.name = std::string("FlexiBLAS ") + name;
    return info;
  }
  const std::string path = LoadedGenericBlas();
  if (!path.empty()) info.name = "libblas " + path;
  return info;
}

}  // namespace ltsweep::trainer
