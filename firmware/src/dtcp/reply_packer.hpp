// LIST's reply packer (handlers.cpp): kept by a ListJob between the chunks a LIST answer is
// packed in (docs/firmware-concurrency.md §4 rule 11).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"

namespace dfc::dtcp::detail {

// LIST's entries packed into replies of at most max_payload bytes once signed (the server signs
// each where it sends it, outside the criteria lock); an entry is never
// split (an entry larger than the limit on its own goes alone). Nothing matched: one empty
// reply. Each entry is written straight into the packet text it ends in, through a cursor
// (the string's size runs ahead of it): no per-entry string copied in afterwards, and no
// string append per field (on the image each costs a call, its checks and a memcpy call,
// several times the bytes it writes). An entry that does not fit moves once, to the next
// packet's text.
class ReplyPacker {
 public:
  ReplyPacker(std::string head, std::string tail, size_t max_payload)
      : head_(std::move(head)), tail_(std::move(tail)), max_(max_payload),
        overhead_(head_.size() + tail_.size() + kSignatureBytes) {
    start(text_);
    len_ = text_.size();
  }
  void begin_entry() { entry_at_ = len_; }
  void end_entry() {
    const size_t body = entry_at_ - head_.size();
    const size_t entry = len_ - entry_at_;
    if (body == 0 || overhead_ + body + entry <= max_) return;
    std::string next;
    start(next);
    next.append(text_, entry_at_, entry);
    len_ = entry_at_;
    flush();
    text_ = std::move(next);
    len_ = text_.size();
  }
  std::vector<std::string> finish() {
    flush();
    return std::move(packets_);
  }

  void put(std::string_view v) {
    char* p = room(v.size());
    // Byte copies (the text is at any offset), four a pass: a library copy costs a call and
    // its alignment checks for the few bytes of a field.
#pragma GCC unroll 4
    for (size_t i = 0; i < v.size(); ++i) p[i] = v[i];
    len_ += v.size();
  }
  void put_decimal(uint64_t v) { len_ += format_decimal(room(20), v); }
  void put_line(std::string_view n, std::string_view v) { put(n), put(": "), put(v), put("\r\n"); }
  void put_line(std::string_view n, uint64_t v) { put(n), put(": "), put_decimal(v), put("\r\n"); }

 private:
  // Room for n more bytes at the cursor; the string grows ahead of the cursor: first to the
  // packet's reserved capacity (one fill), then by doubling (an entry over the limit).
  char* room(size_t n) {
    if (text_.size() - len_ < n) text_.resize(std::max({len_ + n, 2 * text_.size(), text_.capacity()}));
    return &text_[len_];
  }
  void start(std::string& t) const {
    t.reserve(std::max(max_, overhead_));
    t = head_;
  }
  void flush() {
    text_.resize(len_);
    text_ += tail_;
    packets_.push_back(std::move(text_));
    text_ = std::string();
    len_ = 0;
  }
  std::string head_, tail_;
  size_t max_, overhead_;
  std::string text_;
  size_t len_ = 0;  // the text written so far: text_[0, len_)
  size_t entry_at_ = 0;
  std::vector<std::string> packets_;
};

}  // namespace dfc::dtcp::detail
