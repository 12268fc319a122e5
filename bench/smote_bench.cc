// Prints figures for the trainer's torch-free core on CIFAR-10-LT (rho 100):
//   * reading the CIFAR-10 training batches: .xz directly vs a decompressed cache;
//   * batch augmentation throughput (pad + crop + flip + normalise);
//   * SMOTE, borderline-1 and borderline-2 on the 12,406 x 3,072 input space
//     (pixels / 255 as float), with 1 and N threads.
// Usage: smote_bench [CIFAR-10 folder (default ../shared/data/cifar10)] [threads (default 2)]
// Without the folder it uses random data of the same shape (timings only).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "trainer/core/imbalance.h"
#include "trainer/core/smote.h"
#include "trainer/image/augment.h"
#include "trainer/image/data_file.h"
#include "trainer/image/image_data.h"

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

}  // namespace

int main(int argc, char** argv) {
  using namespace ltsweep::trainer;
  namespace fs = std::filesystem;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  std::string dir = argc > 1 ? argv[1] : "../shared/data/cifar10";
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;

  ImageSet train;
  if (fs::exists(fs::path(dir) / "data_batch_1.bin.xz") || fs::exists(fs::path(dir) / "data_batch_1.bin")) {
    auto t0 = Clock::now();
    train = ReadCifar10(dir, true);
    std::printf("read CIFAR-10 train (as stored, xz decoded in-process): %.2f s\n", Seconds(t0));
    fs::path cache = fs::temp_directory_path() / "ltsweep_smote_bench_cache";
    ReadCifar10(dir, true, cache.string());  // fills the cache
    t0 = Clock::now();
    ReadCifar10(dir, true, cache.string());
    std::printf("read CIFAR-10 train (decompressed cache):               %.2f s\n", Seconds(t0));
    fs::remove_all(cache);
  } else {
    std::printf("no CIFAR-10 at %s: random pixels of the same shape\n", dir.c_str());
    train.num = 50000;
    train.channels = 3;
    train.height = train.width = 32;
    train.num_classes = 10;
    std::mt19937 g(1);
    train.pixels.resize(static_cast<size_t>(train.num) * 3072);
    for (auto& p : train.pixels) p = static_cast<uint8_t>(g());
    for (int i = 0; i < train.num; ++i) train.labels.push_back(i % 10);
  }
  auto counts = ImbalancedClassCounts(10, 5000.0, ImbalanceType::kExp, 100);
  ImageSet lt = train.Subset(KeptPositions(train.labels, 10, counts, 0));
  std::printf("CIFAR-10-LT rho 100: %d images\n", lt.num);

  {
    AugmentOptions o = AugmentOptions::ForDataset("cifar10", true);
    std::vector<int64_t> idx(128);
    std::vector<float> out(128 * 3072);
    auto t0 = Clock::now();
    int64_t images = 0;
    for (int b = 0; images < lt.num * 2; ++b) {
      for (int i = 0; i < 128; ++i) idx[i] = (b * 128 + i) % lt.num;
      AssembleTrainBatch(lt, idx.data(), 128, o, static_cast<uint64_t>(b), out.data());
      images += 128;
    }
    std::printf("augmentation (pad 4, crop, flip, normalise), 1 thread: %.0f images/s\n",
                static_cast<double>(images) / Seconds(t0));
  }

  std::vector<float> x(lt.pixels.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(lt.pixels[i]) / 255.0f;
  for (SmoteKind kind : {SmoteKind::kSmote, SmoteKind::kBorderline1, SmoteKind::kBorderline2}) {
    for (int t : {1, threads}) {
      SmoteOptions o;
      o.kind = kind;
      o.num_threads = t;
      auto t0 = Clock::now();
      auto r = Oversample(x.data(), lt.num, 3072, lt.labels.data(), o);
      double s = Seconds(t0);
      int64_t danger = 0;
      for (const auto& c : r.classes) danger += static_cast<int64_t>(c.danger_rows.size());
      const char* name = kind == SmoteKind::kSmote ? "SMOTE" : kind == SmoteKind::kBorderline1 ? "borderline-1" : "borderline-2";
      std::printf("%-13s threads %d: %7.2f s, %zu new rows, %lld danger rows\n", name, t, s, r.y_new.size(),
                  static_cast<long long>(danger));
      if (threads == 1) break;
    }
  }
  return 0;
}
