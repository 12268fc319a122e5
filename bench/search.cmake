# bench/search_replay: search methods (grid, random, ASHA, median, TPE,
# TPE+ASHA) replayed over recorded and synthetic learning curves, with the
# Optuna peer (bench/peers/optuna_replay.py) in the same run.
if(TARGET ltsweep_search AND TARGET ltsweep_spec)
  ltsweep_executable(search_replay
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/search_replay.cc
            ${CMAKE_CURRENT_LIST_DIR}/search_replay/replay_set.cc
            ${CMAKE_CURRENT_LIST_DIR}/search_replay/replay_methods.cc
            ${CMAKE_CURRENT_LIST_DIR}/search_replay/replay_summary.cc
    DEPS ltsweep_search ltsweep_spec fmt::fmt-header-only)
  target_compile_definitions(search_replay PRIVATE LTSWEEP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
