# The fuzz targets, one line each: ltsweep_fuzz_target(NAME SOURCES ... LIBS ...)
#   NAME     the target is NAME_fuzz; its seed corpus is corpus/NAME/
#   SOURCES  the LLVMFuzzerTestOneInput file (relative to tests/fuzz/)
#   LIBS     what it links, among fuzz_common (common/), fuzz_spec (spec/,
#            yaml-cpp), fuzz_worker (worker's proto-free checks and the
#            event mapper, with the protobuf messages), fuzz_checkpoint
#            (the trainer's torch-free checkpoint framing)
# Adding a target is one line here plus its corpus folder.
ltsweep_fuzz_target(spec SOURCES spec_fuzz.cc LIBS fuzz_spec)
ltsweep_fuzz_target(config SOURCES config_fuzz.cc LIBS fuzz_worker)
ltsweep_fuzz_target(event SOURCES event_fuzz.cc LIBS fuzz_worker)
ltsweep_fuzz_target(checkpoint SOURCES checkpoint_fuzz.cc LIBS fuzz_checkpoint)
ltsweep_fuzz_target(trial_log SOURCES trial_log_fuzz.cc LIBS fuzz_worker)
