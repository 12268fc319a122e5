// The dashboard's script and style sheet, compiled into the binary from
// dashboard/assets/ (dashboard/embed_assets.cmake writes their definitions at
// build time): edit the files there, never a generated copy.
#pragma once

namespace ltsweep::dashboard {

extern const char kDashboardJs[];
extern const char kDashboardCss[];

}  // namespace ltsweep::dashboard
