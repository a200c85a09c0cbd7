// `dtcpctl listen`: notifications received on a port, each verified with the shared key.
#include <iostream>

#include "dfc/dtcp/hmac.hpp"
#include "dtcpctl.hpp"

namespace dfc::dtcpctl {
using nlohmann::json;

int listen_notifications(const Common& c, const std::string& bind_addr, int port, int count, double timeout_s) {
  const std::string key = read_key(c.key_file);
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(bind_addr, ec);
  if (ec) throw Fail{kBadInput, "--bind: '" + bind_addr + "' is not an IP address"};
  Udp sock;
  sock.open(udp::endpoint(addr, static_cast<unsigned short>(port)));
  std::cerr << "dtcpctl: listening for notifications on " << bind_addr << ":" << port << "\n";
  const bool forever = timeout_s <= 0;
  const auto deadline = forever ? std::chrono::steady_clock::time_point::max()
                                : std::chrono::steady_clock::now() +
                                      std::chrono::microseconds(static_cast<int64_t>(timeout_s * 1e6));
  int got = 0, bad = 0;
  while (count <= 0 || got < count) {
    udp::endpoint from;
    const auto slice = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(3600));
    auto data = sock.recv(slice, from);
    if (!data) {
      if (std::chrono::steady_clock::now() >= deadline) break;
      continue;
    }
    auto m = dfc::dtcp::parse_message(*data);
    const bool dtcp = m && m->is_status;
    const bool ok = dtcp && dfc::dtcp::verify(*m, *data, key);
    if (ok) ++got;
    else ++bad;
    if (c.json_out) {
      json j;
      j["received"] = now_text();
      j["from"] = endpoint_text(from);
      j["signature_ok"] = ok;
      if (dtcp) {
        j["status"] = m->status;
        j["reason"] = m->reason;
        j["version"] = m->version_text;
        j["params"] = params_json(m->params);
      } else {
        j["error"] = "not a DTCP status message";
      }
      std::cout << j.dump() << std::endl;
    } else {
      std::cout << "[" << now_text() << "] from " << endpoint_text(from);
      if (!dtcp) {
        std::cout << ": not a DTCP notification (" << data->size() << " bytes)\n";
      } else {
        std::cout << ": " << m->version_text << " " << m->status << " " << m->reason
                  << (ok ? "" : "  [SIGNATURE DOES NOT VERIFY]") << "\n";
        for (const auto& p : m->params) std::cout << "  " << p.name << ": " << p.value << "\n";
      }
      std::cout.flush();
    }
  }
  if (bad) std::cerr << "dtcpctl: " << bad << " datagram(s) failed verification\n";
  if (count > 0 && got < count) {
    std::cerr << "dtcpctl: timeout: " << got << " of " << count << " notification(s) received\n";
    return kTimeout;
  }
  return bad ? kBadReply : kOk;
}

}  // namespace dfc::dtcpctl
