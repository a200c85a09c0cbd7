// The control source's local state: the persistent Seq file (dtcpctl.hpp, SeqStore) and the
// shared key.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dtcpctl.hpp"

namespace dfc::dtcpctl {
namespace fs = std::filesystem;

std::string read_key(const std::string& key_file) {
  std::string key;
  if (!key_file.empty()) {
    std::ifstream f(key_file, std::ios::binary);
    if (!f) throw Fail{kBadInput, key_file + ": cannot read key file"};
    std::getline(f, key);
    if (!key.empty() && key.back() == '\r') key.pop_back();
  } else if (const char* e = std::getenv("DTCP_KEY")) {
    key = e;
  }
  if (key.empty()) throw Fail{kBadInput, "no shared key: use --key-file FILE or set DTCP_KEY"};
  return key;
}

uint64_t SeqStore::reserve() {
  const fs::path p(path_);
  if (p.has_parent_path()) {
    std::error_code ec;
    if (!fs::exists(p.parent_path(), ec)) {
      fs::create_directories(p.parent_path(), ec);
      if (ec) throw Fail{kLocalError, p.parent_path().string() + ": cannot create directory: " + ec.message()};
      fs::permissions(p.parent_path(), fs::perms::owner_all, ec);  // private, like the key
    }
  }
  const std::string lock = path_ + ".lock";
  const int lfd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lfd < 0) throw Fail{kLocalError, lock + ": cannot open lock file"};
  struct Closer {
    int fd;
    ~Closer() { ::flock(fd, LOCK_UN), ::close(fd); }
  } closer{lfd};
  if (::flock(lfd, LOCK_EX) != 0) throw Fail{kLocalError, lock + ": cannot lock"};
  uint64_t next = first_;
  {
    std::ifstream f(path_);
    if (f) {
      std::string s;
      f >> s;
      if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos)
        throw Fail{kLocalError, path_ + ": not a sequence-number file (expected one decimal number)"};
      next = std::stoull(s) + 1;  // wraps at 2^64 like the protocol's Seq
    }
  }
  const std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Fail{kLocalError, tmp + ": cannot create"};
  const std::string text = std::to_string(next) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Fail{kLocalError, path_ + ": cannot update sequence-number file"};
  }
  return next;
}

}  // namespace dfc::dtcpctl
