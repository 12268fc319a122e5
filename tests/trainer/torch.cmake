# Tests of the LibTorch side of the trainer (trainer/torch.cmake).
ltsweep_test(trainer_models_test SOURCES models_test.cc DEPS ltsweep_trainer)
ltsweep_test(trainer_losses_test SOURCES losses_test.cc DEPS ltsweep_trainer)
# train_test runs the real ltsweep-train binary as a child process.
ltsweep_test(trainer_train_test SOURCES train_test.cc DEPS nlohmann_json::nlohmann_json TIMEOUT 480)
target_compile_definitions(trainer_train_test PRIVATE LTSWEEP_TRAIN_BINARY="$<TARGET_FILE:ltsweep-train>")
add_dependencies(trainer_train_test ltsweep-train)
ltsweep_test(trainer_batch_loader_test SOURCES batch_loader_test.cc DEPS ltsweep_trainer)
