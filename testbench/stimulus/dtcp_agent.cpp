#include "stimulus/dtcp_agent.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sstream>

#include "common/text.hpp"

namespace dfc::tb {

std::string hmac_sha1_hex(const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

using common::lower;
using common::trim;

std::optional<std::string> DtcpReply::get(const std::string& n) const {
  auto it = params.find(n);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

std::optional<DtcpReply> parse_reply(const std::string& bytes, const std::string& key) {
  DtcpReply r;
  r.raw = bytes;
  size_t pos = 0, line_no = 0;
  while (pos < bytes.size()) {
    size_t eol = bytes.find('\n', pos);
    if (eol == std::string::npos) eol = bytes.size();
    const std::string line = trim(bytes.substr(pos, eol - pos));
    const size_t line_start = pos;
    pos = eol + 1;
    if (line_no++ == 0) {
      std::istringstream is(line);
      if (!(is >> r.version >> r.status)) return std::nullopt;
      if (r.version.rfind("DTCP/", 0) != 0) return std::nullopt;
      std::getline(is, r.reason);
      r.reason = trim(r.reason);
      continue;
    }
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string value = trim(line.substr(colon + 1));
    r.params.emplace(name, value);
    if (name == "authentication-info") {
      r.signature_ok = hmac_sha1_hex(key, bytes.substr(0, line_start)) == lower(value);
      break;
    }
  }
  return r;
}

DtcpAgent::DtcpAgent(std::string csource_id, std::string key, uint64_t first_seq)
    : id_(std::move(csource_id)), key_(std::move(key)), seq_(first_seq) {}

bool DtcpAgent::carries_own_auth(const std::string& request) {
  const std::string l = lower(request);
  auto has_param = [&](const std::string& name) {
    return l.rfind(name + ":", 0) == 0 || l.find("\n" + name + ":") != std::string::npos ||
           l.find("\n" + name + " ") != std::string::npos;
  };
  return has_param("seq") || has_param("authentication-info");
}

std::string DtcpAgent::prepare(const std::string& request) {
  if (carries_own_auth(request)) return request;
  std::string text;
  std::istringstream is(request);
  std::string line;
  while (std::getline(is, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    text += line + "\r\n";
  }
  text += "Seq: " + std::to_string(seq_++) + "\r\n";
  return text + "Authentication-Info: " + hmac_sha1_hex(key_, text) + "\r\n\r\n";
}

}  // namespace dfc::tb
