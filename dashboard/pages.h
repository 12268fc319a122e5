// The dashboard's HTML pages: static shells (no data in them) that load
// /assets/dashboard.css and /assets/dashboard.js; the script fills them
// from the JSON endpoints and keeps them current (dashboard/dashboard.h).
// The ids the script and the browser test rely on are listed in
// dashboard/assets/dashboard.js.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace ltsweep::dashboard {

std::string SweepsPageHtml();
std::string SweepPageHtml(int64_t sweep_id);
std::string TrialPageHtml(int64_t trial_id);

// The Content-Security-Policy every page is served with: scripts and styles
// from this server only, no inline script, no other origin.
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace ltsweep::dashboard
