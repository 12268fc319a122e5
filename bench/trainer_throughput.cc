// trainer_throughput: images/second of ResNet-32 training on CIFAR-10-LT
// (rho 100, 12,406 images) with 1 and 2 intra-op threads, measured two ways:
//   compute  forward + backward + SGD step on one batch already in memory
//            (the upper bound: no data work at all);
//   pipeline the real path of ltsweep-train: epoch order, BatchLoader
//            (background thread, ring of buffers, augmentation into the
//            batch buffer), from_blob, forward + backward + step.
// The target is pipeline >= 90% of compute.
//
//   trainer_throughput [--iters N | --full-epoch] [--threads 1,2] [--cifar DIR]
//
// The two are measured interleaved, batch by batch (see Measure()).
//
// Data: CIFAR-10 from DIR (default: $LTSWEEP_SHARED_DIR/data/cifar10, else
// the build's ../shared/data/cifar10) when present, else a synthetic 32x32 set
// of the same size and class counts. By default both figures use the same
// fixed number of iterations (--iters, default 16) because a full epoch takes
// minutes on a small CPU; --full-epoch runs the pipeline over all 97 batches.
// Prints figures; asserts nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/config_schema.h"
#include "trainer/core/numpy_random.h"
#include "trainer/image/augment.h"
#include "trainer/image/batch_loader.h"
#include "trainer/image/image_data.h"
#include "trainer/losses.h"
#include "trainer/models.h"

namespace ltsweep::trainer {
namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Setup {
  ImageData data;
  std::string source;
};

Setup LoadData(const std::string& cifar_dir) {
  nlohmann::json partial = {{"data", {{"imbalance", {{"type", "exp"}, {"ratio", 100}}}}}, {"model", {{"arch", "resnet32"}}}};
  Setup s;
  if (!cifar_dir.empty() && std::filesystem::exists(cifar_dir)) {
    partial["data"]["dataset"] = "cifar10";
    partial["data"]["root"] = cifar_dir;
    partial["data"]["cache_dir"] = (std::filesystem::temp_directory_path() / "ltsweep-bench-cache").string();
    s.source = "CIFAR-10-LT from " + cifar_dir;
  } else {
    partial["data"]["dataset"] = "synthetic";
    partial["data"]["synthetic"] = {{"num_classes", 10}, {"train_per_class", 5000}, {"test_per_class", 10}, {"image_size", 32}};
    s.source = "synthetic 32x32 (no CIFAR-10 found)";
  }
  auto resolved = ResolveTrialConfig(partial);
  if (!resolved.ok()) {
    std::fprintf(stderr, "%s\n", resolved.status().ToString().c_str());
    std::exit(2);
  }
  s.data = LoadImageData(*resolved);
  return s;
}

struct Trainer {
  ResNetCifar model{nullptr};
  std::unique_ptr<torch::optim::SGD> sgd;
  std::unique_ptr<Loss> loss;
  explicit Trainer(int classes) {
    torch::manual_seed(0);
    ResNetOptions o;
    o.num_classes = classes;
    model = ResNetCifar(o);
    model->train();
    sgd = std::make_unique<torch::optim::SGD>(model->parameters(),
                                              torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(2e-4));
    LossOptions lo;
    loss = std::make_unique<Loss>(lo);
  }
  void Step(const torch::Tensor& x, const torch::Tensor& y) {
    sgd->zero_grad();
    torch::Tensor l = (*loss)(model->forward(x), y);
    l.backward();
    sgd->step();
    (void)l.item<double>();  // the loop reads the loss every step too
  }
};

struct Figures {
  double compute = 0;   // img/s, forward + backward + step on an in-memory batch
  double pipeline = 0;  // img/s, the real pipeline
  int64_t images = 0;   // images through the pipeline
};

// The two measurements are interleaved batch by batch (one pipeline step,
// then one compute-only step of a second, identical model), so both see the
// same machine load; on a shared machine, measuring them one after the other
// compares different moments. Interleaving does not help the pipeline: its
// producer fills the ring in milliseconds while a step takes far longer, so
// Next() returns at once either way.
Figures Measure(const ImageSet& set, int iters) {
  Trainer real(set.num_classes), compute(set.num_classes);
  torch::Tensor x = torch::randn({128, set.channels, set.height, set.width});
  torch::Tensor y = torch::randint(0, set.num_classes, {128}, torch::kInt64);
  BatchLoader loader(set, AugmentOptions::ForDataset("cifar10", true), BatchLoaderOptions{});
  std::vector<int64_t> order(static_cast<size_t>(set.num));
  std::iota(order.begin(), order.end(), 0);
  NumpyRandomState rng(1);
  rng.Shuffle(order.data(), order.size());
  auto step = [&](const BatchView& b) {
    real.Step(torch::from_blob(b.data, {b.size, set.channels, set.height, set.width}, torch::kFloat32),
              torch::from_blob(b.labels, {b.size}, torch::kInt64));
  };
  // Warm-up: two batches of each.
  loader.StartEpoch(std::vector<int64_t>(order.begin(), order.begin() + 256), 7);
  BatchView b;
  while (loader.Next(&b)) {
    step(b);
    loader.Release(b.slot);
    compute.Step(x, y);
  }
  if (iters > 0) order.resize(std::min<size_t>(order.size(), static_cast<size_t>(iters) * 128));
  Figures f;
  double pipeline_s = 0, compute_s = 0;
  int64_t compute_images = 0;
  loader.StartEpoch(order, 11);
  auto t = Clock::now();
  while (loader.Next(&b)) {  // the wait for the batch counts as pipeline time
    step(b);
    f.images += b.size;
    loader.Release(b.slot);
    pipeline_s += Since(t);
    t = Clock::now();
    compute.Step(x, y);
    compute_images += 128;
    compute_s += Since(t);
    t = Clock::now();
  }
  f.pipeline = static_cast<double>(f.images) / pipeline_s;
  f.compute = static_cast<double>(compute_images) / compute_s;
  return f;
}

int Main(int argc, char** argv) {
  int iters = 16;
  std::vector<int> thread_counts = {1, 2};
  std::string cifar;
  if (const char* shared = std::getenv("LTSWEEP_SHARED_DIR")) cifar = std::string(shared) + "/data/cifar10";
#ifdef LTSWEEP_BENCH_SHARED_DIR
  if (cifar.empty()) cifar = std::string(LTSWEEP_BENCH_SHARED_DIR) + "/data/cifar10";
#endif
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--full-epoch") {
      iters = 0;
    } else if (a == "--iters" && i + 1 < argc) {
      iters = std::atoi(argv[++i]);
    } else if (a == "--cifar" && i + 1 < argc) {
      cifar = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      thread_counts.clear();
      std::stringstream ss(argv[++i]);
      for (std::string t; std::getline(ss, t, ',');) thread_counts.push_back(std::atoi(t.c_str()));
    } else {
      std::fprintf(stderr, "usage: trainer_throughput [--iters N | --full-epoch] [--threads 1,2] [--cifar DIR]\n");
      return 2;
    }
  }
  auto t0 = Clock::now();
  Setup s = LoadData(cifar);
  std::printf("data: %s, %d training images, loaded in %.1f s\n", s.source.c_str(), s.data.train.num, Since(t0));
  std::printf("pipeline: %s\n", iters > 0 ? ("first " + std::to_string(iters) + " batches of 128 of an epoch").c_str()
                                          : "one full epoch");
  at::set_num_interop_threads(1);
  for (int threads : thread_counts) {
    at::set_num_threads(threads);
    Figures f = Measure(s.data.train, iters);
    std::printf("threads %d: compute-only %.1f img/s, real pipeline %.1f img/s (%lld images), ratio %.1f%%\n",
                threads, f.compute, f.pipeline, static_cast<long long>(f.images), 100.0 * f.pipeline / f.compute);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace ltsweep::trainer

int main(int argc, char** argv) { return ltsweep::trainer::Main(argc, argv); }
