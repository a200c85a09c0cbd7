#include "gdb_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "iss_memory.hpp"

namespace dfc::iss {
namespace {

const char kHex[] = "0123456789abcdef";

std::string hex32(uint32_t v) {  // target byte order: big-endian
  std::string s;
  for (int sh = 24; sh >= 0; sh -= 8) s += kHex[(v >> (sh + 4)) & 15], s += kHex[(v >> sh) & 15];
  return s;
}

std::string hex_text(const std::string& t) {
  std::string s;
  for (unsigned char c : t) s += kHex[c >> 4], s += kHex[c & 15];
  return s;
}

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_hex(const std::string& s, uint64_t& v) {
  if (s.empty()) return false;
  v = 0;
  for (char c : s) {
    const int n = nibble(c);
    if (n < 0) return false;
    v = v << 4 | static_cast<unsigned>(n);
  }
  return true;
}

// A gdb thread id: the context + 1, in hex as the protocol has it.
std::string tid(unsigned ctx) {
  char b[16];
  std::snprintf(b, sizeof b, "%x", ctx + 1);
  return b;
}

// The MIPS register numbers of gdb's o32 layout.
constexpr unsigned kSr = 32, kLo = 33, kHi = 34, kBad = 35, kCause = 36, kPc = 37, kRegs = 38;

}  // namespace

GdbServer::GdbServer(MipsIss& iss, IssMemory& mem, uint16_t port) : iss_(iss), mem_(mem), port_(port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("--gdb: socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only: the debugger runs on this machine
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 1) != 0) {
    const std::string why = std::strerror(errno);
    ::close(listen_fd_);
    throw std::runtime_error("--gdb " + std::to_string(port) + ": cannot listen on 127.0.0.1:" + std::to_string(port) +
                             " (" + why + "); choose another port");
  }
  socklen_t len = sizeof a;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) port_ = ntohs(a.sin_port);
}

GdbServer::~GdbServer() {
  if (fd_ >= 0) ::close(fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

GdbServer::Action GdbServer::attach(unsigned ctx) {
  std::cerr << "dfcsim: the card waits for a debugger on 127.0.0.1:" << port_
            << " (gdb-multiarch IMAGE -ex 'target remote 127.0.0.1:" << port_ << "')" << std::endl;
  fd_ = ::accept(listen_fd_, nullptr, nullptr);
  if (fd_ < 0) throw std::runtime_error(std::string("--gdb: accept: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::close(listen_fd_);  // one debugger per run
  listen_fd_ = -1;
  g_ctx_ = ctx;
  return serve(ctx);
}

GdbServer::Action GdbServer::stopped(unsigned ctx) {
  if (fd_ < 0) return Action::Detached;
  g_ctx_ = ctx;
  send("T05thread:" + tid(ctx) + ";");
  return serve(ctx);
}

void GdbServer::detach() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  iss_.clear_breakpoints();  // they go with the debugger
}

GdbServer::Action GdbServer::serve(unsigned ctx) {
  std::string p;
  while (read_packet(p)) {
    Action resume = Action::Continue;
    const std::string reply = handle(p, ctx, resume);
    if (reply == "\001resume") return resume;
    if (reply == "\001detach") {
      send("OK");
      detach();
      return Action::Detached;
    }
    if (reply == "\001kill") {
      detach();
      return Action::Detached;
    }
    send(reply);
  }
  detach();  // the debugger went away: the card runs on
  return Action::Detached;
}

// One packet "$payload#cc" (acknowledged with '+'); a Ctrl-C byte outside a packet is ignored
// (the card is stopped already). false: the connection closed.
bool GdbServer::read_packet(std::string& out) {
  for (;;) {
    const size_t start = rx_.find('$');
    if (start != std::string::npos) {
      const size_t hash = rx_.find('#', start);
      if (hash != std::string::npos && hash + 2 < rx_.size()) {
        out = rx_.substr(start + 1, hash - start - 1);
        rx_.erase(0, hash + 3);
        const char ack = '+';
        if (::write(fd_, &ack, 1) != 1) return false;
        return true;
      }
    }
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    rx_.append(buf, static_cast<size_t>(n));
  }
}

void GdbServer::send(const std::string& payload) {
  unsigned sum = 0;
  for (unsigned char c : payload) sum += c;
  const std::string pkt = "$" + payload + "#" + kHex[(sum >> 4) & 15] + kHex[sum & 15];
  size_t off = 0;
  while (off < pkt.size()) {
    const ssize_t n = ::write(fd_, pkt.data() + off, pkt.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
  // The debugger's '+' for it arrives with its next packet (read_packet skips it).
}

std::string GdbServer::thread_list() const {
  std::string s = "m";
  for (unsigned c = 0; c < iss_.contexts(); ++c) s += (c ? "," : "") + tid(c);
  return s;
}

int GdbServer::thread_of(const std::string& id) const {
  uint64_t v = 0;
  if (id == "-1" || id == "0" || !parse_hex(id, v) || v == 0 || v > iss_.contexts()) return -1;
  return static_cast<int>(v - 1);
}

std::string GdbServer::read_register(unsigned ctx, unsigned n) const {
  if (n < 32) return hex32(iss_.reg(ctx, n));
  switch (n) {
    case kSr: return hex32(0);
    case kLo: return hex32(iss_.lo(ctx));
    case kHi: return hex32(iss_.hi(ctx));
    case kBad: return hex32(0);
    case kCause: return hex32(0);
    case kPc: return hex32(iss_.pc(ctx));
    default: return "xxxxxxxx";  // the FPU is not modelled
  }
}

std::string GdbServer::read_registers(unsigned ctx) const {
  std::string s;
  for (unsigned n = 0; n < kRegs; ++n) s += read_register(ctx, n);
  return s;
}

bool GdbServer::write_register(unsigned ctx, unsigned n, uint32_t v) {
  if (n < 32) iss_.set_reg(ctx, n, v);
  else if (n == kPc) iss_.set_pc(ctx, v);
  else return false;
  return true;
}

std::string GdbServer::read_memory(uint32_t addr, uint32_t len) const {
  if (len > 0x10000 || !mem_.contains(addr, len)) return "E01";  // devices are not read by a debugger
  std::string s;
  for (uint32_t i = 0; i < len; ++i) {
    const uint8_t b = mem_.read8(addr + i);
    s += kHex[b >> 4], s += kHex[b & 15];
  }
  return s;
}

bool GdbServer::write_memory(uint32_t addr, const std::string& hex) {
  const size_t len = hex.size() / 2;
  if (!mem_.contains(addr, len)) return false;
  for (size_t i = 0; i < len; ++i) {
    const int h = nibble(hex[2 * i]), l = nibble(hex[2 * i + 1]);
    if (h < 0 || l < 0) return false;
    mem_.write8(static_cast<uint32_t>(addr + i), static_cast<uint8_t>(h << 4 | l));
  }
  return true;
}

// long-function: one case per packet kind of the protocol, kept together as its reference.
std::string GdbServer::handle(const std::string& p, unsigned stopped_ctx, Action& resume) {
  if (p.empty()) return "";
  const std::string stop = "T05thread:" + tid(stopped_ctx) + ";";
  auto comma = [](const std::string& s, uint64_t& a, uint64_t& b) {
    const size_t c = s.find(',');
    return c != std::string::npos && parse_hex(s.substr(0, c), a) && parse_hex(s.substr(c + 1), b);
  };
  switch (p[0]) {
    case '?': return stop;
    case 'g': return read_registers(g_ctx_);
    case 'p': {
      uint64_t n = 0;
      return parse_hex(p.substr(1), n) ? read_register(g_ctx_, static_cast<unsigned>(n)) : "E01";
    }
    case 'P': {
      const size_t eq = p.find('=');
      uint64_t n = 0, v = 0;
      if (eq == std::string::npos || !parse_hex(p.substr(1, eq - 1), n) || !parse_hex(p.substr(eq + 1), v)) return "E01";
      return write_register(g_ctx_, static_cast<unsigned>(n), static_cast<uint32_t>(v)) ? "OK" : "E01";
    }
    case 'm': {
      uint64_t a = 0, l = 0;
      return comma(p.substr(1), a, l) ? read_memory(static_cast<uint32_t>(a), static_cast<uint32_t>(l)) : "E01";
    }
    case 'M': {
      const size_t colon = p.find(':');
      uint64_t a = 0, l = 0;
      if (colon == std::string::npos || !comma(p.substr(1, colon - 1), a, l)) return "E01";
      return write_memory(static_cast<uint32_t>(a), p.substr(colon + 1, 2 * l)) ? "OK" : "E01";
    }
    case 'H': {
      const int t = thread_of(p.substr(2));
      if (p[1] == 'g' && t >= 0) g_ctx_ = static_cast<unsigned>(t);
      return "OK";
    }
    case 'T': return thread_of(p.substr(1)) >= 0 ? "OK" : "E01";
    case 'Z':
    case 'z': {
      if (p.size() < 2 || p[1] != '0') return "";  // software breakpoints only
      uint64_t a = 0, kind = 0;
      if (!comma(p.substr(3), a, kind)) return "E01";
      if (p[0] == 'Z') iss_.add_breakpoint(static_cast<uint32_t>(a));
      else iss_.remove_breakpoint(static_cast<uint32_t>(a));
      return "OK";
    }
    case 'c': resume = Action::Continue; return "\001resume";
    case 's': step_ctx_ = stopped_ctx; resume = Action::Step; return "\001resume";
    case 'D': return "\001detach";
    case 'k': return "\001kill";
    default: break;
  }
  if (p.rfind("qSupported", 0) == 0) return "PacketSize=4000;vContSupported+";
  if (p == "qAttached") return "1";
  if (p == "qC") return "QC" + tid(stopped_ctx);
  if (p == "qfThreadInfo") return thread_list();
  if (p == "qsThreadInfo") return "l";
  if (p.rfind("qThreadExtraInfo,", 0) == 0) {
    const int t = thread_of(p.substr(17));
    return t < 0 ? "E01" : hex_text("hardware thread " + std::to_string(t));
  }
  if (p == "qSymbol::") return "OK";
  if (p == "vCont?") return "vCont;c;C;s;S";
  if (p.rfind("vCont;", 0) == 0) {
    // vCont;s[:T][;c]: a step, of the thread that stopped (the one the card is running; the
    // others stay where they are); vCont;c: continue all.
    if (p.find(";s") != std::string::npos || p.find(";S") != std::string::npos) {
      step_ctx_ = stopped_ctx;
      resume = Action::Step;
    } else {
      resume = Action::Continue;
    }
    return "\001resume";
  }
  if (p.rfind("vKill", 0) == 0) {
    send("OK");
    return "\001kill";
  }
  return "";  // not supported
}

}  // namespace dfc::iss
