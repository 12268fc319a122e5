# bench/store_bench: figures of the SQLite results store on a temporary file
# (single-row commits/s, metric rows/s in batches, full trial cycles/s).
if(TARGET ltsweep_store)
  ltsweep_executable(store_bench
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/store_bench.cc
    DEPS ltsweep_store)
endif()
