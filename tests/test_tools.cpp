// The CLI's own helpers that no command's output pins down exactly: the
// progress line on stderr and how a user's value is quoted in a message.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "cli_args.h"
#include "progress_line.h"

using namespace rwkv_edge::cli;

namespace {

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

}  // namespace

TEST_CASE("progress in a log: the share done and the time left, then how long the step took") {
  std::FILE* log = std::tmpfile();
  REQUIRE(log != nullptr);
  ProgressLine progress(log);  // not a terminal: whole lines
  progress("calibration", 0, 100);
  progress("calibration", 10, 100);  // under a second in: no estimate yet
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  progress("calibration", 50, 100);
  progress("calibration", 60, 100);  // under 10 s since the last line: quiet
  progress("calibration", 100, 100);
  progress("writing", 0, 10);
  progress("writing", 10, 10);  // quick: not worth a line
  const std::string text = contents(log);
  CHECK_MESSAGE(text.rfind("calibration   50%, about 2 s left\ncalibration  done in 1.1 s\n", 0) == 0, text);
  CHECK(text.find("writing") == std::string::npos);
  std::fclose(log);
  CHECK(duration_text(5.2) == "6 s");
  CHECK(duration_text(65) == "1:05");
  CHECK(duration_text(3725) == "1:02:05");
}

TEST_CASE("a user's value in a message: escaped, and cut at 40 bytes") {
  CHECK(quoted("abc") == "'abc'");
  CHECK(quoted(std::string("a\x01\xff\\", 4)) == "'a\\x01\\xff\\x5c'");
  CHECK(quoted(std::string(100, 'x')) == "'" + std::string(40, 'x') + "' (100 bytes; the first 40 shown)");
}
