# bench/dashboard_bench: what one poll of the dashboard costs on a large sweep
# (docs/dashboard.md, "Large sweeps").
if(TARGET ltsweep_dashboard)
  ltsweep_executable(dashboard_bench
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/dashboard_bench.cc
    DEPS ltsweep_dashboard ltsweep_store)
endif()
