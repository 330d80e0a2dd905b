// Crash safety of state files: a child process saves states over and over
// (save_state_file, as chat --save-state does) and is SIGKILLed at random
// moments, hundreds of times. Whatever survives on disk must be exactly one
// of the two states it was writing, never a torn mix; the temporary files
// the kills leave behind are cleaned up by the next save.
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "doctest/doctest.h"
#include "model_session.h"
#include "state_file_io.h"
#include "test_support.h"

using namespace rwkv_edge;

namespace {

std::vector<uint8_t> exported(cli::ModelSession& model) {
  std::vector<uint8_t> bytes(rwkv_edge_state_file_bytes(model.get()));
  REQUIRE(rwkv_edge_state_export(model.get(), bytes.data(), bytes.size()).code == RWKV_EDGE_OK);
  return bytes;
}

size_t temporaries_in(const std::string& folder) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(folder))
    n += e.path().filename().string().find(".tmp.") != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("state files survive SIGKILL at any moment of a save: old or new, never torn") {
  char folder_template[] = "/tmp/rwkv-edge-crash-XXXXXX";
  REQUIRE(mkdtemp(folder_template) != nullptr);
  const std::string folder = folder_template;
  const std::string model_path = folder + "/mini-v6.rwkv", state_path = folder + "/chat.state";
  planner::PlanOptions options;
  options.input = test::data_path("mini-v6.pth");
  options.output = model_path;
  planner::plan_model(options);
  cli::ModelSession model(model_path, cli::RuntimeChoice{}, false);

  // Two different states, as files and as raw state bytes.
  std::vector<std::vector<uint8_t>> files, raws;
  for (const uint32_t token : {3u, 7u}) {
    rwkv_edge_state_reset(model.get());
    for (int i = 0; i < 4; ++i) model.step(token + i);
    files.push_back(exported(model));
    raws.emplace_back(rwkv_edge_state_bytes(model.get()));
    REQUIRE(rwkv_edge_state_save(model.get(), raws.back().data(), raws.back().size()).code == RWKV_EDGE_OK);
  }
  REQUIRE(files[0] != files[1]);

  constexpr int kKills = 400;
  std::mt19937 rng(11);
  int surviving_old_or_new = 0, missing = 0, torn = 0, left_temporaries = 0;
  for (int kill_round = 0; kill_round < kKills; ++kill_round) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      for (int i = 0; i < 1000000; ++i) {  // until killed
        const auto& raw = raws[static_cast<size_t>(i) % 2];
        if (rwkv_edge_state_restore(model.get(), raw.data(), raw.size()).code != RWKV_EDGE_OK) _exit(3);
        try {
          cli::save_state_file(model, state_path);
        } catch (...) {
          _exit(4);
        }
      }
      _exit(0);
    }
    usleep(std::uniform_int_distribution<useconds_t>(0, 4000)(rng));
    kill(child, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL), "the saver failed on its own");
    left_temporaries += std::filesystem::exists(state_path + ".tmp." + std::to_string(child));
    if (!std::filesystem::exists(state_path)) {
      ++missing;  // killed before its first save ever finished
      continue;
    }
    const std::vector<uint8_t> on_disk = test::read_file(state_path);
    if (on_disk == files[0] || on_disk == files[1]) {
      ++surviving_old_or_new;
      // And it loads (CRC and fingerprint checked) into the session.
      CHECK_NOTHROW(cli::load_state_file(model, state_path));
    } else {
      ++torn;
    }
  }
  MESSAGE(kKills << " kills: " << surviving_old_or_new << " files intact (old or new state), " << missing
                 << " before a first save, " << torn << " torn; " << left_temporaries
                 << " kills landed between a temporary file's creation and its rename");
  CHECK(torn == 0);
  CHECK(surviving_old_or_new + missing == kKills);
  CHECK(left_temporaries > 0);  // some kills did land mid-save, so the check above means something

  // The next save removes what the killed savers left behind.
  cli::save_state_file(model, state_path);
  CHECK(temporaries_in(folder) == 0);
  std::filesystem::remove_all(folder);
}
