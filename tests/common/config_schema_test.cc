#include "common/config_schema.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/config_hash.h"
#include "tests/testing/test_util.h"

namespace ltsweep {
namespace {

TEST(ConfigSchemaTest, DefaultsResolveToThemselves) {
  auto resolved = ResolveTrialConfig(Json::object());
  ASSERT_OK(resolved);
  EXPECT_EQ(*resolved, DefaultTrialConfig());
  EXPECT_EQ((*resolved)["train"]["lr"], 0.1);
  EXPECT_EQ((*resolved)["train"]["lr_schedule"]["milestones"], Json::array({160, 180}));
  EXPECT_EQ((*resolved)["data"]["dataset"], "fashion_mnist");
}

TEST(ConfigSchemaTest, EveryIssueAxisExists) {
  for (const char* path :
       {"data.dataset", "data.root", "data.imbalance.type", "data.imbalance.ratio", "data.max_features", "data.max_len",
        "model.arch", "method.loss", "method.reweight", "method.resample", "method.defer", "method.drw_epoch",
        "method.cb_beta", "method.oversample", "train.epochs", "train.batch_size", "train.optimizer", "train.lr",
        "train.momentum", "train.weight_decay", "train.lr_schedule.type", "train.lr_schedule.min_lr",
        "train.lr_schedule.max_lr", "train.lr_schedule.step_size", "train.lr_schedule.milestones"}) {
    EXPECT_NE(FindConfigKey(path), nullptr) << path;
  }
}

TEST(ConfigSchemaTest, UnknownKeyNamesPathAndSuggests) {
  auto r = ResolveTrialConfig(Json::parse(R"({"train": {"lr_shedule": {"type": "step"}}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("train.lr_shedule.type"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("did you mean 'train.lr_schedule.type'"), std::string::npos)
      << r.status().message();
}

TEST(ConfigSchemaTest, WrongTypeAndChoiceAndBounds) {
  auto r = ResolveTrialConfig(Json::parse(R"({"train": {"epochs": "ten"}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("train.epochs: expected an integer"), std::string::npos);

  r = ResolveTrialConfig(Json::parse(R"({"train": {"epochs": 2.5}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("train.epochs"), std::string::npos);

  r = ResolveTrialConfig(Json::parse(R"({"method": {"loss": "hinge"}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("method.loss: unknown value \"hinge\""), std::string::npos);

  r = ResolveTrialConfig(Json::parse(R"({"train": {"momentum": 1.5}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("above the maximum"), std::string::npos);
}

TEST(ConfigSchemaTest, NumbersNormalised) {
  auto r = ResolveTrialConfig(Json::parse(R"({"train": {"epochs": 20.0, "lr": 1}})"));
  ASSERT_OK(r);
  EXPECT_TRUE((*r)["train"]["epochs"].is_number_integer());
  EXPECT_TRUE((*r)["train"]["lr"].is_number_float());
}

TEST(ConfigSchemaTest, CrossKeyRules) {
  auto r = ResolveTrialConfig(Json::parse(R"({"method": {"defer": "drw", "drw_epoch": 10}, "train": {"epochs": 10}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("method.drw_epoch"), std::string::npos);

  r = ResolveTrialConfig(Json::parse(R"({"data": {"dataset": "imdb"}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("model.arch"), std::string::npos);
}

TEST(ConfigSchemaTest, FlipIsAutoByDefaultAndNeedsAugmentedImages) {
  auto r = ResolveTrialConfig(Json::object());
  ASSERT_OK(r);
  EXPECT_EQ((*r)["data"]["flip"], "auto");
  ASSERT_OK(ResolveTrialConfig(Json::parse(R"({"data": {"dataset": "cifar10", "flip": "off"}})")));
  ASSERT_OK(ResolveTrialConfig(Json::parse(R"({"data": {"flip": "on"}})")));

  r = ResolveTrialConfig(Json::parse(R"({"data": {"flip": true}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("data.flip: expected a string"), std::string::npos) << r.status().message();
  r = ResolveTrialConfig(Json::parse(R"({"data": {"flip": "on", "augment": false}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "data.flip: on needs data.augment true (it flips augmented training images)");
  r = ResolveTrialConfig(Json::parse(R"({"data": {"dataset": "imdb", "flip": "off"}, "model": {"arch": "bilstm"}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("data.flip: off needs an image data set"), std::string::npos)
      << r.status().message();
}

TEST(ConfigSchemaTest, StopWordsIsAnImdbKeyDefaultingToScikitLearnsList) {
  auto r = ResolveTrialConfig(Json::parse(R"({"data": {"dataset": "imdb"}, "model": {"arch": "logreg"}})"));
  ASSERT_OK(r);
  EXPECT_EQ((*r)["data"]["stop_words"], "sklearn");
  for (const char* list : {"sklearn", "sklearn_keep_negations", "none"}) {
    r = ResolveTrialConfig(Json::parse(
        fmt::format(R"({{"data": {{"dataset": "imdb", "stop_words": "{}"}}, "model": {{"arch": "bilstm"}}}})", list)));
    ASSERT_OK(r);
    EXPECT_EQ((*r)["data"]["stop_words"], list);
  }
  // The list is part of the trial's identity.
  EXPECT_NE(*TrialConfigHash(Json::parse(R"({"data": {"dataset": "imdb", "stop_words": "none"},
                                            "model": {"arch": "logreg"}})")),
            *TrialConfigHash(Json::parse(R"({"data": {"dataset": "imdb"}, "model": {"arch": "logreg"}})")));
  r = ResolveTrialConfig(Json::parse(R"({"data": {"dataset": "imdb", "stop_words": "nltk"}, "model": {"arch": "bilstm"}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("data.stop_words"), std::string::npos) << r.status().message();

  // Images have no tokenizer: the default passes, anything else is refused naming the key.
  ASSERT_OK(ResolveTrialConfig(Json::parse(R"({"data": {"dataset": "cifar10", "stop_words": "sklearn"}})")));
  for (const char* list : {"sklearn_keep_negations", "none"}) {
    r = ResolveTrialConfig(Json::parse(fmt::format(R"({{"data": {{"dataset": "cifar10", "stop_words": "{}"}}}})", list)));
    ASSERT_FALSE(r.ok()) << list;
    EXPECT_EQ(r.status().message(),
              fmt::format("data.stop_words: {} applies to data.dataset imdb only (cifar10 has no text)", list));
  }
}

TEST(ConfigSchemaTest, PathHelpers) {
  Json c = Json::object();
  SetPath(c, "a.b.c", 3);
  ASSERT_NE(GetPath(c, "a.b.c"), nullptr);
  EXPECT_EQ(*GetPath(c, "a.b.c"), 3);
  EXPECT_EQ(GetPath(c, "a.x"), nullptr);
  EXPECT_TRUE(IsConfigSection("train.lr_schedule"));
  EXPECT_FALSE(IsConfigSection("train.lr"));
}

// Issue 12: a config cannot ask for absurd memory or time, so every numeric
// key (and numeric list) has a maximum, and a value past it is refused with
// the key's name.
TEST(ConfigSchemaTest, EveryNumericKeyHasAMaximum) {
  for (const auto& key : TrialConfigSchema()) {
    if (key.type == ValueType::kString || key.type == ValueType::kBool) continue;
    EXPECT_TRUE(key.max.has_value()) << key.path << " has no maximum";
    EXPECT_TRUE(key.min.has_value()) << key.path << " has no minimum";
    if (key.max && key.min) {
      EXPECT_LE(*key.min, *key.max) << key.path;
    }
  }
}

TEST(ConfigSchemaTest, AValuePastTheMaximumIsRefusedNamingTheKey) {
  for (const auto& key : TrialConfigSchema()) {
    if (!key.max) continue;
    const bool is_list = key.type == ValueType::kIntList || key.type == ValueType::kNumberList;
    const bool is_int = key.type == ValueType::kInt || key.type == ValueType::kIntList;
    const Json past = is_int ? Json(static_cast<int64_t>(*key.max) + 1) : Json(*key.max * 1.5 + 1);
    Json config = Json::object();
    SetPath(config, key.path, is_list ? Json::array({past}) : past);
    auto resolved = ResolveTrialConfig(config);
    ASSERT_FALSE(resolved.ok()) << key.path << " accepted " << past.dump();
    EXPECT_EQ(resolved.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(resolved.status().message().rfind(key.path, 0), 0u) << resolved.status().message();
    EXPECT_NE(resolved.status().message().find("above the maximum"), std::string::npos)
        << resolved.status().message();
    // The maximum itself is a valid value of the key.
    const Json at_max = is_int ? Json(static_cast<int64_t>(*key.max)) : Json(*key.max);
    EXPECT_OK(CheckConfigValue(key, is_list ? Json::array({at_max}) : at_max));
  }
  auto epochs = ResolveTrialConfig({{"train", {{"epochs", 1000000000}}}});
  ASSERT_FALSE(epochs.ok());
  EXPECT_EQ(epochs.status().message(), "train.epochs: 1000000000 is above the maximum 100000");
}

}  // namespace
}  // namespace ltsweep
