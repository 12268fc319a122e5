# coordinator_load: N fake workers (threads, one channel each) against a real
# coordinator on a real database file; prints trials/s, lease latency and
# metric rows/s. See coordinator_load.cc.
if(TARGET ltsweep_coordinator)
  ltsweep_executable(coordinator_load
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/coordinator_load.cc
    DEPS ltsweep_coordinator ltsweep_proto gRPC::grpc++)
endif()
