// Image data sets for the trainer: readers for CIFAR-10 / CIFAR-100 binary
// batches (plain or .xz), Fashion-MNIST IDX files (plain or .gz), a seeded
// synthetic set, and LoadImageData(), which applies the long-tail subset of
// imbalance.h to the training set of a resolved trial config.
//
// Corrupt or truncated files throw DataError naming the file and what is
// wrong (wrong size, bad magic, label out of range, stream error); a file
// missing on this node throws CannotRunHere; invalid config values throw
// ConfigError naming the key. Compressed files are decompressed at most to
// the size their format expects (a CIFAR batch: its records x record size;
// an IDX file: what its header declares, at most 1 GiB): a file that expands
// further is refused as DataError before that memory is taken.
//
// Ownership: ImageSet is a plain value. Thread-safety: free functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config_schema.h"

namespace ltsweep::trainer {

struct ImageSet {
  int num = 0;
  int channels = 0;
  int height = 0;
  int width = 0;
  int num_classes = 0;
  std::vector<uint8_t> pixels;  // num x channels x height x width (NCHW), row-major
  std::vector<int32_t> labels;  // num entries in [0, num_classes)
  std::vector<std::string> class_names;

  int64_t image_size() const { return static_cast<int64_t>(channels) * height * width; }
  const uint8_t* image(int64_t i) const { return pixels.data() + i * image_size(); }
  // The rows `positions` of this set, in that order.
  ImageSet Subset(const std::vector<int64_t>& positions) const;
};

// CIFAR-10 binary: data_batch_1..5.bin (train) or test_batch.bin, each plain
// or .xz; 10,000 records of 1 label byte + 3,072 pixel bytes. Class names from
// batches.meta.txt when present, else the standard ones. cache_dir: see
// ReadDataFileCached (empty = read .xz directly).
ImageSet ReadCifar10(const std::string& dir, bool train, const std::string& cache_dir = "");

// CIFAR-100 binary: train.bin / test.bin (plain or .xz); records of coarse
// label byte, fine label byte, 3,072 pixel bytes; the fine label (100 classes)
// is used. Class names from fine_label_names.txt when present, else "0".."99".
ImageSet ReadCifar100(const std::string& dir, bool train, const std::string& cache_dir = "");

// Fashion-MNIST IDX: train-images-idx3-ubyte / train-labels-idx1-ubyte (or
// t10k-*), plain or .gz; magic numbers 2051 / 2049, 28 x 28, 1 channel.
ImageSet ReadFashionMnist(const std::string& dir, bool train);

// data.synthetic.*: num_classes classes of 3 x size x size images; each class
// has a fixed random low-frequency colour pattern (seeded by the class index),
// and every image is its class pattern plus seeded per-pixel noise and a
// random brightness shift, so a small net learns it in an epoch or two.
struct SyntheticOptions {
  int num_classes = SchemaDefault<int>("data.synthetic.num_classes");
  int train_per_class = SchemaDefault<int>("data.synthetic.train_per_class");
  int test_per_class = SchemaDefault<int>("data.synthetic.test_per_class");
  int image_size = SchemaDefault<int>("data.synthetic.image_size");
};
// Deterministic: the same options give the same images (train and test use
// different streams).
ImageSet MakeSyntheticImages(const SyntheticOptions& options, bool train);

// Train and test sets of a resolved trial config, ready for training.
struct ImageData {
  ImageSet train;  // long-tailed, in the reference's order (class by class)
  ImageSet test;   // balanced (cut by data.limit_test if set)
  std::vector<int64_t> train_class_counts;  // per class, after the subset and limit
  std::string dataset;                      // data.dataset
};

// Reads data.dataset from data.root (fashion_mnist: default
// /usr/share/datasets/fashion-mnist; cifar10/cifar100: required), applies
// data.imbalance.{type, ratio, seed} to the training set with img_max = train
// size / C (6,000 for Fashion-MNIST), then data.limit_train (keeps
// round-down(n_c * limit / total) per class, at least 1, the first ones of
// each class in kept order) and data.limit_test (class-stratified: the first
// images of each class in file order, limit / C each, the remainder to the
// lowest classes). .xz CIFAR files are cached decompressed in data.cache_dir
// when it is set. Throws ConfigError / DataError.
ImageData LoadImageData(const nlohmann::json& resolved_config);

}  // namespace ltsweep::trainer
