# ltsweep_trainer_core: the trainer's torch-free part (numpy-compatible RNG,
# long-tail subsets, LR schedules, class weights and samplers, SMOTE, metrics,
# CIFAR / Fashion-MNIST / synthetic readers, batch augmentation). No LibTorch
# include anywhere here: it compiles fast and tests without it.
ltsweep_library(ltsweep_trainer_core
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/numpy_random.cc
    ${CMAKE_CURRENT_LIST_DIR}/imbalance.cc
    ${CMAKE_CURRENT_LIST_DIR}/lr_schedule.cc
    ${CMAKE_CURRENT_LIST_DIR}/class_weights.cc
    ${CMAKE_CURRENT_LIST_DIR}/smote.cc
    ${CMAKE_CURRENT_LIST_DIR}/metrics.cc
    ${CMAKE_CURRENT_LIST_DIR}/data_file.cc
    ${CMAKE_CURRENT_LIST_DIR}/image_data.cc
    ${CMAKE_CURRENT_LIST_DIR}/augment.cc
  DEPS ltsweep_common ZLIB::ZLIB LibLZMA::LibLZMA Threads::Threads)
# The neighbour search of SMOTE is the one hot loop here (CIFAR-size inputs):
# let the compiler unroll and vectorise it fully.
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/smote.cc ${CMAKE_CURRENT_LIST_DIR}/augment.cc
  PROPERTIES COMPILE_OPTIONS "-O3")
