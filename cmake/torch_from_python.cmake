# LibTorch taken straight from a PyTorch installation's folder, without its
# CMake package: for a GPU machine whose PyTorch CMake config cannot be used
# (TorchConfig.cmake of a CUDA build looks for the CUDA toolkit, nvcc and
# cuDNN headers, which a pip install does not ship). docs/gpu.md.
#
#   -DLTSWEEP_TORCH_DIR=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')
#   -DLTSWEEP_TORCH_CXX11_ABI=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
#
# Defines TORCH_LIBRARIES (one interface target) and TORCH_CXX_FLAGS as
# find_package(Torch) would. The CUDA libraries are linked with
# --no-as-needed: nothing calls them by name, but loading them is what
# registers the CUDA backend.
foreach(lib torch torch_cpu c10)
  if(NOT EXISTS "${LTSWEEP_TORCH_DIR}/lib/lib${lib}.so")
    message(FATAL_ERROR "LTSWEEP_TORCH_DIR=${LTSWEEP_TORCH_DIR}: lib/lib${lib}.so is missing")
  endif()
endforeach()
if(NOT EXISTS "${LTSWEEP_TORCH_DIR}/include/torch/csrc/api/include/torch/torch.h")
  message(FATAL_ERROR "LTSWEEP_TORCH_DIR=${LTSWEEP_TORCH_DIR}: include/torch/csrc/api/include/torch/torch.h is missing")
endif()
add_library(ltsweep_torch_from_python INTERFACE)
target_include_directories(ltsweep_torch_from_python SYSTEM INTERFACE
  "${LTSWEEP_TORCH_DIR}/include" "${LTSWEEP_TORCH_DIR}/include/torch/csrc/api/include")
set(_ltsweep_torch_libs "${LTSWEEP_TORCH_DIR}/lib/libtorch.so" "${LTSWEEP_TORCH_DIR}/lib/libtorch_cpu.so"
    "${LTSWEEP_TORCH_DIR}/lib/libc10.so")
foreach(lib torch_cuda c10_cuda)
  if(EXISTS "${LTSWEEP_TORCH_DIR}/lib/lib${lib}.so")
    list(APPEND _ltsweep_torch_libs "-Wl,--no-as-needed" "${LTSWEEP_TORCH_DIR}/lib/lib${lib}.so" "-Wl,--as-needed")
    message(STATUS "LibTorch from ${LTSWEEP_TORCH_DIR}: with lib${lib}.so")
  endif()
endforeach()
target_link_libraries(ltsweep_torch_from_python INTERFACE ${_ltsweep_torch_libs} "-Wl,-rpath,${LTSWEEP_TORCH_DIR}/lib")
set(TORCH_LIBRARIES ltsweep_torch_from_python)
set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${LTSWEEP_TORCH_CXX11_ABI}")
message(STATUS "LibTorch from ${LTSWEEP_TORCH_DIR} (_GLIBCXX_USE_CXX11_ABI=${LTSWEEP_TORCH_CXX11_ABI})")
