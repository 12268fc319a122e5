# Tests of ltsweep_trainer_core (torch-free): one binary per module.
foreach(module numpy_random imbalance lr_schedule class_weights smote metrics image_data augment)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${module}_test.cc)
    ltsweep_test(${module}_test
      SOURCES ${CMAKE_CURRENT_LIST_DIR}/${module}_test.cc
      DEPS ltsweep_trainer_core nlohmann_json::nlohmann_json)
  endif()
endforeach()
