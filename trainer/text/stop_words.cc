#include "trainer/text/stop_words.h"

#include <algorithm>

namespace ltsweep::trainer::text {
namespace {

// scikit-learn's ENGLISH_STOP_WORDS, alphabetical.
constexpr std::string_view kStopWords[] = {
    "a", "about", "above", "across", "after", "afterwards", "again", "against", "all", "almost", "alone",
    "along", "already", "also", "although", "always", "am", "among", "amongst", "amoungst", "amount", "an",
    "and", "another", "any", "anyhow", "anyone", "anything", "anyway", "anywhere", "are", "around", "as",
    "at", "back", "be", "became", "because", "become", "becomes", "becoming", "been", "before", "beforehand",
    "behind", "being", "below", "beside", "besides", "between", "beyond", "bill", "both", "bottom", "but",
    "by", "call", "can", "cannot", "cant", "co", "con", "could", "couldnt", "cry", "de", "describe", "detail",
    "do", "done", "down", "due", "during", "each", "eg", "eight", "either", "eleven", "else", "elsewhere",
    "empty", "enough", "etc", "even", "ever", "every", "everyone", "everything", "everywhere", "except", "few",
    "fifteen", "fifty", "fill", "find", "fire", "first", "five", "for", "former", "formerly", "forty", "found",
    "four", "from", "front", "full", "further", "get", "give", "go", "had", "has", "hasnt", "have", "he",
    "hence", "her", "here", "hereafter", "hereby", "herein", "hereupon", "hers", "herself", "him", "himself",
    "his", "how", "however", "hundred", "i", "ie", "if", "in", "inc", "indeed", "interest", "into", "is", "it",
    "its", "itself", "keep", "last", "latter", "latterly", "least", "less", "ltd", "made", "many", "may", "me",
    "meanwhile", "might", "mill", "mine", "more", "moreover", "most", "mostly", "move", "much", "must", "my",
    "myself", "name", "namely", "neither", "never", "nevertheless", "next", "nine", "no", "nobody", "none",
    "noone", "nor", "not", "nothing", "now", "nowhere", "of", "off", "often", "on", "once", "one", "only",
    "onto", "or", "other", "others", "otherwise", "our", "ours", "ourselves", "out", "over", "own", "part",
    "per", "perhaps", "please", "put", "rather", "re", "same", "see", "seem", "seemed", "seeming", "seems",
    "serious", "several", "she", "should", "show", "side", "since", "sincere", "six", "sixty", "so", "some",
    "somehow", "someone", "something", "sometime", "sometimes", "somewhere", "still", "such", "system", "take",
    "ten", "than", "that", "the", "their", "them", "themselves", "then", "thence", "there", "thereafter",
    "thereby", "therefore", "therein", "thereupon", "these", "they", "thick", "thin", "third", "this", "those",
    "though", "three", "through", "throughout", "thru", "thus", "to", "together", "too", "top", "toward",
    "towards", "twelve", "twenty", "two", "un", "under", "until", "up", "upon", "us", "very", "via", "was",
    "we", "well", "were", "what", "whatever", "when", "whence", "whenever", "where", "whereafter", "whereas",
    "whereby", "wherein", "whereupon", "wherever", "whether", "which", "while", "whither", "who", "whoever",
    "whole", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your",
    "yours", "yourself", "yourselves",
};

// Kept by kSklearnKeepNegations (see stop_words.h), alphabetical.
constexpr std::string_view kNegations[] = {
    "cannot", "cant", "couldnt", "hasnt", "neither", "never", "no", "nobody",
    "none", "noone", "nor", "not", "nothing", "nowhere", "without",
};

}  // namespace

std::optional<StopWordList> ParseStopWordList(std::string_view name) {
  for (auto list : {StopWordList::kSklearn, StopWordList::kSklearnKeepNegations, StopWordList::kNone}) {
    if (name == StopWordListName(list)) return list;
  }
  return std::nullopt;
}

const char* StopWordListName(StopWordList list) {
  switch (list) {
    case StopWordList::kSklearn:
      return "sklearn";
    case StopWordList::kSklearnKeepNegations:
      return "sklearn_keep_negations";
    case StopWordList::kNone:
      return "none";
  }
  return "sklearn";
}

const std::vector<std::string_view>& NegationWords() {
  static const std::vector<std::string_view> words(std::begin(kNegations), std::end(kNegations));
  return words;
}

bool IsStopWord(std::string_view word, StopWordList list) {
  switch (list) {
    case StopWordList::kSklearn:
      return IsStopWord(word);
    case StopWordList::kSklearnKeepNegations:
      return IsStopWord(word) && !std::binary_search(NegationWords().begin(), NegationWords().end(), word);
    case StopWordList::kNone:
      return false;
  }
  return IsStopWord(word);
}

const std::vector<std::string_view>& StopWords() {
  static const std::vector<std::string_view> words = [] {
    std::vector<std::string_view> w(std::begin(kStopWords), std::end(kStopWords));
    std::sort(w.begin(), w.end());
    w.erase(std::unique(w.begin(), w.end()), w.end());
    return w;
  }();
  return words;
}

bool IsStopWord(std::string_view word) {
  const auto& w = StopWords();
  return std::binary_search(w.begin(), w.end(), word);
}

}  // namespace ltsweep::trainer::text
