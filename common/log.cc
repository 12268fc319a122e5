#include "common/log.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>

#include "common/clock.h"
#include "common/utc_time.h"

namespace ltsweep {
namespace {

std::mutex& StderrMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

std::string FormatLogLine(const std::string& component, const std::string& line) {
  return FormatUtcMillis(SystemClock::Default()->NowMillis()) + " " + component + ": " + line;
}

LogFn StderrLog(std::string component) {
  return [component = std::move(component)](const std::string& line) {
    const std::string text = FormatLogLine(component, line);
    std::lock_guard<std::mutex> lock(StderrMutex());
    std::cerr << text << std::endl;
  };
}

LogFn FileLog(const std::string& path, std::string component) {
  struct Sink {
    std::mutex mu;
    std::ofstream out;
  };
  auto sink = std::make_shared<Sink>();
  sink->out.open(path, std::ios::app);
  if (!sink->out) {
    StderrLog(component)("cannot open log file " + path + ": " + std::strerror(errno) + "; logging to stderr");
    return StderrLog(std::move(component));
  }
  return [sink, component = std::move(component)](const std::string& line) {
    const std::string text = FormatLogLine(component, line);
    std::lock_guard<std::mutex> lock(sink->mu);
    sink->out << (text + '\n');
    sink->out.flush();
  };
}

}  // namespace ltsweep
