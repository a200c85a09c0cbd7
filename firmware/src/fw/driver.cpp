// The descriptor-ring driver (docs/firmware-driver.md). Each step is a load or store in
// modelled memory, in the order a driver on the card performs it: ownership word first, the
// rest of the descriptor only once the slot is ours, the ownership word last when handing a
// slot over.
#include "dfc/fw/driver.hpp"

#include <stdexcept>
#include <string>

#include "dfc/util/raise.hpp"

namespace dfc::fw {

namespace {
constexpr uint64_t kWord0 = 0, kWord1 = 4;

[[noreturn]] void bad_option(const std::string& what) {
  raise<std::invalid_argument>("driver options: " + what);
}
}  // namespace

Driver::Driver(Hal& hal, DriverOptions opt) : hal_(hal), opt_(opt) {
  // Each ring kind has RING_STRIDE bytes per context; buffers must stay in their regions.
  const uint64_t rx_max = cardmap::RING_STRIDE / cardmap::RX_DESC_BYTES;
  const uint64_t tx_max = cardmap::RING_STRIDE / cardmap::TX_DESC_BYTES;
  if (opt_.contexts == 0) bad_option("contexts must be at least 1");
  if (opt_.rx_ring_entries == 0 || opt_.rx_ring_entries > rx_max)
    bad_option("rx_ring_entries " + std::to_string(opt_.rx_ring_entries) + " is outside 1.." + std::to_string(rx_max) +
               " (RING_STRIDE / RX_DESC_BYTES); choose a ring size in that range");
  if (opt_.tx_ring_entries == 0 || opt_.tx_ring_entries > tx_max)
    bad_option("tx_ring_entries " + std::to_string(opt_.tx_ring_entries) + " is outside 1.." + std::to_string(tx_max) +
               " (RING_STRIDE / TX_DESC_BYTES); choose a ring size in that range");
  if (opt_.buffers_per_context == 0 || opt_.buffers_per_context > cardmap::FREE_RING_SLOTS)
    bad_option("buffers_per_context " + std::to_string(opt_.buffers_per_context) + " is outside 1.." +
               std::to_string(cardmap::FREE_RING_SLOTS) + " (FREE_RING_SLOTS)");
  const uint64_t ring_contexts = (cardmap::FREE_RING_BASE - cardmap::RX_RING_BASE) / cardmap::RING_STRIDE;
  if (opt_.contexts > ring_contexts)
    bad_option("contexts " + std::to_string(opt_.contexts) + " exceeds the " + std::to_string(ring_contexts) +
               " ring sets of the address map");
  const uint64_t rx_bytes = uint64_t{opt_.contexts} * opt_.buffers_per_context * cardmap::PKT_BUF_BYTES;
  if (rx_bytes > cardmap::RX_RING_BASE - cardmap::PKT_MEM_BASE)
    bad_option(std::to_string(opt_.contexts) + " contexts x " + std::to_string(opt_.buffers_per_context) +
               " receive buffers do not fit below RX_RING_BASE; use fewer buffers per context");
  // Descriptors carry 32-bit buffer offsets from PKT_MEM_BASE.
  const uint64_t tx_end = ring::tx_buffer(opt_.contexts, 0, opt_.tx_ring_entries) - cardmap::PKT_MEM_BASE;
  if (tx_end > UINT32_MAX)
    bad_option("the transmit buffers of " + std::to_string(opt_.contexts) + " contexts x " +
               std::to_string(opt_.tx_ring_entries) + " entries end beyond a 32-bit descriptor offset");
  ctx_.resize(opt_.contexts);
}

Driver::Context& Driver::current() {
  const unsigned id = hal_.core_id();
  if (id >= ctx_.size())
    raise<std::logic_error>("driver: context " + std::to_string(id) + " polls or transmits, but the driver has " +
                           std::to_string(ctx_.size()) + " contexts (set DriverOptions::contexts to the host's)");
  return ctx_[id];
}

void Driver::post_buffer(unsigned ctx, Context& c, uint32_t offset) {
  // Entry first, producer index second: the DMA never sees an index ahead of its entry.
  hal_.store32(ring::free_entry(ctx, c.free_producer), offset);
  ++c.free_producer;
  hal_.store32(ring::free_producer(ctx), static_cast<uint32_t>(c.free_producer));
}

void Driver::boot(unsigned context, uint64_t first_buffer, uint32_t n_buffers) {
  Context& c = ctx_.at(context);
  for (uint32_t i = 0; i < opt_.rx_ring_entries; ++i) hal_.store32(ring::rx_desc(context, i) + kWord1, 0);
  for (uint32_t i = 0; i < opt_.tx_ring_entries; ++i) hal_.store32(ring::tx_desc(context, i) + kWord1, 0);
  c = Context{};
  // The producer index is published once, after all entries: the DMA takes none of them early.
  for (uint32_t i = 0; i < n_buffers; ++i)
    hal_.store32(ring::free_entry(context, i), static_cast<uint32_t>((first_buffer + i) * cardmap::PKT_BUF_BYTES));
  c.free_producer = n_buffers;
  hal_.store32(ring::free_producer(context), n_buffers);
}

void Driver::boot_all() {
  for (unsigned i = 0; i < opt_.contexts; ++i)
    boot(i, uint64_t{i} * opt_.buffers_per_context, opt_.buffers_per_context);
}

bool Driver::poll(const Handler& h) {
  Context& c = current();
  const unsigned ctx = hal_.core_id();
  const uint64_t desc = ring::rx_desc(ctx, c.rx_head);
  const uint32_t w1 = hal_.load32(desc + kWord1);
  if (!(w1 & cardmap::RX_DESC_OWN)) {
    ++c.s.rx_empty_polls;
    return false;
  }
  // The instructions of taking this frame and of the loop around its handler: declared once per
  // frame so that a host can price them (measured on the image by `dfcsim calibrate`).
  hal_.work(Hal::Work::PacketLoop);
  const uint32_t offset = hal_.load32(desc + kWord0);
  // The handler runs while the buffer is still ours: the frame's bytes stay valid until the
  // buffer is re-posted below.
  if (const Packet* p = hal_.rx_frame(cardmap::PKT_MEM_BASE + offset)) {
    hal_.work(Hal::Work::FrameByte, p->length());
    ++c.s.rx_packets;
    h(*p, (w1 & cardmap::RX_DESC_CONTROL) != 0);
  } else {
    ++c.s.rx_errors;
  }
  hal_.store32(desc + kWord1, 0);  // the slot back to the DMA
  post_buffer(ctx, c, offset);
  c.rx_head = (c.rx_head + 1) % opt_.rx_ring_entries;
  return true;
}

uint64_t Driver::tx_acquire() {
  Context& c = current();
  const unsigned ctx = hal_.core_id();
  if (hal_.load32(ring::tx_desc(ctx, c.tx_tail) + kWord1) & cardmap::TX_DESC_OWN) {
    ++c.s.tx_ring_full;
    c.tx_reserved = 0;
    return 0;
  }
  c.tx_reserved = ring::tx_buffer(ctx, c.tx_tail, opt_.tx_ring_entries);
  return c.tx_reserved;
}

bool Driver::tx_post(Packet&& p) {
  Context& c = current();
  const unsigned ctx = hal_.core_id();
  if (!c.tx_reserved) raise<std::logic_error>("driver: tx_post without a slot from tx_acquire");
  const uint64_t desc = ring::tx_desc(ctx, c.tx_tail);
  const uint64_t buf = c.tx_reserved;
  c.tx_reserved = 0;
  hal_.store32(desc + kWord0, static_cast<uint32_t>(buf - cardmap::PKT_MEM_BASE));
  // Ownership last: hardware may take the descriptor as soon as it sees the bit.
  hal_.store32(desc + kWord1, (static_cast<uint32_t>(p.data.size()) & ~cardmap::TX_DESC_OWN) | cardmap::TX_DESC_OWN);
  p.buf_addr = buf;
  if (!hal_.transmit(std::move(p))) {
    hal_.store32(desc + kWord1, 0);  // not queued: the slot stays ours for the next copy
    ++c.s.tx_refused;
    return false;
  }
  ++c.s.tx_packets;
  c.tx_tail = (c.tx_tail + 1) % opt_.tx_ring_entries;
  return true;
}

bool Driver::tx(Packet&& p) { return tx_acquire() != 0 && tx_post(std::move(p)); }

DriverStats Driver::stats() const {
  DriverStats t;
  for (const Context& c : ctx_) {
    t.rx_packets += c.s.rx_packets;
    t.rx_empty_polls += c.s.rx_empty_polls;
    t.rx_errors += c.s.rx_errors;
    t.tx_packets += c.s.tx_packets;
    t.tx_ring_full += c.s.tx_ring_full;
    t.tx_refused += c.s.tx_refused;
  }
  return t;
}

}  // namespace dfc::fw
