# Benchmarks of the trainer's torch-free code: SMOTE / borderline-SMOTE on
# CIFAR-10-LT input space, CIFAR reading (xz vs cached), batch augmentation.
if(TARGET ltsweep_image)
  ltsweep_executable(smote_bench
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/smote_bench.cc
    DEPS ltsweep_image ltsweep_trainer_core)
endif()
