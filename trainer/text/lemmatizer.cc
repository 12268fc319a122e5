#include "trainer/text/lemmatizer.h"

#include <string>
#include <unordered_map>
#include <unordered_set>

namespace ltsweep::trainer::text {
namespace {

bool EndsWith(std::string_view w, std::string_view suffix) {
  return w.size() >= suffix.size() && w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const std::unordered_map<std::string_view, std::string_view>& Irregular() {
  static const std::unordered_map<std::string_view, std::string_view> m = {
      {"women", "woman"},       {"children", "child"},   {"feet", "foot"},       {"teeth", "tooth"},
      {"mice", "mouse"},        {"geese", "goose"},      {"lives", "life"},      {"wives", "wife"},
      {"knives", "knife"},      {"wolves", "wolf"},      {"halves", "half"},     {"shelves", "shelf"},
      {"leaves", "leaf"},       {"thieves", "thief"},    {"heroes", "hero"},     {"potatoes", "potato"},
      {"tomatoes", "tomato"},   {"echoes", "echo"},      {"vetoes", "veto"},     {"data", "datum"},
      {"criteria", "criterion"}, {"phenomena", "phenomenon"}, {"men", "man"},
  };
  return m;
}

const std::unordered_set<std::string_view>& Invariant() {
  static const std::unordered_set<std::string_view> s = {
      "series", "species", "news",  "physics", "politics", "mathematics", "economics", "ethics", "chaos",
      "lens",   "bus",     "gas",   "yes",     "this",     "thus",        "its",       "always", "perhaps",
      "whereas", "besides", "sometimes", "afterwards", "towards", "backwards", "nowadays", "olympics",
      "pants", "jeans", "scissors", "clothes", "glasses", "congress", "christmas", "dies", "goes", "does",
  };
  return s;
}

const std::unordered_set<std::string_view>& IeNouns() {
  static const std::unordered_set<std::string_view> s = {
      "movies",   "zombies",  "cookies",  "hippies", "rookies", "pies",    "ties",    "lies",
      "genies",   "calories", "prairies", "freebies", "newbies", "aunties", "goalies", "indies",
      "selfies",  "boogies",  "techies",  "sweeties", "cuties",  "talkies", "walkies", "birdies",
      "hoodies",  "smoothies", "groupies", "yuppies", "junkies", "brownies", "collies", "eyries",
  };
  return s;
}

}  // namespace

std::string Lemmatize(std::string_view word) {
  if (auto it = Irregular().find(word); it != Irregular().end()) return std::string(it->second);
  if (word.size() <= 3) return std::string(word);
  if (Invariant().count(word) > 0) return std::string(word);
  if (EndsWith(word, "ies")) {
    if (IeNouns().count(word) > 0) return std::string(word.substr(0, word.size() - 1));
    return std::string(word.substr(0, word.size() - 3)) + "y";
  }
  if (EndsWith(word, "sses")) return std::string(word.substr(0, word.size() - 2));
  if (EndsWith(word, "shes") || EndsWith(word, "ches") || EndsWith(word, "xes") || EndsWith(word, "zzes"))
    return std::string(word.substr(0, word.size() - 2));
  if (EndsWith(word, "ss") || EndsWith(word, "us") || EndsWith(word, "is")) return std::string(word);
  if (EndsWith(word, "s")) return std::string(word.substr(0, word.size() - 1));
  return std::string(word);
}

}  // namespace ltsweep::trainer::text
