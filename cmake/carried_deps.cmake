# Header-only dependencies carried in a folder instead of found as system
# packages, for building ltsweep-train alone on a machine without a package
# registry (a GPU machine with PyTorch: docs/gpu.md). The folder is filled by
# deploy/gpu/carry-deps.sh:
#
#   <carry>/include/nlohmann/   nlohmann-json
#   <carry>/include/fmt/        fmt, used in header-only mode
#   <carry>/googletest/         GoogleTest sources (built here, for the tests)
#
# Defines the targets the build otherwise gets from find_package:
# nlohmann_json::nlohmann_json, fmt::fmt-header-only, GTest::gtest,
# GTest::gtest_main. The carried include folder comes before the system's.
if(NOT LTSWEEP_TRAINER_ONLY)
  message(FATAL_ERROR "LTSWEEP_CARRY_DIR is for -DLTSWEEP_TRAINER_ONLY=ON builds only")
endif()
get_filename_component(LTSWEEP_CARRY_DIR "${LTSWEEP_CARRY_DIR}" ABSOLUTE BASE_DIR "${PROJECT_SOURCE_DIR}")
foreach(header nlohmann/json.hpp fmt/format.h fmt/format-inl.h)
  if(NOT EXISTS "${LTSWEEP_CARRY_DIR}/include/${header}")
    message(FATAL_ERROR "LTSWEEP_CARRY_DIR=${LTSWEEP_CARRY_DIR}: include/${header} is missing "
                        "(fill it with deploy/gpu/carry-deps.sh)")
  endif()
endforeach()
message(STATUS "Header-only dependencies from ${LTSWEEP_CARRY_DIR}")

add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
set_target_properties(nlohmann_json::nlohmann_json PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${LTSWEEP_CARRY_DIR}/include")
add_library(fmt::fmt-header-only INTERFACE IMPORTED)
set_target_properties(fmt::fmt-header-only PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${LTSWEEP_CARRY_DIR}/include"
  INTERFACE_COMPILE_DEFINITIONS "FMT_HEADER_ONLY=1")

# GoogleTest from the carried sources; called by the top-level CMakeLists.txt
# once LibTorch's compile flags are known.
macro(ltsweep_carried_gtest)
  if(NOT EXISTS "${LTSWEEP_CARRY_DIR}/googletest/CMakeLists.txt")
    message(FATAL_ERROR "LTSWEEP_CARRY_DIR=${LTSWEEP_CARRY_DIR}: googletest/ is missing "
                        "(deploy/gpu/carry-deps.sh), or configure with -DLTSWEEP_BUILD_TESTS=OFF")
  endif()
  set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  add_subdirectory("${LTSWEEP_CARRY_DIR}/googletest" "${PROJECT_BINARY_DIR}/carried-googletest" EXCLUDE_FROM_ALL)
  if(NOT TARGET GTest::gtest)  # GoogleTest >= 1.11 defines them itself
    add_library(GTest::gtest ALIAS gtest)
    add_library(GTest::gtest_main ALIAS gtest_main)
  endif()
endmacro()
