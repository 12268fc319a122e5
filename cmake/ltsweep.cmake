# Helpers shared by every CMakeLists.txt of the project.

# Warnings for project code only (third-party headers are included as SYSTEM).
set(LTSWEEP_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)

# ltsweep_library(NAME SOURCES ... [DEPS ...])
#   A static library for one folder. Includes are written from the repository
#   root ("common/status.h"), so the root is the public include directory.
function(ltsweep_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${LTSWEEP_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# ltsweep_executable(NAME SOURCES ... [DEPS ...])
function(ltsweep_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${LTSWEEP_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# ltsweep_test(NAME SOURCES ... [DEPS ...] [LABELS ...] [TIMEOUT seconds])
#   One GoogleTest binary per module, registered with ctest. Every test binary
#   links tests/testing (temp dirs, temp databases, IsOk matchers) and runs with
#   LTSWEEP_SOURCE_DIR / LTSWEEP_BINARY_DIR / LTSWEEP_SHARED_DIR in its
#   environment, so tests can find fixtures and ../shared/ without absolute
#   paths baked into the binary.
function(ltsweep_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${LTSWEEP_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} ltsweep_testing GTest::gtest GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    TIMEOUT ${ARG_TIMEOUT}
    LABELS "${ARG_LABELS}"
    ENVIRONMENT "LTSWEEP_SOURCE_DIR=${PROJECT_SOURCE_DIR};LTSWEEP_BINARY_DIR=${PROJECT_BINARY_DIR};LTSWEEP_SHARED_DIR=${LTSWEEP_SHARED_DIR};OPENBLAS_NUM_THREADS=1")
endfunction()

# Where ../shared/ lives (reference golden values, real data sets). Absent in a
# user's clone: tests that need it skip with a message.
set(LTSWEEP_SHARED_DIR "${PROJECT_SOURCE_DIR}/../shared" CACHE PATH
  "Folder with reference/ and data/ (optional)")
