#include "trainer/image/image_data.h"

#include <lzma.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/config_schema.h"
#include "tests/testing/test_util.h"
#include "trainer/core/errors.h"
#include "trainer/core/imbalance.h"
#include "trainer/image/data_file.h"

namespace ltsweep::trainer {
namespace {

namespace fs = std::filesystem;
const char* kFashionMnist = "/usr/share/datasets/fashion-mnist";

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> XzCompress(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(lzma_stream_buffer_bound(in.size()));
  size_t pos = 0;
  EXPECT_EQ(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC64, nullptr, in.data(), in.size(), out.data(), &pos, out.size()),
            LZMA_OK);
  out.resize(pos);
  return out;
}

void WriteGz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(gz);
}

// A valid CIFAR-10 batch of 10,000 records with label i % 10 and pixel bytes i % 251.
std::vector<uint8_t> FakeCifarBatch(int bad_label_record = -1) {
  std::vector<uint8_t> b(10000 * 3073);
  for (int i = 0; i < 10000; ++i) {
    b[i * 3073] = static_cast<uint8_t>(i == bad_label_record ? 12 : i % 10);
    std::fill(b.begin() + i * 3073 + 1, b.begin() + (i + 1) * 3073, static_cast<uint8_t>(i % 251));
  }
  return b;
}

template <typename F>
std::string CannotRunHereMessage(F&& f) {
  try {
    f();
  } catch (const CannotRunHere& e) {
    return e.what();
  }
  return "(no CannotRunHere)";
}

template <typename F>
std::string DataErrorMessage(F&& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no DataError)";
}

TEST(ImageDataTest, CifarReadsPlainAndXzAndCachesXz) {
  testing::TempDir dir;
  auto batch = FakeCifarBatch();
  WriteBytes(dir.File("test_batch.bin.xz"), XzCompress(batch));
  ImageSet test = ReadCifar10(dir.path().string(), false);
  ASSERT_EQ(test.num, 10000);
  EXPECT_EQ(test.labels[13], 3);
  EXPECT_EQ(test.image(13)[0], 13);
  EXPECT_EQ(test.image(300)[3071], 300 % 251);
  EXPECT_EQ(test.class_names[9], "truck");
  // With a cache folder the decompressed copy is written once and read back.
  std::string cache = dir.File("cache");
  std::string first, second;
  auto a = ReadDataFileCached(dir.path().string(), "test_batch.bin", cache, batch.size(), &first);
  auto b = ReadDataFileCached(dir.path().string(), "test_batch.bin", cache, batch.size(), &second);
  EXPECT_EQ(a, batch);
  EXPECT_EQ(b, batch);
  EXPECT_NE(first.find(".xz"), std::string::npos);
  EXPECT_NE(second.find("cache"), std::string::npos);
}

TEST(ImageDataTest, CorruptCifarFilesNameTheFile) {
  testing::TempDir dir;
  auto batch = FakeCifarBatch();
  batch.resize(batch.size() - 100);
  WriteBytes(dir.File("test_batch.bin"), batch);
  std::string msg = DataErrorMessage([&] { ReadCifar10(dir.path().string(), false); });
  EXPECT_NE(msg.find("test_batch.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("wrong size"), std::string::npos) << msg;

  WriteBytes(dir.File("test_batch.bin"), FakeCifarBatch(/*bad_label_record=*/77));
  msg = DataErrorMessage([&] { ReadCifar10(dir.path().string(), false); });
  EXPECT_NE(msg.find("record 77: label 12 out of range"), std::string::npos) << msg;

  fs::remove(dir.File("test_batch.bin"));
  auto xz = XzCompress(FakeCifarBatch());
  xz.resize(xz.size() / 2);
  WriteBytes(dir.File("test_batch.bin.xz"), xz);
  msg = DataErrorMessage([&] { ReadCifar10(dir.path().string(), false); });
  EXPECT_NE(msg.find("test_batch.bin.xz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;

  WriteBytes(dir.File("test_batch.bin.xz"), std::vector<uint8_t>(5000, 0x42));
  msg = DataErrorMessage([&] { ReadCifar10(dir.path().string(), false); });
  EXPECT_NE(msg.find("not an xz stream"), std::string::npos) << msg;

  // Missing on this node is not corrupt data: another worker may have it.
  msg = CannotRunHereMessage([&] { ReadCifar10(dir.path().string(), true); });
  EXPECT_NE(msg.find("data_batch_1.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
}

std::vector<uint8_t> IdxImages(uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols) {
  std::vector<uint8_t> b = {static_cast<uint8_t>(magic >> 24), static_cast<uint8_t>(magic >> 16),
                            static_cast<uint8_t>(magic >> 8), static_cast<uint8_t>(magic)};
  for (uint32_t v : {n, rows, cols}) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
  }
  b.resize(16 + static_cast<size_t>(n) * rows * cols, 7);
  return b;
}

std::vector<uint8_t> IdxLabels(uint32_t n, uint8_t label = 3) {
  std::vector<uint8_t> b = {0, 0, 8, 1};
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(n >> s));
  b.resize(8 + n, label);
  return b;
}

TEST(ImageDataTest, CorruptIdxFilesNameTheFile) {
  testing::TempDir dir;
  WriteGz(dir.File("t10k-images-idx3-ubyte.gz"), IdxImages(2051, 20, 28, 28));
  WriteGz(dir.File("t10k-labels-idx1-ubyte.gz"), IdxLabels(20));
  ImageSet ok = ReadFashionMnist(dir.path().string(), false);
  EXPECT_EQ(ok.num, 20);
  EXPECT_EQ(ok.channels, 1);
  EXPECT_EQ(ok.labels[5], 3);

  WriteGz(dir.File("t10k-images-idx3-ubyte.gz"), IdxImages(2049, 20, 28, 28));
  std::string msg = DataErrorMessage([&] { ReadFashionMnist(dir.path().string(), false); });
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte.gz: bad magic number 2049"), std::string::npos) << msg;

  auto images = IdxImages(2051, 20, 28, 28);
  images.resize(images.size() - 28);
  WriteGz(dir.File("t10k-images-idx3-ubyte.gz"), images);
  msg = DataErrorMessage([&] { ReadFashionMnist(dir.path().string(), false); });
  EXPECT_NE(msg.find("wrong size"), std::string::npos) << msg;

  WriteGz(dir.File("t10k-images-idx3-ubyte.gz"), IdxImages(2051, 20, 28, 28));
  WriteGz(dir.File("t10k-labels-idx1-ubyte.gz"), IdxLabels(20, 10));
  msg = DataErrorMessage([&] { ReadFashionMnist(dir.path().string(), false); });
  EXPECT_NE(msg.find("label 10"), std::string::npos) << msg;

  // A gzip stream cut in the middle.
  WriteGz(dir.File("t10k-labels-idx1-ubyte.gz"), IdxLabels(20));
  auto gz = testing::ReadFile(dir.File("t10k-images-idx3-ubyte.gz"));
  testing::WriteFile(dir.File("t10k-images-idx3-ubyte.gz"), gz.substr(0, gz.size() / 2));
  msg = DataErrorMessage([&] { ReadFashionMnist(dir.path().string(), false); });
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte.gz"), std::string::npos) << msg;
}

// `copies` gzip members of `member_bytes` zeros each, concatenated: a small
// file that gzread expands to copies * member_bytes.
std::string GzipBomb(size_t member_bytes, int copies) {
  std::vector<uint8_t> zeros(member_bytes, 0);
  uLongf size = compressBound(static_cast<uLong>(zeros.size())) + 64;
  std::vector<uint8_t> member(size);
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);  // gzip wrapper
  z.next_in = zeros.data();
  z.avail_in = static_cast<uInt>(zeros.size());
  z.next_out = member.data();
  z.avail_out = static_cast<uInt>(member.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  member.resize(z.total_out);
  deflateEnd(&z);
  std::string out;
  for (int i = 0; i < copies; ++i) out.append(member.begin(), member.end());
  return out;
}

TEST(ImageDataTest, DecompressionBombsAreRefusedNamingTheFile) {
  testing::TempDir dir;
  // A CIFAR batch that expands to 4 GB: refused once past the 30,730,000
  // bytes a batch holds, long before 4 GB are taken.
  testing::WriteFile(dir.File("test_batch.bin.gz"), GzipBomb(size_t{100} << 20, 40));
  std::string msg = DataErrorMessage([&] { ReadCifar10(dir.path().string(), false); });
  EXPECT_NE(msg.find("test_batch.bin.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("more than 30730000 bytes"), std::string::npos) << msg;
  fs::remove(dir.File("test_batch.bin.gz"));

  WriteBytes(dir.File("test_batch.bin.xz"), XzCompress(std::vector<uint8_t>(40000000, 0)));
  msg = DataErrorMessage([&] { ReadCifar10(dir.path().string(), false); });
  EXPECT_NE(msg.find("test_batch.bin.xz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("more than 30730000 bytes"), std::string::npos) << msg;
  fs::remove(dir.File("test_batch.bin.xz"));

  // A plain file one byte too long is refused before it is read.
  auto batch = FakeCifarBatch();
  batch.push_back(0);
  WriteBytes(dir.File("test_batch.bin"), batch);
  msg = DataErrorMessage([&] { ReadCifar10(dir.path().string(), false); });
  EXPECT_NE(msg.find("test_batch.bin: wrong size: more than 30730000 bytes"), std::string::npos) << msg;
}

TEST(ImageDataTest, IdxFilesDecompressAtMostWhatTheirHeaderDeclares) {
  testing::TempDir dir;
  WriteGz(dir.File("t10k-labels-idx1-ubyte.gz"), IdxLabels(20));
  // The header says 20 images of 28 x 28 (15,696 bytes with it); the stream
  // goes on for 4 GB.
  std::vector<uint8_t> header = IdxImages(2051, 20, 28, 28);
  header.resize(16);
  WriteGz(dir.File("head.gz"), header);
  testing::WriteFile(dir.File("t10k-images-idx3-ubyte.gz"),
                     testing::ReadFile(dir.File("head.gz")) + GzipBomb(size_t{100} << 20, 40));
  std::string msg = DataErrorMessage([&] { ReadFashionMnist(dir.path().string(), false); });
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("more than 15696 bytes"), std::string::npos) << msg;

  // A header that declares more than the reader's cap (1 GiB) is refused
  // before anything past it is decompressed.
  header[4] = 0x7f;  // 0x7f000014 images of 28 x 28
  WriteGz(dir.File("t10k-images-idx3-ubyte.gz"), header);
  msg = DataErrorMessage([&] { ReadFashionMnist(dir.path().string(), false); });
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte.gz: the IDX header declares more than"), std::string::npos) << msg;
}

TEST(ImageDataTest, RealFashionMnist) {
  if (!fs::exists(kFashionMnist)) GTEST_SKIP() << kFashionMnist << " not present (package dataset-fashion-mnist)";
  ImageSet train = ReadFashionMnist(kFashionMnist, true);
  ImageSet test = ReadFashionMnist(kFashionMnist, false);
  EXPECT_EQ(train.num, 60000);
  EXPECT_EQ(test.num, 10000);
  EXPECT_EQ(train.height, 28);
  EXPECT_EQ(ClassCounts(train.labels, 10), std::vector<int64_t>(10, 6000));
  EXPECT_EQ(ClassCounts(test.labels, 10), std::vector<int64_t>(10, 1000));
}

TEST(ImageDataTest, RealCifar10FirstBatchLabelCounts) {
  LTSWEEP_REQUIRE_SHARED();
  std::string dir = (testing::SharedDir() / "data" / "cifar10").string();
  // Decompressed once into the build tree (DESIGN.md: ../shared is read-only).
  auto bytes = ReadDataFileCached(dir, "data_batch_1.bin", (testing::BinaryDir() / "data_cache").string(),
                                  10000 * 3073);
  ASSERT_EQ(bytes.size(), 30730000u);
  std::vector<int64_t> counts(10, 0);
  for (size_t i = 0; i < 10000; ++i) ++counts.at(bytes[i * 3073]);
  EXPECT_EQ(counts, (std::vector<int64_t>{1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981}));

  // Truncated and corrupt copies of the real files, read as the test batch.
  testing::TempDir tmp;
  bytes.resize(bytes.size() - 3073 / 2);
  WriteBytes(tmp.File("test_batch.bin"), bytes);
  std::string msg = DataErrorMessage([&] { ReadCifar10(tmp.path().string(), false); });
  EXPECT_NE(msg.find("test_batch.bin: wrong size: 30728464 bytes"), std::string::npos) << msg;
  fs::remove(tmp.File("test_batch.bin"));
  std::string xz = testing::ReadFile(fs::path(dir) / "data_batch_1.bin.xz");
  testing::WriteFile(tmp.File("test_batch.bin.xz"), xz.substr(0, 200000));
  msg = DataErrorMessage([&] { ReadCifar10(tmp.path().string(), false); });
  EXPECT_NE(msg.find("test_batch.bin.xz: xz stream truncated"), std::string::npos) << msg;
  xz[2] = static_cast<char>(xz[2] ^ 0x5a);  // a damaged header
  testing::WriteFile(tmp.File("test_batch.bin.xz"), xz.substr(0, 200000));
  msg = DataErrorMessage([&] { ReadCifar10(tmp.path().string(), false); });
  EXPECT_NE(msg.find("test_batch.bin.xz: not an xz stream"), std::string::npos) << msg;
}

nlohmann::json Resolve(const std::string& json) {
  auto r = ResolveTrialConfig(nlohmann::json::parse(json));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nlohmann::json();
}

TEST(ImageDataTest, SyntheticLongTailAndLimits) {
  auto config = Resolve(R"({"data": {"dataset": "synthetic", "imbalance": {"ratio": 10}}, "model": {"arch": "resnet8"}})");
  ImageData data = LoadImageData(config);
  auto expected = ImbalancedClassCounts(10, 500.0, ImbalanceType::kExp, 10);
  EXPECT_EQ(data.train_class_counts, expected);
  EXPECT_EQ(data.train.num, std::accumulate(expected.begin(), expected.end(), 0));
  EXPECT_EQ(data.test.num, 1000);
  EXPECT_EQ(data.train.channels, 3);
  EXPECT_EQ(data.train.height, 8);
  // Class by class, as the reference stores them.
  EXPECT_TRUE(std::is_sorted(data.train.labels.begin(), data.train.labels.end()));
  // Deterministic.
  EXPECT_EQ(LoadImageData(config).train.pixels, data.train.pixels);

  auto limited = Resolve(
      R"({"data": {"dataset": "synthetic", "imbalance": {"ratio": 10}, "limit_train": 500, "limit_test": 95},
          "model": {"arch": "resnet8"}})");
  ImageData small = LoadImageData(limited);
  EXPECT_LE(small.train.num, 500);
  EXPECT_GE(small.train.num, 450);
  for (int64_t c : small.train_class_counts) EXPECT_GE(c, 1);
  EXPECT_EQ(small.test.num, 95);
  auto test_counts = ClassCounts(small.test.labels, 10);
  EXPECT_EQ(test_counts[0], 10);
  EXPECT_EQ(test_counts[9], 9);
}

TEST(ImageDataTest, FashionMnistLongTail) {
  if (!fs::exists(kFashionMnist)) GTEST_SKIP() << kFashionMnist << " not present (package dataset-fashion-mnist)";
  ImageData data = LoadImageData(Resolve(R"({"data": {"dataset": "fashion_mnist"}, "model": {"arch": "resnet8"}})"));
  EXPECT_EQ(data.train_class_counts, ImbalancedClassCounts(10, 6000.0, ImbalanceType::kExp, 100));
  EXPECT_EQ(data.train_class_counts.front(), 6000);
  EXPECT_EQ(data.train_class_counts.back(), 60);
  EXPECT_EQ(data.test.num, 10000);
}

TEST(ImageDataTest, BadConfigThrowsConfigError) {
  auto config = Resolve(R"({"data": {"dataset": "cifar10"}, "model": {"arch": "resnet8"}})");
  EXPECT_THROW(LoadImageData(config), ConfigError);  // data.root is required
}

}  // namespace
}  // namespace ltsweep::trainer
