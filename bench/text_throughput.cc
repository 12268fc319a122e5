// Figures of the IMDB text track (prints, never asserts):
//   1. preprocessing of the 50,000 reviews (read gzip TSV, tokenise, stop
//      words, lemmatise, imbalance, split, vocabulary, write cache): cold, then
//      read back from the cache, with 1 and 2 threads;
//   2. BiLSTM training throughput (sequences/s) with 1 and 2 intra-op threads:
//      the real pipeline (batches built from the cached rank lists, then
//      forward + backward + Adam step) vs forward + backward + step on the same
//      batches already built as tensors.
//
// Usage: text_throughput [--data DIR] [--batches N] [--batch-size B]
//        [--max-features F] [--max-len L]
// DIR defaults to ../shared/data/imdb next to the source tree.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <torch/torch.h>

#include "trainer/text/bilstm.h"
#include "trainer/text/text_dataset.h"

namespace {

namespace fs = std::filesystem;
using ltsweep::trainer::text::BiLstmClassifier;
using ltsweep::trainer::text::BiLstmOptions;
using ltsweep::trainer::text::MakeTextBatch;
using ltsweep::trainer::text::PrepareTextData;
using ltsweep::trainer::text::TextBatch;
using ltsweep::trainer::text::TextData;
using ltsweep::trainer::text::TextDataOptions;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void Step(BiLstmClassifier& model, torch::optim::Adam& opt, const TextBatch& b) {
  opt.zero_grad();
  auto loss = torch::nn::functional::cross_entropy(model->forward(b.ids, b.lengths), b.labels);
  loss.backward();
  opt.step();
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  std::string data_dir = std::string(LTSWEEP_DEFAULT_SHARED_DIR) + "/data/imdb";
  int64_t batches = 8, batch_size = 128, max_features = 8000, max_len = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--data") data_dir = argv[i + 1];
    else if (a == "--batches") batches = std::atoll(argv[i + 1]);
    else if (a == "--batch-size") batch_size = std::atoll(argv[i + 1]);
    else if (a == "--max-features") max_features = std::atoll(argv[i + 1]);
    else if (a == "--max-len") max_len = std::atoll(argv[i + 1]);
  }
  if (!fs::exists(fs::path(data_dir) / "imdb_train.tsv.gz") && !fs::exists(fs::path(data_dir) / "train")) {
    std::printf("IMDB data not found under %s (pass --data DIR); nothing measured\n", data_dir.c_str());
    return 0;
  }
  fs::path cache = fs::temp_directory_path() / ("ltsweep-text-bench-" + std::to_string(::getpid()));
  TextDataOptions o;
  o.root = data_dir;
  o.cache_dir = cache.string();
  o.max_features = max_features;
  TextData data;
  std::printf("== preprocessing, 50,000 reviews (keep_fraction %.2f, val_split %.2f, max_features %lld)\n",
              o.keep_fraction, o.val_split, static_cast<long long>(o.max_features));
  for (int threads : {1, 2}) {
    fs::remove_all(cache);
    o.threads = threads;
    auto t0 = Clock::now();
    auto cold = PrepareTextData(o);
    double cold_s = Since(t0);
    if (!cold.ok()) {
      std::printf("error: %s\n", cold.status().ToString().c_str());
      return 1;
    }
    t0 = Clock::now();
    auto warm = PrepareTextData(o);
    double warm_s = Since(t0);
    if (!warm.ok() || !warm->from_cache) {
      std::printf("error: cache was not reused\n");
      return 1;
    }
    std::printf("threads %d: cold %.2f s, cached %.3f s (cache file %.1f MB)\n", threads, cold_s, warm_s,
                static_cast<double>(fs::file_size(warm->cache_file)) / 1e6);
    data = std::move(warm).value();
  }
  fs::remove_all(cache);
  std::printf("train %lld (neg %lld, pos %lld), dev %lld, test %lld\n", static_cast<long long>(data.train.size()),
              static_cast<long long>(data.train.ClassCounts()[0]), static_cast<long long>(data.train.ClassCounts()[1]),
              static_cast<long long>(data.dev.size()), static_cast<long long>(data.test.size()));

  std::printf("== BiLSTM (2 layers, emb 128, hidden 128), batch %lld, max_len %lld, %lld batches, CPU\n",
              static_cast<long long>(batch_size), static_cast<long long>(max_len), static_cast<long long>(batches));
  std::vector<int64_t> order(static_cast<size_t>(data.train.size()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>((i * 7919) % order.size());
  std::vector<std::vector<int64_t>> batch_rows;
  for (int64_t b = 0; b < batches + 1; ++b)
    batch_rows.emplace_back(order.begin() + b * batch_size, order.begin() + (b + 1) * batch_size);
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    torch::manual_seed(0);
    BiLstmOptions mo;
    mo.vocab_size = data.vocab.size();
    BiLstmClassifier model(mo);
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
    model->train();
    Step(model, opt, MakeTextBatch(data.train, batch_rows[0], max_len));  // warm-up
    // Pipeline and compute-only steps alternate batch by batch, so both see
    // the same allocator, optimizer state and machine load (measured one
    // after the other, the first run paid the warm-up and looked 25% slower).
    std::vector<TextBatch> ready;
    for (int64_t b = 1; b <= batches; ++b) ready.push_back(MakeTextBatch(data.train, batch_rows[static_cast<size_t>(b)], max_len));
    double pipeline_s = 0, compute_s = 0;
    for (int64_t b = 1; b <= batches; ++b) {
      auto t0 = Clock::now();
      Step(model, opt, MakeTextBatch(data.train, batch_rows[static_cast<size_t>(b)], max_len));
      pipeline_s += Since(t0);
      t0 = Clock::now();
      Step(model, opt, ready[static_cast<size_t>(b - 1)]);
      compute_s += Since(t0);
    }
    double n = static_cast<double>(batches * batch_size);
    std::printf("threads %d: real pipeline %.1f seq/s, in-memory tensors %.1f seq/s (pipeline/compute %.1f%%)\n",
                threads, n / pipeline_s, n / compute_s, 100.0 * compute_s / pipeline_s);
  }
  return 0;
}
