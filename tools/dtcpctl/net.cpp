// Addresses and UDP with deadlines.
#include <cstdio>
#include <ctime>

#include "dtcpctl.hpp"

namespace dfc::dtcpctl {

std::string now_text() {
  const auto t = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return b;
}

udp::endpoint parse_endpoint(const std::string& s, const char* what) {
  std::string host, port;
  if (!s.empty() && s.front() == '[') {
    const size_t r = s.find(']');
    if (r == std::string::npos || r + 1 >= s.size() || s[r + 1] != ':')
      throw Fail{kBadInput, std::string(what) + ": expected [IPv6]:PORT, got '" + s + "'"};
    host = s.substr(1, r - 1);
    port = s.substr(r + 2);
  } else {
    const size_t c = s.rfind(':');
    if (c == std::string::npos) throw Fail{kBadInput, std::string(what) + ": expected ADDR:PORT, got '" + s + "'"};
    host = s.substr(0, c);
    port = s.substr(c + 1);
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) {
    // A host name (localhost, a lab machine): the first address the resolver gives, IPv4 first.
    asio::io_context io;
    udp::resolver res(io);
    const auto found = res.resolve(host, "", ec);
    if (ec || found.empty())
      throw Fail{kBadInput, std::string(what) + ": '" + host + "' is neither an IP address nor a host name that resolves" +
                                (ec ? " (" + ec.message() + ")" : std::string())};
    addr = found.begin()->endpoint().address();
    for (const auto& e : found)
      if (e.endpoint().address().is_v4()) {
        addr = e.endpoint().address();
        break;
      }
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) == 0 || std::stoul(port) > 65535)
    throw Fail{kBadInput, std::string(what) + ": '" + port + "' is not a UDP port (1-65535)"};
  return udp::endpoint(addr, static_cast<unsigned short>(std::stoul(port)));
}

std::string endpoint_text(const udp::endpoint& e) {
  return (e.address().is_v6() ? "[" + e.address().to_string() + "]" : e.address().to_string()) + ":" +
         std::to_string(e.port());
}

void Udp::open(const udp::endpoint& local) {
  boost::system::error_code ec;
  sock_.open(local.protocol(), ec);
  if (!ec) sock_.bind(local, ec);
  if (ec) throw Fail{kLocalError, "cannot bind UDP " + endpoint_text(local) + ": " + ec.message()};
}

void Udp::send(const std::string& data, const udp::endpoint& to) {
  boost::system::error_code ec;
  sock_.send_to(asio::buffer(data), to, 0, ec);
  if (ec) throw Fail{kLocalError, "cannot send to " + endpoint_text(to) + ": " + ec.message()};
}

std::optional<std::string> Udp::recv(std::chrono::steady_clock::time_point deadline, udp::endpoint& from) {
  const auto now = std::chrono::steady_clock::now();
  if (deadline <= now) return std::nullopt;
  buf_.resize(65536);
  bool done = false;
  boost::system::error_code rec;
  size_t n = 0;
  io_.restart();
  sock_.async_receive_from(asio::buffer(buf_), from, [&](const boost::system::error_code& e, size_t len) {
    done = true, rec = e, n = len;
  });
  io_.run_for(deadline - now);
  if (!done) {
    sock_.cancel();
    io_.restart();
    io_.run();  // completes the cancelled receive
    if (!done || rec == asio::error::operation_aborted) return std::nullopt;
  }
  if (rec) {
    // ICMP port unreachable from an earlier send shows up as connection_refused: no server yet.
    if (rec == asio::error::connection_refused) return recv(deadline, from);
    throw Fail{kLocalError, "receive failed: " + rec.message()};
  }
  return std::string(buf_.data(), n);
}

}  // namespace dfc::dtcpctl
