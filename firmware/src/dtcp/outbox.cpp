// The server's outgoing side (docs/firmware-concurrency.md §4 rules 9 and 11): messages built
// under the criteria lock and queued unsigned, signed and sent by flush_transmit outside it; and
// LIST answers, snapshotted under the lock and packed (by whichever thread has time, a few
// entries at a time) and queued after it.
#include "server_internal.hpp"

#include "dfc/dtcp/hmac.hpp"
#include "dfc/hal/card_map.hpp"

namespace dfc::dtcp {
using namespace detail;

// The text goes into the packet as one block copy (a copy between char and uint8_t iterators
// would go byte by byte); it is signed with key when it is sent (send_out).
void Server::transmit_to(const std::string& ip, uint16_t port, uint16_t src_port, std::string_view data,
                         const HmacKey& key, bool bulk) {
  Packet p;
  p.unit = Unit::Control;
  p.link = LinkType::RawIp;
  const auto* d = reinterpret_cast<const uint8_t*>(data.data());
  p.data.reserve(data.size() + kSignatureBytes);  // signed in place when sent
  p.data.assign(d, d + data.size());
  p.src_ip = control_addr_;
  p.src_port = src_port;
  p.dst_ip = ip;
  p.dst_port = port;
  send_out(std::move(p), key, bulk);
}

void Server::send_out(Packet&& p, const HmacKey& key, bool bulk) {
  if (defer_tx_) {
    // The producers are the server's own calls, which all run under HW_LOCK_CRITERIA; the
    // count is published after the push, so a consumer that sees it non-zero finds the
    // message under the lock. The key is the control source's, made once with the server
    // and never written again: the consumer reads it without the lock.
    Outgoing& o = (bulk ? bulk_ : outbox_).emplace_back();  // moved once, into its place
    o.p = std::move(p);
    o.key = &key;
    queued_.fetch_add(1, std::memory_order_release);
    return;
  }
  if (!sign_and_transmit(std::move(p), key)) ++counters_.tx_dropped;
}

// Signs the text (the digest covers every byte built so far) and transmits it; false if the
// transmit queue refused it. It touches nothing shared: with deferred transmit flush_transmit
// calls it outside the criteria lock (and counts a refusal under it); without, send_out calls
// it where the message was built.
bool Server::sign_and_transmit(Packet&& p, const HmacKey& key) {
  append_signature(p.data, key);
  hal_.work(Hal::Work::ControlMessage);
  hal_.work(Hal::Work::ControlByte, p.data.size());
  return hal_.transmit(std::move(p));
}

// Concurrency (docs/firmware-concurrency.md §4 rule 9 and §5): any core may call this, with
// the criteria lock released, while the control thread pushes under it.
//  * The empty case (every monitored packet) reads one atomic count and takes no lock.
//  * One core at a time drains: the busy flag is an atomic exchange (test-and-set). A core
//    that finds it set returns at once: no core stalls behind a long LIST.
//  * Each message is popped under the criteria lock (the producers' lock; the deque is not
//    safe to touch otherwise) and signed and transmitted outside it. One drainer pops in
//    FIFO order, so messages leave in the order the server produced them -- except a LIST
//    answer's packets (bulk_), which leave only when no other message waits (rule 12).
//  * Nothing pushed meanwhile is left behind: the drainer looks at the count again after it
//    clears the flag. A core that pushed and found the flag set did so before that clear
//    (the flag's exchanges are ordered, acquire and release), so the drainer sees its message.
bool Server::flush_transmit(size_t max_messages) {
  size_t sent = 0;
  for (;;) {
    if (queued_.load(std::memory_order_acquire) == 0) return sent > 0;
    if (tx_busy_.exchange(1, std::memory_order_acq_rel)) return sent > 0;  // the drainer sends it
    for (; sent < max_messages; ++sent) {
      if (queued_.load(std::memory_order_acquire) == 0) break;  // drained: no lock to find out
      Packet p;
      const HmacKey* key = nullptr;
      {
        HwLock l(hal_, cardmap::HW_LOCK_CRITERIA);
        std::deque<Outgoing>& q = outbox_.empty() ? bulk_ : outbox_;
        if (q.empty()) break;
        p = std::move(q.front().p);
        key = q.front().key;
        q.pop_front();
        queued_.fetch_sub(1, std::memory_order_relaxed);
      }
      if (!sign_and_transmit(std::move(p), *key)) {
        // The server's counters are written under the lock (rare: the transmit queue refused).
        HwLock l(hal_, cardmap::HW_LOCK_CRITERIA, "flush_transmit.tx_dropped");
        ++counters_.tx_dropped;
      }
    }
    tx_busy_.exchange(0, std::memory_order_acq_rel);
    if (sent >= max_messages) return true;
  }
}

Server::Deferred::Deferred() = default;
Server::Deferred::~Deferred() = default;
Server::Deferred::Deferred(Deferred&&) noexcept = default;
Server::Deferred& Server::Deferred::operator=(Deferred&&) noexcept = default;

void Server::format_deferred(Deferred& d) const {
  if (d.list) format_list(*d.list);
}

void Server::queue_deferred(Deferred& d) {
  if (!d.list) return;
  queue_list(*d.list);
  d.list.reset();
}

// The producer is the control thread, under the criteria lock; the count is published after
// the push, so a packer that sees it non-zero finds the job under the lock.
void Server::defer_list(Deferred& d) {
  if (!d.list) return;
  lists_.push_back(std::move(d.list));
  lists_n_.fetch_add(1, std::memory_order_release);
}

// Concurrency (docs/firmware-concurrency.md §4 rule 11): any core, with the criteria lock
// released. One packer at a time (test-and-set on packing_), on the front job: only the packer
// pops it, so the job stays where it is while it is packed without the lock, and the flag's
// exchanges (acquire, release) hand its packing state from one packer to the next.
bool Server::pack_lists(size_t max_entries) {
  if (lists_n_.load(std::memory_order_acquire) == 0) return false;
  if (packing_.exchange(1, std::memory_order_acq_rel)) return false;  // another core packs
  ListJob* job = nullptr;
  {
    HwLock l(hal_, cardmap::HW_LOCK_CRITERIA, "pack_lists.take");
    if (!lists_.empty()) job = lists_.front().get();
  }
  if (job && pack_list(*job, max_entries)) {
    HwLock l(hal_, cardmap::HW_LOCK_CRITERIA, "pack_lists.queue");
    queue_list(*job);
    lists_.pop_front();
    lists_n_.fetch_sub(1, std::memory_order_relaxed);
  }
  packing_.exchange(0, std::memory_order_acq_rel);
  return job != nullptr;
}

void Server::queue_list(ListJob& job) {
  for (const std::string& pk : job.packets) {
    ++counters_.reply_packets_sent;
    transmit_to(job.to_ip, job.to_port, job.from_port, pk, job.cs->key, /*bulk=*/true);
  }
}

}  // namespace dfc::dtcp
