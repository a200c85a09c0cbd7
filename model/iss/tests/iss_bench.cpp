// The engine's speed and memory (docs/iss-engine.md): runs progs/hot.S (a checksum loop over a
// DRAM array) on N contexts round-robin in slices of Q instructions, for T instructions in all.
//   iss_bench [contexts=32] [quantum=10000] [total=200000000] [shared|engines] [rw|ro]
// rw: the loop writes every word back (Unicorn 2.0.1 makes each guest store slow: see
// docs/iss-engine.md); ro: the same loop without the store.
// shared: one engine, a saved context per hardware thread (what MipsIss does);
// engines: one MipsIss (one Unicorn engine) per hardware thread over the same memory, the
// alternative the design rejected. Prints instructions per wall second and the process RSS.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dfc/hal/card_map.hpp"
#include "elf_image.hpp"
#include "iss_memory.hpp"
#include "mips_iss.hpp"

namespace {

long status_kb(const char* key) {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, key, std::strlen(key)) == 0) v = std::atol(line + std::strlen(key));
  std::fclose(f);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  using dfc::iss::MipsIss;
  const unsigned contexts = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 32;
  const uint64_t quantum = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000;
  const uint64_t total = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 200000000;
  const std::string mode = argc > 4 ? argv[4] : "shared";
  const std::string loop = argc > 5 ? argv[5] : "ro";
  if (contexts == 0 || quantum == 0 || (mode != "shared" && mode != "engines") || (loop != "rw" && loop != "ro")) {
    std::fprintf(stderr, "usage: iss_bench [contexts>0] [quantum>0] [total] [shared|engines] [rw|ro]\n");
    return 2;
  }
  try {
    const auto image = dfc::iss::ElfImage::load(std::string(DFC_ISS_PROGS) + "/hot.elf", dfc::cardmap::ISS_DRAM_WINDOW,
                                                dfc::cardmap::ISS_WINDOW_BYTES);
    dfc::iss::IssMemory mem;
    mem.load(image);
    const long rss0 = status_kb("VmRSS:");
    std::vector<std::unique_ptr<MipsIss>> engines;
    for (unsigned i = 0; i < (mode == "shared" ? 1 : contexts); ++i)
      engines.push_back(std::make_unique<MipsIss>(image, mem, mode == "shared" ? contexts : 1));
    for (unsigned c = 0; c < contexts; ++c)  // $a0 selects the loop
      mode == "shared" ? engines[0]->set_reg(c, 4, loop == "ro") : engines[c]->set_reg(0, 4, loop == "ro");
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t done = 0, slices = 0;
    while (done < total) {
      for (unsigned c = 0; c < contexts && done < total; ++c, ++slices) {
        MipsIss& e = mode == "shared" ? *engines[0] : *engines[c];
        const auto s = e.run(mode == "shared" ? c : 0, quantum);
        if (s.stop != MipsIss::Slice::Stop::Budget) {
          std::fprintf(stderr, "iss_bench: context %u stopped: %s\n", c, s.fault.c_str());
          return 1;
        }
        done += s.instructions;
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto& st = engines[0]->stats();
    std::printf("loop %s mode %s contexts %u quantum %llu: %.1f M instructions/s (%llu in %.2f s, %llu slices), "
                "RSS %ld KB (before engines %ld KB, peak %ld KB), context %zu bytes, engine 0: %llu emu_starts, "
                "%llu blocks stepped, %llu instructions hooked\n",
                loop.c_str(), mode.c_str(), contexts, static_cast<unsigned long long>(quantum), done / secs / 1e6,
                static_cast<unsigned long long>(done), secs, static_cast<unsigned long long>(slices), status_kb("VmRSS:"),
                rss0, status_kb("VmHWM:"), engines[0]->context_bytes(), static_cast<unsigned long long>(st.emu_starts),
                static_cast<unsigned long long>(st.stepped_blocks), static_cast<unsigned long long>(st.hooked_instructions));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iss_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
