# trainer_throughput: ResNet-32 images/s, real pipeline vs compute only.
if(TARGET ltsweep_trainer)
  ltsweep_executable(trainer_throughput
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/trainer_throughput.cc
    DEPS ltsweep_image ltsweep_trainer)
  target_compile_definitions(trainer_throughput PRIVATE LTSWEEP_BENCH_SHARED_DIR="${LTSWEEP_SHARED_DIR}")
endif()
