// XgbClassifier (linear_models.h): XGBoost through its C API when the build
// has it (LTSWEEP_WITH_XGBOOST), else a stub whose Fit() says so.
#include <fmt/format.h>

#include "trainer/text/linear_models.h"

#ifdef LTSWEEP_HAVE_XGBOOST
#include <xgboost/c_api.h>
#endif

namespace ltsweep::trainer::text {

XgbClassifier::XgbClassifier(XgbOptions options) : options_(options) {}

#ifdef LTSWEEP_HAVE_XGBOOST

namespace {

Status XgbError(const char* what) { return InternalError(fmt::format("xgboost: {}: {}", what, XGBGetLastError())); }

// A DMatrix owned for the scope.
class DMatrix {
 public:
  ~DMatrix() {
    if (h_ != nullptr) XGDMatrixFree(h_);
  }
  Status Create(const CsrMatrix& x) {
    std::vector<size_t> indptr(x.indptr.begin(), x.indptr.end());
    std::vector<unsigned> indices(x.indices.begin(), x.indices.end());
    if (XGDMatrixCreateFromCSREx(indptr.data(), indices.data(), x.values.data(), indptr.size(), x.values.size(),
                                 static_cast<size_t>(x.cols), &h_) != 0)
      return XgbError("XGDMatrixCreateFromCSREx");
    return Status::Ok();
  }
  DMatrixHandle get() const { return h_; }

 private:
  DMatrixHandle h_ = nullptr;
};

}  // namespace

XgbClassifier::~XgbClassifier() {
  if (booster_ != nullptr) XGBoosterFree(static_cast<BoosterHandle>(booster_));
}

bool XgbClassifier::Available() { return true; }

Status XgbClassifier::Fit(const CsrMatrix& x, const std::vector<int>& y, const std::vector<double>& sample_weight) {
  DMatrix dm;
  LTSWEEP_RETURN_IF_ERROR(dm.Create(x));
  std::vector<float> labels(y.begin(), y.end());
  if (XGDMatrixSetFloatInfo(dm.get(), "label", labels.data(), labels.size()) != 0) return XgbError("set labels");
  if (!sample_weight.empty()) {
    std::vector<float> w(sample_weight.begin(), sample_weight.end());
    if (XGDMatrixSetFloatInfo(dm.get(), "weight", w.data(), w.size()) != 0) return XgbError("set weights");
  }
  if (booster_ != nullptr) XGBoosterFree(static_cast<BoosterHandle>(booster_));
  BoosterHandle h = nullptr;
  DMatrixHandle mats[1] = {dm.get()};
  if (XGBoosterCreate(mats, 1, &h) != 0) return XgbError("XGBoosterCreate");
  booster_ = h;
  const std::pair<std::string, std::string> params[] = {
      {"objective", "binary:logistic"},
      {"max_depth", std::to_string(options_.max_depth)},
      {"eta", fmt::format("{}", options_.eta)},
      {"nthread", std::to_string(std::max(1, options_.threads))},
      {"seed", std::to_string(options_.seed)},
      {"tree_method", "hist"},
      {"verbosity", "0"},
  };
  for (const auto& [k, v] : params) {
    if (XGBoosterSetParam(h, k.c_str(), v.c_str()) != 0) return XgbError("XGBoosterSetParam");
  }
  for (int it = 0; it < options_.rounds; ++it) {
    if (XGBoosterUpdateOneIter(h, it, dm.get()) != 0) return XgbError("XGBoosterUpdateOneIter");
  }
  return Status::Ok();
}

StatusOr<std::vector<int>> XgbClassifier::Predict(const CsrMatrix& x) const {
  if (booster_ == nullptr) return FailedPreconditionError("xgboost: Predict before Fit");
  DMatrix dm;
  LTSWEEP_RETURN_IF_ERROR(dm.Create(x));
  bst_ulong len = 0;
  const float* pred = nullptr;
  if (XGBoosterPredict(static_cast<BoosterHandle>(booster_), dm.get(), 0, 0, 0, &len, &pred) != 0)
    return XgbError("XGBoosterPredict");
  std::vector<int> out;
  out.reserve(len);
  for (bst_ulong i = 0; i < len; ++i) out.push_back(pred[i] > 0.5f ? 1 : 0);
  return out;
}

#else  // !LTSWEEP_HAVE_XGBOOST

XgbClassifier::~XgbClassifier() = default;
bool XgbClassifier::Available() { return false; }
Status XgbClassifier::Fit(const CsrMatrix&, const std::vector<int>&, const std::vector<double>&) {
  return UnimplementedError(
      "model.arch: xgboost is not available in this build (configure with -DLTSWEEP_WITH_XGBOOST=ON and libxgboost-dev)");
}
StatusOr<std::vector<int>> XgbClassifier::Predict(const CsrMatrix&) const {
  return UnimplementedError("model.arch: xgboost is not available in this build");
}

#endif

}  // namespace ltsweep::trainer::text
