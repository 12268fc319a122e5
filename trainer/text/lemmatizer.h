// A small rule-based English lemmatiser for the IMDB track. Like NLTK's
// WordNetLemmatizer with its default part of speech (noun), which the
// reproduction report most likely used, it only maps plural nouns to their
// singular; verbs and adjectives are left alone ("watched" stays "watched").
// Without a dictionary it uses these rules, first match wins:
//   1. an exception table of irregular plurals (men->man, women->woman,
//      children->child, feet->foot, teeth->tooth, mice->mouse, geese->goose,
//      lives->life, wives->wife, knives->knife, wolves->wolf, halves->half,
//      shelves->shelf, leaves->leaf, thieves->thief, heroes->hero,
//      potatoes->potato, tomatoes->tomato, echoes->echo, vetoes->veto,
//      data->datum, criteria->criterion, phenomena->phenomenon) and of words
//      ending in s that are not plurals (series, species, news, physics,
//      politics, mathematics, chaos, lens, bus, gas, yes, this, thus, its ...);
//   then words of 3 letters or fewer are unchanged;
//   2. "-ies" -> "-ie" for a short list of nouns whose singular ends in -ie
//      (movies->movie, zombies->zombie, cookies->cookie, hippies->hippie,
//      rookies->rookie, pies->pie, ties->tie, lies->lie, genies->genie,
//      calories->calorie, prairies->prairie, freebies->freebie,
//      newbies->newbie, aunties->auntie, goalies->goalie, indies->indie,
//      selfies->selfie, boogies->boogie, techies->techie,
//      sweeties->sweetie, cuties->cutie, talkies->talkie and a few more);
//      otherwise "-ies" -> "-y" (stories->story, comedies->comedy);
//   3. "-sses" -> "-ss", "-shes"/"-ches"/"-xes"/"-zzes" -> drop "es"
//      (classes->class, wishes->wish, watches->watch, boxes->box);
//   4. words ending in "ss", "us" or "is" are unchanged (actress, famous,
//      bonus, analysis);
//   5. a final "s" is dropped (films->film, actors->actor, scenes->scene).
//
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace ltsweep::trainer::text {

// `word` must be lower-case ASCII letters (Tokenize() output).
std::string Lemmatize(std::string_view word);

}  // namespace ltsweep::trainer::text
