# coordinator_load: N fake workers (threads, one channel each) against a real
# coordinator on a real database file; prints trials/s, lease latency and
# metric rows/s. See coordinator_load.cc.
if(TARGET ltsweep_coordinator)
  ltsweep_executable(coordinator_load
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/coordinator_load.cc
    DEPS ltsweep_coordinator ltsweep_proto gRPC::grpc++)
endif()

# large_sweep: a 100,000-trial sweep on a real coordinator: submit time,
# lease/finish throughput with 1k and 100k trials queued, lease latency while
# the big submit runs, status/results latency (issue 14). See large_sweep.cc.
if(TARGET ltsweep_coordinator)
  ltsweep_executable(large_sweep
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/large_sweep.cc
    DEPS ltsweep_coordinator ltsweep_proto gRPC::grpc++)
endif()
