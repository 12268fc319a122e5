# bench/text_throughput: the IMDB text track's figures (BiLSTM sequences/s
# through the real pipeline vs compute on in-memory tensors, 1 and 2 threads;
# preprocessing of the 50,000 reviews cold and cached). Needs ../shared/data.
if(TARGET ltsweep_text_torch)
  ltsweep_executable(text_throughput
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/text_throughput.cc
    DEPS ltsweep_text_torch)
  target_compile_definitions(text_throughput PRIVATE
    LTSWEEP_DEFAULT_SHARED_DIR="${LTSWEEP_SHARED_DIR}")
endif()
