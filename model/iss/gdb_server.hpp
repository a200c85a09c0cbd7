// A GDB remote-serial-protocol server for the firmware image on the instruction-set simulator
// (`dfcsim run --firmware IMAGE --gdb PORT`, docs/iss.md "Debugging"), on 127.0.0.1 only. Each
// hardware thread is a gdb thread (id = context + 1). All-stop: while the debugger has the card
// stopped, the host blocks in this server, so simulated time stands still for every thread. The
// card waits at boot for the debugger to attach and continue, as QEMU's `-s -S` does.
// Supported: thread list and selection, registers (the 32 GPRs, sr, lo, hi, bad, cause, pc;
// the FPU is not modelled and reads as unavailable), memory of the DRAM and packet windows,
// software breakpoints (Z0/z0), continue, single-step (of the stopped thread), detach and kill
// (both let the simulation run on without the debugger). SystemC-free.
#pragma once
#include <cstdint>
#include <string>

#include "mips_iss.hpp"

namespace dfc::iss {

class IssMemory;

class GdbServer {
 public:
  // What the card does when the debugger lets it go on.
  enum class Action { Continue, Step, Detached };

  // Listens on 127.0.0.1:port (throws std::runtime_error naming the port when it cannot).
  GdbServer(MipsIss& iss, IssMemory& mem, uint16_t port);
  ~GdbServer();
  GdbServer(const GdbServer&) = delete;
  GdbServer& operator=(const GdbServer&) = delete;

  uint16_t port() const { return port_; }
  // Blocks until a debugger connects (a line on stderr says where), then serves it with the card
  // stopped at the image's entry (context `ctx`) until it continues.
  Action attach(unsigned ctx);
  // Context ctx stopped (a breakpoint, a finished step): reports it and serves the debugger
  // until it continues. Detached: returns at once.
  Action stopped(unsigned ctx);
  bool attached() const { return fd_ >= 0; }
  // The context the debugger asked to single-step (meaningful after Action::Step).
  unsigned step_ctx() const { return step_ctx_; }

 private:
  Action serve(unsigned ctx);
  bool read_packet(std::string& out);
  void send(const std::string& payload);
  std::string handle(const std::string& p, unsigned stopped_ctx, Action& resume);
  std::string read_registers(unsigned ctx) const;
  std::string read_register(unsigned ctx, unsigned n) const;
  bool write_register(unsigned ctx, unsigned n, uint32_t v);
  std::string read_memory(uint32_t addr, uint32_t len) const;
  bool write_memory(uint32_t addr, const std::string& hex);
  std::string thread_list() const;
  int thread_of(const std::string& id) const;  // -1: bad or "all"
  void detach();

  MipsIss& iss_;
  IssMemory& mem_;
  uint16_t port_ = 0;
  int listen_fd_ = -1, fd_ = -1;
  unsigned g_ctx_ = 0;  // Hg: the thread registers and memory refer to
  unsigned step_ctx_ = 0;
  bool list_sent_ = false;
  std::string rx_;  // bytes received, not yet a whole packet
};

}  // namespace dfc::iss
