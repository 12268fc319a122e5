// The text track's own defaults: the few trial-config keys whose default for
// data.dataset imdb differs from the schema's (which is the image tracks').
// The table is defined in common/config_schema.cc, next to the schema it
// overrides, so each default has one home: the image default in the key's
// schema entry, the text default here. ResolveTrialConfig() applies these to a
// config whose data.dataset is imdb for every key the config does not give;
// the generated key table (spec/config_doc.h) shows them as "(imdb: ...)".
//
// Today: train.optimizer adam, train.lr 0.001, train.weight_decay 0,
// train.lr_schedule.type constant (the report's Keras "Adam with default
// settings"; the BiLSTM supports no other schedule).
//
// Thread-safety: immutable after first use, like the schema.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace ltsweep {

// (key path, text default) pairs, in schema order.
const std::vector<std::pair<std::string, nlohmann::json>>& TextTrackDefaults();

// The text default of `path`, or nullptr when the text track uses the schema's.
const nlohmann::json* TextTrackDefault(std::string_view path);

// DefaultTrialConfig() with data.dataset imdb and the text defaults in place.
nlohmann::json DefaultTextTrialConfig();

}  // namespace ltsweep
