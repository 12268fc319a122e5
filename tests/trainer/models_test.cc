// Golden tests of the reference ResNet family (../shared/reference/golden.json
// resnet32.*, values copied as literals).
#include "trainer/models.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "trainer/core/training_options.h"

namespace ltsweep::trainer {
namespace {

// golden.resnet32.deterministic_forward.outputs
const double kLinearEvalMode[2][10] = {
    {0.07223874692662015, -0.12347814934214954, -0.2518752361568976, -0.2370547296246226, -0.08612757676388094, 0.11421984133988039, 0.24842312752920503, 0.23988145993433846, 0.09550808516646159, -0.09935192588109523},
    {0.07215014641630028, -0.12339033088774687, -0.2516665177477235, -0.23685706347407803, -0.08606592782442056, 0.11410649848020837, 0.24820644846257445, 0.23969842961839022, 0.0954744157485066, -0.0992149485248341},
};
const double kLinearTrainMode[2][10] = {
    {0.06197650983005361, -0.3488286357087407, -0.5498469245179547, -0.4192692974081806, -0.03738859434925891, 0.363099487662613, 0.540101206508296, 0.3899584819695745, 0.009105044057312807, -0.36761084741854116},
    {0.0690375240847356, -0.36052874454674844, -0.572911323249712, -0.4391166250724593, -0.04147132902041002, 0.3773624593550847, 0.5636928041259845, 0.4079640483164998, 0.010141422552228975, -0.38419885742068816},
};
const double kNormedEvalMode[2][10] = {
    {-0.037001365627788066, -0.24642039312171213, -0.33851452300655627, -0.2761066738575066, -0.08056059482731687, 0.1542990406566181, 0.31185387960901984, 0.3260954983482519, 0.1883329556034149, -0.04277081835741833},
    {-0.0369248635536736, -0.2462867929409693, -0.3383863215377611, -0.27604263680307967, -0.08059271055794032, 0.1541862316322274, 0.3117149430934603, 0.3259939077498399, 0.18831685476204918, -0.04269233580588286},
};
const double kNormedTrainMode[2][10] = {
    {-0.05201034228928929, -0.11648496575465406, -0.12617952678690478, -0.07812951020437846, 0.008273193034149938, 0.0907688379207294, 0.12898270602428968, 0.10815173186524102, 0.03642500634202048, -0.054035793213614396},
    {-0.05453861726510809, -0.12346017629279746, -0.13430984694054499, -0.08369752727608552, 0.007981487571463504, 0.09590138445613464, 0.1370192890272259, 0.11540896456651914, 0.03949934433370484, -0.056697270706676794},
};

ResNetCifar Make(int64_t classes, bool normed, int64_t blocks = 5, int64_t channels = 3) {
  ResNetOptions o;
  o.blocks_per_stage = blocks;
  o.num_classes = classes;
  o.in_channels = channels;
  o.normed_head = normed;
  return ResNetCifar(o);
}

TEST(ModelsTest, ParameterCountsMatchReference) {
  EXPECT_EQ(CountParameters(*Make(10, false)), 464154);
  EXPECT_EQ(CountParameters(*Make(10, true)), 464144);
  EXPECT_EQ(CountParameters(*Make(100, false)), 470004);
  EXPECT_EQ(CountParameters(*Make(100, true)), 469904);
  EXPECT_EQ(Make(10, false)->parameters().size(), 95u);
  EXPECT_EQ(Make(10, true)->parameters().size(), 94u);
  int dim_gt1 = 0;
  for (const auto& p : Make(10, false)->parameters()) dim_gt1 += p.dim() > 1;
  EXPECT_EQ(dim_gt1, 32);
}

TEST(ModelsTest, ParameterBreakdownMatchesReference) {
  auto model = Make(10, false);
  int64_t stem = 0, layer[3] = {0, 0, 0}, head = 0;
  for (const auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    int64_t n = item.value().numel();
    if (name.rfind("layer", 0) == 0) {
      layer[name[5] - '1'] += n;
    } else if (name.rfind("linear", 0) == 0) {
      head += n;
    } else {
      stem += n;
    }
  }
  EXPECT_EQ(stem, 464);
  EXPECT_EQ(layer[0], 23360);
  EXPECT_EQ(layer[1], 88192);
  EXPECT_EQ(layer[2], 351488);
  EXPECT_EQ(head, 650);
}

TEST(ModelsTest, NamedParameterOrderMatchesReference) {
  std::vector<std::string> expected = {"conv1.weight", "bn1.weight", "bn1.bias"};
  for (int l = 1; l <= 3; ++l) {
    for (int b = 0; b < 5; ++b) {
      std::string prefix = "layer" + std::to_string(l) + "." + std::to_string(b) + ".";
      for (const char* s : {"conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"})
        expected.push_back(prefix + s);
    }
  }
  expected.push_back("linear.weight");
  expected.push_back("linear.bias");
  auto params = Make(10, false)->named_parameters();
  ASSERT_EQ(params.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(params[i].key(), expected[i]) << i;
  // Shapes of a few, as golden lists them.
  EXPECT_EQ(params["conv1.weight"].sizes(), torch::IntArrayRef({16, 3, 3, 3}));
  EXPECT_EQ(params["layer3.4.conv2.weight"].sizes(), torch::IntArrayRef({64, 64, 3, 3}));
  EXPECT_EQ(params["linear.weight"].sizes(), torch::IntArrayRef({10, 64}));
  EXPECT_EQ(Make(10, true)->named_parameters()["linear.weight"].sizes(), torch::IntArrayRef({64, 10}));
}

TEST(ModelsTest, OptionAShortcutPutsCopiedChannelsInTheMiddle) {
  torch::Tensor x = torch::arange(64, torch::kFloat64).reshape({1, 4, 4, 4});
  torch::Tensor y = OptionAShortcut(x, 8 / 4);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({1, 8, 2, 2}));
  // golden.resnet32.option_a_shortcut.output
  const double expected[8][4] = {{0, 0, 0, 0},     {0, 0, 0, 0},     {0, 2, 8, 10},    {16, 18, 24, 26},
                                 {32, 34, 40, 42}, {48, 50, 56, 58}, {0, 0, 0, 0},     {0, 0, 0, 0}};
  auto a = y.accessor<double, 4>();
  for (int c = 0; c < 8; ++c)
    for (int k = 0; k < 4; ++k) EXPECT_EQ(a[0][c][k / 2][k % 2], expected[c][k]) << c << "," << k;
}

TEST(ModelsTest, NormedLinearGolden) {
  NormedLinear head(5, 3);
  const double w[5][3] = {{0.5, -1.0, 0.2}, {0.3, 0.8, -0.4}, {-0.7, 0.1, 0.9}, {1.2, -0.3, 0.0}, {0.05, 0.6, -1.1}};
  const double x[3][5] = {{1.0, 2.0, -1.0, 0.5, 0.0}, {-0.3, 0.4, 0.9, -1.5, 2.2}, {0.1, 0.1, 0.1, 0.1, 0.1}};
  const double out[3][3] = {{0.6368238017343931, 0.09660917830792959, -0.40269363312841466},
                            {-0.5460559101131501, 0.5994641681767485, -0.4302251534251513},
                            {0.40049474354098635, 0.061721339984836796, -0.12006004503753287}};
  head->to(torch::kFloat64);
  {
    torch::NoGradGuard g;
    head->weight.copy_(torch::from_blob(const_cast<double*>(&w[0][0]), {5, 3}, torch::kFloat64));
  }
  torch::Tensor y = head->forward(torch::from_blob(const_cast<double*>(&x[0][0]), {3, 5}, torch::kFloat64));
  auto a = y.accessor<double, 2>();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(a[i][j], out[i][j], 1e-12);
}

TEST(ModelsTest, NormedLinearInitHasUnitColumns) {
  torch::manual_seed(1);
  NormedLinear head(64, 10);
  torch::Tensor norms = head->weight.norm(2, 0);
  for (int j = 0; j < 10; ++j) EXPECT_NEAR(norms[j].item<double>(), 1.0, 1e-6);
  EXPECT_LE(head->weight.abs().max().item<double>(), 1.0);
}

TEST(ModelsTest, KaimingInitHasFanInStd) {
  torch::manual_seed(0);
  auto model = Make(10, false);
  auto params = model->named_parameters();
  // layer3.0.conv2: 64*64*9 = 36,864 draws, std sqrt(2/576).
  double std = params["layer3.0.conv2.weight"].std().item<double>();
  EXPECT_NEAR(std, std::sqrt(2.0 / 576.0), 0.03 * std::sqrt(2.0 / 576.0));
  EXPECT_TRUE(params["bn1.weight"].eq(1).all().item<bool>());
  EXPECT_TRUE(params["bn1.bias"].eq(0).all().item<bool>());
  // Linear bias keeps the default uniform(+-1/sqrt(64)).
  EXPECT_LE(params["linear.bias"].abs().max().item<double>(), 0.125);
}

// Fills every parameter by golden.resnet32.deterministic_forward.weights.
void FillDeterministic(ResNetCifar& model) {
  torch::NoGradGuard g;
  int p = 0;
  for (auto& item : model->named_parameters()) {
    torch::Tensor t = item.value();
    int64_t n = t.numel();
    torch::Tensor k = torch::arange(n, torch::kFloat64);
    torch::Tensor v = torch::sin(0.7 * k + 0.3 * p + 0.1);
    const std::string& name = item.key();
    torch::Tensor filled;
    if (t.dim() > 1) {
      filled = 0.5 * v / std::sqrt(static_cast<double>(n) / static_cast<double>(t.size(0)));
    } else if (name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0) {
      filled = 1 + 0.1 * v;
    } else {
      filled = 0.1 * v;
    }
    t.copy_(filled.reshape(t.sizes()));
    ++p;
  }
}

void ExpectForward(bool normed, const double (&eval)[2][10], const double (&train)[2][10]) {
  torch::Tensor k = torch::arange(2 * 3 * 32 * 32, torch::kFloat64);
  torch::Tensor x = torch::sin(0.37 * k + 0.5).reshape({2, 3, 32, 32});
  for (bool train_mode : {false, true}) {
    auto model = Make(10, normed);
    model->to(torch::kFloat64);
    FillDeterministic(model);
    model->train(train_mode);
    torch::NoGradGuard g;
    torch::Tensor y = model->forward(x);
    ASSERT_EQ(y.sizes(), torch::IntArrayRef({2, 10}));
    auto a = y.accessor<double, 2>();
    const double(&want)[2][10] = train_mode ? train : eval;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 10; ++j)
        EXPECT_NEAR(a[i][j], want[i][j], 1e-10 * std::max(1.0, std::fabs(want[i][j])))
            << (normed ? "normed " : "linear ") << (train_mode ? "train" : "eval") << " [" << i << "][" << j << "]";
  }
}

TEST(ModelsTest, DeterministicForwardLinearHead) { ExpectForward(false, kLinearEvalMode, kLinearTrainMode); }
TEST(ModelsTest, DeterministicForwardNormedHead) { ExpectForward(true, kNormedEvalMode, kNormedTrainMode); }

// model.head / method.loss as TrainingOptions reads them.
bool NormedHead(const std::string& head, const std::string& loss) {
  return UseNormedHead(ParseHeadKind(head), ParseLossKind(loss));
}

TEST(ModelsTest, SmallerFamilyAndFashionMnistShapes) {
  // ResNet-8/14/20: 6n+2 layers; 1x28x28 goes 28 -> 14 -> 7 and pools to 64.
  for (auto [arch, blocks] : {std::pair<const char*, int64_t>{"resnet8", 1}, {"resnet14", 2}, {"resnet20", 3}}) {
    EXPECT_EQ(BlocksPerStageForArch(arch), blocks);
    auto model = MakeResNet(arch, NormedHead("auto", "ce"), 10, 1);
    torch::NoGradGuard g;
    model->eval();
    EXPECT_EQ(model->forward(torch::randn({3, 1, 28, 28})).sizes(), torch::IntArrayRef({3, 10}));
  }
  EXPECT_EQ(CountParameters(*MakeResNet("resnet20", NormedHead("linear", "ce"), 10, 3)), 269722);
  EXPECT_TRUE(MakeResNet("resnet8", NormedHead("auto", "ldam"), 10, 3)->options().normed_head);
  EXPECT_FALSE(MakeResNet("resnet8", NormedHead("auto", "focal"), 10, 3)->options().normed_head);
  EXPECT_TRUE(MakeResNet("resnet8", NormedHead("normed", "ce"), 10, 3)->options().normed_head);
  EXPECT_THROW(BlocksPerStageForArch("resnet50"), std::exception);
}

}  // namespace
}  // namespace ltsweep::trainer
