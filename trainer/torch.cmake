# ltsweep_trainer: the LibTorch side of the trainer (models, losses, data
# pipeline, training loop, checkpoints) and the ltsweep-train executable.
# Links ltsweep_trainer_core, ltsweep_common and LibTorch only: never gRPC,
# SQLite or yaml-cpp. Few torch-including translation units on purpose (each
# costs about a minute to compile): models.cc, losses.cc, checkpoint.cc,
# train_loop.cc. batch_loader.cc and main.cc are torch-free.
ltsweep_library(ltsweep_trainer
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/models.cc
    ${CMAKE_CURRENT_LIST_DIR}/losses.cc
    ${CMAKE_CURRENT_LIST_DIR}/checkpoint.cc
    ${CMAKE_CURRENT_LIST_DIR}/batch_loader.cc
    ${CMAKE_CURRENT_LIST_DIR}/train_loop.cc
  DEPS ltsweep_trainer_core ltsweep_common Threads::Threads ${TORCH_LIBRARIES})

ltsweep_executable(ltsweep-train
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/main.cc
  DEPS ltsweep_trainer ${CMAKE_DL_LIBS}
       $<TARGET_NAME_IF_EXISTS:ltsweep_text_torch>)
# The IMDB text track (trainer/text/, another part) plugs in through
# RunTextTrial() when its library exists; without it, data.dataset imdb exits 2.
target_compile_definitions(ltsweep-train PRIVATE
  $<$<TARGET_EXISTS:ltsweep_text_torch>:LTSWEEP_HAVE_TEXT_TRACK=1>)
