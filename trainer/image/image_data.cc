#include "trainer/image/image_data.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "trainer/core/config_value.h"
#include "trainer/core/errors.h"
#include "trainer/core/imbalance.h"
#include "trainer/image/data_file.h"

namespace ltsweep::trainer {
namespace {

constexpr int kCifarPixels = 3 * 32 * 32;
constexpr const char* kDefaultFashionMnistRoot = "/usr/share/datasets/fashion-mnist";
// The most an IDX file (header and body) may hold: 1 GiB, about 20 times
// Fashion-MNIST's training images.
constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 30;

std::vector<std::string> ReadClassNames(const std::string& dir, const std::string& file, int num_classes,
                                        std::vector<std::string> fallback) {
  std::ifstream in(dir + "/" + file);
  std::vector<std::string> names;
  std::string line;
  while (in && std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (static_cast<int>(names.size()) == num_classes) return names;
  if (static_cast<int>(fallback.size()) == num_classes) return fallback;
  std::vector<std::string> numbered;
  for (int i = 0; i < num_classes; ++i) numbered.push_back(std::to_string(i));
  return numbered;
}

// Appends the records of one CIFAR batch file: `label_bytes` label bytes (the
// last one used) followed by 3,072 pixel bytes, exactly `records` records.
void ReadCifarFile(const std::string& dir, const std::string& name, const std::string& cache_dir, int label_bytes,
                   int64_t records, int num_classes, ImageSet* set) {
  std::string path;
  const int64_t record = label_bytes + kCifarPixels;
  const int64_t expected = records * record;
  // Never more than a batch holds, however far the stream would expand.
  std::vector<uint8_t> bytes = ReadDataFileCached(dir, name, cache_dir, static_cast<uint64_t>(expected), &path);
  if (static_cast<int64_t>(bytes.size()) != expected) {
    throw DataError(fmt::format("{}: wrong size: {} bytes, expected {} ({} records of {} bytes){}", path, bytes.size(),
                                expected, records, record,
                                static_cast<int64_t>(bytes.size()) < expected ? " (truncated)" : ""));
  }
  const size_t old = set->labels.size();
  set->labels.resize(old + records);
  set->pixels.resize((old + records) * kCifarPixels);
  for (int64_t i = 0; i < records; ++i) {
    const uint8_t* r = bytes.data() + i * record;
    int label = r[label_bytes - 1];
    if (label >= num_classes) {
      throw DataError(fmt::format("{}: record {}: label {} out of range 0..{}", path, i, label, num_classes - 1));
    }
    set->labels[old + i] = label;
    std::copy(r + label_bytes, r + record, set->pixels.begin() + (old + i) * kCifarPixels);
  }
}

ImageSet EmptyCifar(int num_classes) {
  ImageSet set;
  set.channels = 3;
  set.height = 32;
  set.width = 32;
  set.num_classes = num_classes;
  return set;
}

uint32_t ReadBigEndian32(const std::vector<uint8_t>& b, size_t offset) {
  return (uint32_t{b[offset]} << 24) | (uint32_t{b[offset + 1]} << 16) | (uint32_t{b[offset + 2]} << 8) |
         uint32_t{b[offset + 3]};
}

struct IdxFile {
  std::string path;
  std::vector<uint64_t> dims;
  std::vector<uint8_t> bytes;  // header and body
};

// Reads an IDX uint8 file of `num_dims` dimensions: the header first, then at
// most the size it implies (capped by kMaxIdxBytes), so a small compressed
// file cannot expand past what its header declares. Images are at most
// 4096 x 4096.
IdxFile ReadIdx(const std::string& path, uint32_t magic, int num_dims, const char* kind) {
  IdxFile idx{path, {}, {}};
  const size_t header = 4 + 4 * static_cast<size_t>(num_dims);
  std::vector<uint8_t> head = ReadDataFileHead(path, header);
  if (head.size() < header) throw DataError(fmt::format("{}: truncated: {} bytes, no IDX header", path, head.size()));
  if (uint32_t got = ReadBigEndian32(head, 0); got != magic) {
    throw DataError(fmt::format("{}: bad magic number {} (expected {}, {})", path, got, magic, kind));
  }
  uint64_t body = 1;
  for (int d = 0; d < num_dims; ++d) idx.dims.push_back(ReadBigEndian32(head, 4 + 4 * static_cast<size_t>(d)));
  if (num_dims == 3 && (idx.dims[1] == 0 || idx.dims[2] == 0 || idx.dims[1] > 4096 || idx.dims[2] > 4096)) {
    throw DataError(fmt::format("{}: implausible image size {} x {}", path, idx.dims[1], idx.dims[2]));
  }
  for (uint64_t d : idx.dims) body = d == 0 ? 0 : (body > kMaxIdxBytes / d ? kMaxIdxBytes + 1 : body * d);
  if (header + body > kMaxIdxBytes) {
    throw DataError(fmt::format("{}: the IDX header declares more than {} bytes, the most this reader accepts",
                                path, kMaxIdxBytes));
  }
  idx.bytes = ReadDataFile(path, header + body);
  if (idx.bytes.size() != header + body) {
    throw DataError(fmt::format("{}: wrong size: {} bytes, expected {} for {} items (truncated)", path,
                                idx.bytes.size(), header + body, idx.dims[0]));
  }
  return idx;
}

std::string ResolveCacheDir(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("LTSWEEP_CACHE_DIR"); env && *env) return env;
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/ltsweep";
  return "";
}

// Positions of the first images of each class (file order), `limit` in all,
// limit / C per class and the remainder to the lowest classes.
std::vector<int64_t> StratifiedFirst(const ImageSet& set, int64_t limit) {
  const int c = set.num_classes;
  std::vector<int64_t> quota(c, limit / c);
  for (int i = 0; i < limit % c; ++i) ++quota[i];
  std::vector<int64_t> taken(c, 0);
  std::vector<int64_t> positions;
  for (int64_t i = 0; i < set.num; ++i) {
    int l = set.labels[i];
    if (taken[l] < quota[l]) {
      ++taken[l];
      positions.push_back(i);
    }
  }
  return positions;
}

}  // namespace

ImageSet ImageSet::Subset(const std::vector<int64_t>& positions) const {
  ImageSet out;
  out.num = static_cast<int>(positions.size());
  out.channels = channels;
  out.height = height;
  out.width = width;
  out.num_classes = num_classes;
  out.class_names = class_names;
  const int64_t size = image_size();
  out.pixels.resize(positions.size() * size);
  out.labels.resize(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    int64_t p = positions[i];
    if (p < 0 || p >= num) throw DataError(fmt::format("image subset: position {} outside [0, {})", p, num));
    std::copy(image(p), image(p) + size, out.pixels.begin() + i * size);
    out.labels[i] = labels[p];
  }
  return out;
}

ImageSet ReadCifar10(const std::string& dir, bool train, const std::string& cache_dir) {
  ImageSet set = EmptyCifar(10);
  if (train) {
    for (int b = 1; b <= 5; ++b) ReadCifarFile(dir, fmt::format("data_batch_{}.bin", b), cache_dir, 1, 10000, 10, &set);
  } else {
    ReadCifarFile(dir, "test_batch.bin", cache_dir, 1, 10000, 10, &set);
  }
  set.num = static_cast<int>(set.labels.size());
  set.class_names = ReadClassNames(dir, "batches.meta.txt", 10,
                                   {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                                    "truck"});
  return set;
}

ImageSet ReadCifar100(const std::string& dir, bool train, const std::string& cache_dir) {
  ImageSet set = EmptyCifar(100);
  ReadCifarFile(dir, train ? "train.bin" : "test.bin", cache_dir, 2, train ? 50000 : 10000, 100, &set);
  set.num = static_cast<int>(set.labels.size());
  set.class_names = ReadClassNames(dir, "fine_label_names.txt", 100, {});
  return set;
}

ImageSet ReadFashionMnist(const std::string& dir, bool train) {
  const std::string prefix = train ? "train" : "t10k";
  const IdxFile images = ReadIdx(FindDataFile(dir, prefix + "-images-idx3-ubyte"), 2051, 3, "IDX uint8 3-D");
  const IdxFile labels = ReadIdx(FindDataFile(dir, prefix + "-labels-idx1-ubyte"), 2049, 1, "IDX uint8 1-D");
  const uint64_t n = images.dims[0], rows = images.dims[1], cols = images.dims[2];
  if (n != labels.dims[0]) {
    throw DataError(fmt::format("{}: {} labels but {} has {} images", labels.path, labels.dims[0], images.path, n));
  }
  ImageSet set;
  set.num = static_cast<int>(n);
  set.channels = 1;
  set.height = static_cast<int>(rows);
  set.width = static_cast<int>(cols);
  set.num_classes = 10;
  set.pixels.assign(images.bytes.begin() + 16, images.bytes.end());
  set.labels.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    int label = labels.bytes[8 + i];
    if (label >= 10) throw DataError(fmt::format("{}: label {} of item {} out of range 0..9", labels.path, label, i));
    set.labels[i] = label;
  }
  set.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return set;
}

ImageSet MakeSyntheticImages(const SyntheticOptions& o, bool train) {
  if (o.num_classes < 2) throw ConfigError(fmt::format("data.synthetic.num_classes: {} must be >= 2", o.num_classes));
  if (o.image_size < 4) throw ConfigError(fmt::format("data.synthetic.image_size: {} must be >= 4", o.image_size));
  const int per_class = train ? o.train_per_class : o.test_per_class;
  if (per_class < 1) {
    throw ConfigError(fmt::format("data.synthetic.{}_per_class: {} must be >= 1", train ? "train" : "test", per_class));
  }
  const int s = o.image_size;
  const int64_t pixels = 3LL * s * s;
  auto uniform = [](std::mt19937& g) { return static_cast<double>(g() >> 8) * (1.0 / 16777216.0); };
  // Class patterns: an oriented sinusoid per channel with class-specific
  // frequency, direction and phase, plus a class colour bias.
  std::vector<double> pattern(static_cast<size_t>(o.num_classes) * pixels);
  for (int c = 0; c < o.num_classes; ++c) {
    std::mt19937 g(7919u * static_cast<uint32_t>(c) + 17u);
    for (int ch = 0; ch < 3; ++ch) {
      const double angle = 3.14159265358979 * uniform(g);
      const double freq = 0.6 + 1.4 * uniform(g);
      const double phase = 6.28318530717959 * uniform(g);
      const double bias = 0.3 * (uniform(g) - 0.5);
      for (int yy = 0; yy < s; ++yy) {
        for (int xx = 0; xx < s; ++xx) {
          double t = freq * (std::cos(angle) * xx + std::sin(angle) * yy) + phase;
          pattern[c * pixels + (ch * s + yy) * s + xx] = 0.5 + bias + 0.3 * std::sin(t);
        }
      }
    }
  }
  ImageSet set;
  set.num = o.num_classes * per_class;
  set.channels = 3;
  set.height = s;
  set.width = s;
  set.num_classes = o.num_classes;
  set.pixels.resize(static_cast<size_t>(set.num) * pixels);
  set.labels.resize(set.num);
  for (int c = 0; c < o.num_classes; ++c) set.class_names.push_back(fmt::format("class{}", c));
  std::mt19937 g(train ? 20240601u : 20240602u);
  // Class-interleaved order (0, 1, ..., C-1, 0, 1, ...), like a shuffled file.
  for (int i = 0; i < set.num; ++i) {
    const int c = i % o.num_classes;
    set.labels[i] = c;
    const double brightness = 0.2 * (uniform(g) - 0.5);
    for (int64_t p = 0; p < pixels; ++p) {
      double v = pattern[c * pixels + p] + brightness + 0.3 * (uniform(g) - 0.5);
      set.pixels[i * pixels + p] = static_cast<uint8_t>(std::clamp(std::lround(255.0 * v), 0L, 255L));
    }
  }
  return set;
}

ImageData LoadImageData(const nlohmann::json& config) {
  ImageData data;
  data.dataset = ConfigValue<std::string>(config, "data.dataset");
  std::string root = ConfigValue<std::string>(config, "data.root");
  const std::string cache_dir = ResolveCacheDir(ConfigValue<std::string>(config, "data.cache_dir"));
  if (data.dataset == "cifar10" || data.dataset == "cifar100") {
    if (root.empty()) throw ConfigError(fmt::format("data.root: required for data.dataset {}", data.dataset));
    bool c10 = data.dataset == "cifar10";
    data.train = c10 ? ReadCifar10(root, true, cache_dir) : ReadCifar100(root, true, cache_dir);
    data.test = c10 ? ReadCifar10(root, false, cache_dir) : ReadCifar100(root, false, cache_dir);
  } else if (data.dataset == "fashion_mnist") {
    if (root.empty()) root = kDefaultFashionMnistRoot;
    data.train = ReadFashionMnist(root, true);
    data.test = ReadFashionMnist(root, false);
  } else if (data.dataset == "synthetic") {
    SyntheticOptions o;
    o.num_classes = ConfigValue<int>(config, "data.synthetic.num_classes");
    o.train_per_class = ConfigValue<int>(config, "data.synthetic.train_per_class");
    o.test_per_class = ConfigValue<int>(config, "data.synthetic.test_per_class");
    o.image_size = ConfigValue<int>(config, "data.synthetic.image_size");
    data.train = MakeSyntheticImages(o, true);
    data.test = MakeSyntheticImages(o, false);
  } else {
    throw ConfigError(fmt::format("data.dataset: {} is not an image data set", data.dataset));
  }
  const int c = data.train.num_classes;
  ImbalanceType type = ParseImbalanceType(ConfigValue<std::string>(config, "data.imbalance.type"));
  const double ratio = ConfigValue<double>(config, "data.imbalance.ratio");
  const auto seed = ConfigValue<uint32_t>(config, "data.imbalance.seed");
  const double img_max = static_cast<double>(data.train.num) / c;
  std::vector<int64_t> counts = ImbalancedClassCounts(c, img_max, type, ratio);
  data.train = data.train.Subset(KeptPositions(data.train.labels, c, counts, seed));

  const auto limit_train = ConfigValue<int64_t>(config, "data.limit_train");
  if (limit_train > 0 && limit_train < data.train.num) {
    const int64_t total = data.train.num;
    std::vector<int64_t> positions;
    int64_t start = 0;  // kept images are grouped by class in label order
    for (int k = 0; k < c; ++k) {
      int64_t keep = std::max<int64_t>(1, counts[k] * limit_train / total);
      keep = std::min(keep, counts[k]);
      for (int64_t i = 0; i < keep; ++i) positions.push_back(start + i);
      start += counts[k];
    }
    data.train = data.train.Subset(positions);
  }
  const auto limit_test = ConfigValue<int64_t>(config, "data.limit_test");
  if (limit_test > 0 && limit_test < data.test.num) data.test = data.test.Subset(StratifiedFirst(data.test, limit_test));
  data.train_class_counts = ClassCounts(data.train.labels, c);
  return data;
}

}  // namespace ltsweep::trainer
