// Figures of the IMDB text track (prints, never asserts):
//   1. preprocessing of the 50,000 reviews (read gzip TSV, tokenise, stop
//      words, lemmatise, imbalance, split, vocabulary, write cache): cold, then
//      read back from the cache, with 1 and 2 threads;
//   2. BiLSTM training throughput (sequences/s) with 1 and 2 intra-op threads,
//      side by side, batch by batch on the same batches: ltsweep's BiLSTM
//      through the real pipeline (batches built from the cached rank lists,
//      then forward + backward + Adam step), the same on batches already built
//      as tensors, and the peer: plain LibTorch (Embedding, torch::nn::LSTM
//      2 layers bidirectional, Linear on h_n) on the same padded tensors,
//      which ignores padding semantics and sets the speed to reach. Prints the
//      BLAS library and its thread count (OpenBLAS is pinned to 1 thread),
//      wall and user+sys CPU time of each, and the load average.
//
// Usage: text_throughput [--data DIR] [--batches N] [--batch-size B]
//        [--max-features F] [--max-len L] [--threads 1,2] [--skip-preprocessing]
// DIR defaults to ../shared/data/imdb next to the source tree.
#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

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

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return s(u.ru_utime) + s(u.ru_stime);
}

std::string LoadAverage() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) return "?";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", load[0], load[1], load[2]);
  return buf;
}

// Pins OpenBLAS to one thread (LibTorch's intra-op threads are the only
// parallelism measured) and prints what BLAS is in use.
void PinAndPrintBlas() {
  using SetThreads = void (*)(int);
  using GetThreads = int (*)();
  using GetConfig = char* (*)();
  auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  auto config = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  if (set != nullptr) set(1);
  std::string torch_blas = "?";
  std::istringstream cfg(torch::show_config());
  for (std::string line; std::getline(cfg, line);) {
    auto at = line.find("BLAS_INFO=");
    if (at != std::string::npos) torch_blas = line.substr(at + 10, line.find(',', at) - at - 10);
  }
  Dl_info info{};
  void* sym = get != nullptr ? reinterpret_cast<void*>(get) : dlsym(RTLD_DEFAULT, "sgemm_");
  const char* file = sym != nullptr && dladdr(sym, &info) != 0 && info.dli_fname != nullptr ? info.dli_fname : "?";
  std::printf("BLAS: LibTorch built with %s; loaded %s (%s), %d thread(s); OPENBLAS_NUM_THREADS=%s\n",
              torch_blas.c_str(), config != nullptr ? config() : "not OpenBLAS", file, get != nullptr ? get() : -1,
              std::getenv("OPENBLAS_NUM_THREADS") != nullptr ? std::getenv("OPENBLAS_NUM_THREADS") : "unset");
}

// The peer: plain LibTorch on padded tensors, no length handling at all.
struct PlainBiLstmImpl : torch::nn::Module {
  explicit PlainBiLstmImpl(int64_t vocab) {
    embedding = register_module("embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(vocab + 1, 128).padding_idx(0)));
    lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(128, 128)
                                                       .num_layers(2)
                                                       .bidirectional(true)
                                                       .batch_first(true)
                                                       .dropout(0.5)));
    dropout = register_module("dropout", torch::nn::Dropout(0.5));
    linear = register_module("linear", torch::nn::Linear(256, 2));
  }
  torch::Tensor forward(const torch::Tensor& ids) {
    torch::Tensor h_n = std::get<0>(std::get<1>(lstm->forward(embedding(ids))));
    return linear(dropout(torch::cat({h_n[2], h_n[3]}, 1)));
  }
  torch::nn::Embedding embedding{nullptr};
  torch::nn::LSTM lstm{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(PlainBiLstm);

struct Meter {
  double wall = 0, cpu = 0;
  template <typename F>
  void Run(F&& f) {
    double c0 = CpuSeconds();
    auto t0 = Clock::now();
    f();
    wall += Since(t0);
    cpu += CpuSeconds() - c0;
  }
};

void Step(BiLstmClassifier& model, torch::optim::Adam& opt, const TextBatch& b) {
  opt.zero_grad();
  auto loss = torch::nn::functional::cross_entropy(model->forward(b.ids, b.lengths), b.labels);
  loss.backward();
  opt.step();
}

void PeerStep(PlainBiLstm& model, torch::optim::Adam& opt, const TextBatch& b) {
  opt.zero_grad();
  auto loss = torch::nn::functional::cross_entropy(model->forward(b.ids), b.labels);
  loss.backward();
  opt.step();
}

bool Preprocess(TextDataOptions o, const fs::path& cache, TextData* data) {
  std::printf("== preprocessing, 50,000 reviews (keep_fraction %.2f, val_split %.2f, max_features %lld)\n",
              o.keep_fraction, o.val_split, static_cast<long long>(o.max_features));
  for (int threads : {1, 2}) {
    fs::remove_all(cache);
    o.threads = threads;
    auto t0 = Clock::now();
    double c0 = CpuSeconds();
    auto cold = PrepareTextData(o);
    double cold_s = Since(t0), cold_cpu = CpuSeconds() - c0;
    if (!cold.ok()) {
      std::printf("error: %s\n", cold.status().ToString().c_str());
      return false;
    }
    t0 = Clock::now();
    auto warm = PrepareTextData(o);
    double warm_s = Since(t0);
    if (!warm.ok() || !warm->from_cache) {
      std::printf("error: cache was not reused\n");
      return false;
    }
    std::printf("threads %d: cold %.2f s (cpu %.2f s), cached %.3f s (cache file %.1f MB), load %s\n", threads, cold_s,
                cold_cpu, warm_s, static_cast<double>(fs::file_size(warm->cache_file)) / 1e6, LoadAverage().c_str());
    *data = std::move(warm).value();
  }
  return true;
}

struct Args {
  std::string data_dir = std::string(LTSWEEP_DEFAULT_SHARED_DIR) + "/data/imdb";
  int64_t batches = 8, batch_size = 128, max_features = 8000, max_len = 200;
  std::vector<int> threads = {1, 2};
  bool preprocessing = true;
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    if (f == "--skip-preprocessing") {
      a.preprocessing = false;
      continue;
    }
    if (i + 1 >= argc) break;
    std::string v = argv[++i];
    if (f == "--data") a.data_dir = v;
    else if (f == "--batches") a.batches = std::atoll(v.c_str());
    else if (f == "--batch-size") a.batch_size = std::atoll(v.c_str());
    else if (f == "--max-features") a.max_features = std::atoll(v.c_str());
    else if (f == "--max-len") a.max_len = std::atoll(v.c_str());
    else if (f == "--threads") {
      a.threads.clear();
      std::istringstream in(v);
      for (std::string t; std::getline(in, t, ',');) a.threads.push_back(std::atoi(t.c_str()));
    }
  }
  return a;
}

void MeasureBiLstm(const Args& args, const TextData& data, int threads) {
  torch::set_num_threads(threads);
  std::vector<int64_t> order(static_cast<size_t>(data.train.size()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>((i * 7919) % order.size());
  std::vector<std::vector<int64_t>> rows;
  for (int64_t b = 0; b < args.batches + 1; ++b)
    rows.emplace_back(order.begin() + b * args.batch_size, order.begin() + (b + 1) * args.batch_size);
  torch::manual_seed(0);
  BiLstmOptions mo;
  mo.vocab_size = data.vocab.size();
  BiLstmClassifier model(mo);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
  PlainBiLstm peer(data.vocab.size());
  torch::optim::Adam peer_opt(peer->parameters(), torch::optim::AdamOptions(1e-3));
  model->train();
  peer->train();
  std::vector<TextBatch> ready;
  double steps = 0;
  for (const auto& r : rows) {
    ready.push_back(MakeTextBatch(data.train, r, args.max_len));
    steps += static_cast<double>(ready.back().ids.size(1));
  }
  Step(model, opt, ready[0]);  // warm-up of both
  PeerStep(peer, peer_opt, ready[0]);
  // The three alternate batch by batch, so all see the same allocator state
  // and machine load.
  Meter pipeline, compute, plain;
  for (size_t b = 1; b < rows.size(); ++b) {
    pipeline.Run([&] { Step(model, opt, MakeTextBatch(data.train, rows[b], args.max_len)); });
    compute.Run([&] { Step(model, opt, ready[b]); });
    plain.Run([&] { PeerStep(peer, peer_opt, ready[b]); });
  }
  const double n = static_cast<double>(args.batches * args.batch_size);
  std::printf("threads %d (mean padded length %.0f), load %s:\n", threads, steps / static_cast<double>(rows.size()),
              LoadAverage().c_str());
  auto line = [&](const char* what, const Meter& m) {
    std::printf("  %-42s %6.1f seq/s  wall %6.2f s  cpu %6.2f s  (%.2fx plain by wall, %.2fx by cpu)\n", what,
                n / m.wall, m.wall, m.cpu, plain.wall / m.wall, plain.cpu / m.cpu);
  };
  line("ltsweep BiLSTM, real pipeline", pipeline);
  line("ltsweep BiLSTM, in-memory tensors", compute);
  line("plain LibTorch LSTM, same padded tensors", plain);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  const Args args = ParseArgs(argc, argv);
  if (!fs::exists(fs::path(args.data_dir) / "imdb_train.tsv.gz") && !fs::exists(fs::path(args.data_dir) / "train")) {
    std::printf("IMDB data not found under %s (pass --data DIR); nothing measured\n", args.data_dir.c_str());
    return 0;
  }
  PinAndPrintBlas();
  fs::path cache = fs::temp_directory_path() / ("ltsweep-text-bench-" + std::to_string(::getpid()));
  TextDataOptions o;
  o.root = args.data_dir;
  o.cache_dir = cache.string();
  o.max_features = args.max_features;
  TextData data;
  if (args.preprocessing) {
    if (!Preprocess(o, cache, &data)) return 1;
  } else {
    auto d = PrepareTextData(o);
    if (!d.ok()) {
      std::printf("error: %s\n", d.status().ToString().c_str());
      return 1;
    }
    data = std::move(d).value();
  }
  fs::remove_all(cache);
  std::printf("train %lld (neg %lld, pos %lld), dev %lld, test %lld\n", static_cast<long long>(data.train.size()),
              static_cast<long long>(data.train.ClassCounts()[0]), static_cast<long long>(data.train.ClassCounts()[1]),
              static_cast<long long>(data.dev.size()), static_cast<long long>(data.test.size()));
  std::printf("== BiLSTM (2 layers, emb 128, hidden 128), batch %lld, max_len %lld, %lld batches, CPU\n",
              static_cast<long long>(args.batch_size), static_cast<long long>(args.max_len),
              static_cast<long long>(args.batches));
  for (int threads : args.threads) MeasureBiLstm(args, data, threads);
  return 0;
}
