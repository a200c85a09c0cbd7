#include "mmio_hal.hpp"

#include <cstring>

#include "dfc/util/raise.hpp"
#include "dfc/util/text.hpp"
#include "platform.hpp"

namespace dfc::image {
namespace {

uint32_t lo(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t hi(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
uint64_t join(uint32_t l, uint32_t h) { return uint64_t{h} << 32 | l; }
uint32_t addr_of(const void* p) { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p)); }

iss::IpWords read_ip(const volatile iss::IpWords& v) {
  iss::IpWords w{};
  w.family = v.family;
  for (int i = 0; i < 4; ++i) w.ip[i] = v.ip[i];
  return w;
}

const char kHex[] = "0123456789abcdef";

void append_hex16(std::string& s, uint32_t v) {
  bool lead = true;
  for (int sh = 12; sh >= 0; sh -= 4) {
    const uint32_t d = (v >> sh) & 15;
    if (lead && d == 0 && sh != 0) continue;
    lead = false;
    s.push_back(kHex[d]);
  }
}

}  // namespace

uint32_t window_address(uint64_t card_addr, const char* what) {
  const uint32_t a = iss::image_address(card_addr);
  if (a == 0 && card_addr != cardmap::DRAM_BASE)
    raise<std::logic_error>(std::string(what) + ": card address outside the image's windows (" +
                            std::to_string(card_addr >> 32) + ":" + std::to_string(lo(card_addr)) + ")");
  return a;
}

iss::IpWords ip_words(const std::string& text) {
  iss::IpWords w{};
  // DTCP's lenient dotted quad first ("10.0.0.01"), as the server compares addresses.
  if (const auto v4 = util::parse_ipv4(text)) {
    w.family = 4;
    w.ip[0] = static_cast<uint32_t>(v4->lo);
  } else if (const auto v6 = util::parse_inet6(text)) {
    w.family = 6;
    for (size_t i = 0; i < 16; ++i) w.ip[i / 4] |= uint32_t{(*v6)[i]} << (24 - 8 * (i % 4));
  }
  return w;
}

// The canonical text (RFC 5952: lower case, the longest run of two or more zero groups as "::").
std::string ip_text(const iss::IpWords& w) {
  std::string s;
  if (w.family == 4) {
    // Into a buffer, then one string (fits its inline storage): every control packet's two
    // addresses are formatted here.
    char buf[16];
    size_t n = 0;
    for (int i = 0; i < 4; ++i) {
      if (i) buf[n++] = '.';
      const unsigned b = (w.ip[0] >> (24 - 8 * i)) & 0xff;
      if (b >= 100) buf[n++] = static_cast<char>('0' + b / 100);
      if (b >= 10) buf[n++] = static_cast<char>('0' + b / 10 % 10);
      buf[n++] = static_cast<char>('0' + b % 10);
    }
    return std::string(buf, n);
  }
  if (w.family != 6) return s;
  uint32_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = (w.ip[i / 2] >> (i % 2 ? 0 : 16)) & 0xffff;
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j == i ? i + 1 : j;
  }
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      s += "::";
      i += best_len - 1;
      continue;
    }
    if (i && !(best >= 0 && i == best + best_len)) s.push_back(':');
    append_hex16(s, g[i]);
  }
  return s;
}

MmioHal::MmioHal(unsigned contexts, uint32_t features)
    : ctx_(contexts), engine_(features & iss::kFeatureSecurityEngine), sync_(features & iss::kFeatureSync) {}

// The loads of the criteria sequence counter and version order a data thread against the control
// thread that writes them: on a host that offers it, PLAT_SYNC first (docs/model.md §2).
void MmioHal::mem_read(uint64_t addr, uint32_t /*bytes*/) {
  if (sync_ && (addr == cardmap::CRITERIA_SEQ || addr == cardmap::CRITERIA_VERSION)) plat_write(cardmap::PLAT_SYNC, 1);
}

bool MmioHal::hmac_sha1(const uint8_t* key, const uint8_t* data, size_t n, uint8_t* digest) {
  if (!engine_) return false;
  const uint32_t regs = cardmap::SEC_BASE + core_id() * cardmap::SEC_CTX_STRIDE;
  // The key block and the message are in memory before the request goes (the engine reads them).
  __asm__ volatile("" ::: "memory");
  *mmio(regs + cardmap::SEC_KEY) = addr_of(key);
  *mmio(regs + cardmap::SEC_SRC) = addr_of(data);
  *mmio(regs + cardmap::SEC_LEN) = static_cast<uint32_t>(n);
  *mmio(regs + cardmap::SEC_DST) = addr_of(digest);  // sends
  const bool done = *mmio(regs + cardmap::SEC_STATUS) == 1;
  // The engine wrote the digest behind the compiler's back.
  __asm__ volatile("" ::: "memory");
  return done;
}

MmioHal::PerContext& MmioHal::mine() {
  const unsigned id = core_id();
  if (id >= ctx_.size()) raise<std::logic_error>("MmioHal: context " + std::to_string(id) + " beyond the booted ones");
  return ctx_[id];
}

void MmioHal::bus_write(uint32_t addr, const uint32_t* words, size_t n) {
  volatile uint32_t* p = mmio(addr);
  for (size_t i = 0; i < n; ++i) p[i] = words[i];
}

void MmioHal::bus_read(uint32_t addr, uint32_t* words, size_t n) {
  const volatile uint32_t* p = mmio(addr);
  for (size_t i = 0; i < n; ++i) words[i] = p[i];
}

uint64_t MmioHal::now_ns() const {
  const uint32_t l = plat_read(cardmap::PLAT_NOW_LO);  // latches the high word
  return join(l, plat_read(cardmap::PLAT_NOW_HI));
}

uint64_t MmioHal::epoch_ms_at_reset() const {
  return join(plat_read(cardmap::PLAT_EPOCH_LO), plat_read(cardmap::PLAT_EPOCH_HI));
}

void MmioHal::arm_timer(uint64_t at_ns) {
  plat_write(cardmap::PLAT_TIMER_LO, lo(at_ns));
  plat_write(cardmap::PLAT_TIMER_HI, hi(at_ns));  // arms
}

uint32_t MmioHal::load32(uint64_t addr) { return *mmio(window_address(addr, "load32")); }
void MmioHal::store32(uint64_t addr, uint32_t value) { *mmio(window_address(addr, "store32")) = value; }

void MmioHal::work(Work kind, uint64_t n) {
  plat_write(cardmap::PLAT_WORK, static_cast<uint32_t>(kind) << 24 | static_cast<uint32_t>(n < 0xffffff ? n : 0xffffff));
}

unsigned MmioHal::core_id() const { return plat_read(cardmap::PLAT_CTX); }
void MmioHal::lock_acquire(unsigned lock) { sem_acquire(lock); }
void MmioHal::lock_release(unsigned lock) { sem_release(lock); }
// One store (0: a sequence-lock read attempt begins, 1: it ends): the card's race checker
// leaves that attempt's reads unchecked; nothing else changes.
void MmioHal::race_hint(RaceHint hint) { plat_write(cardmap::PLAT_RACE_HINT, static_cast<uint32_t>(hint)); }

Packet* MmioHal::rx_frame(uint64_t buf_addr) {
  const uint32_t at = window_address(buf_addr, "rx_frame");
  const auto* m = reinterpret_cast<const volatile iss::RxMeta*>(static_cast<uintptr_t>(at));
  if (m->magic != iss::kRxMagic) return nullptr;
  const uint32_t len = m->frame_len;
  if (len > cardmap::PKT_BUF_BYTES - iss::kRxFrameOffset)
    raise<std::logic_error>("rx_frame: frame length " + std::to_string(len) + " exceeds the receive buffer");
  Packet& p = mine().frame;
  // Parsed where the DMA wrote it: the firmware reads only the lines it needs (headers; a copy's
  // inner packet), as on silicon, not the whole frame copied out of packet memory first.
  p.in_place = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(at + iss::kRxFrameOffset));
  p.in_place_len = len;
  p.data.clear();
  p.id = join(m->packet_id_lo, m->packet_id_hi);
  p.t_arrival_ps = join(m->t_arrival_ps_lo, m->t_arrival_ps_hi);
  p.unit = static_cast<Unit>(m->unit);
  p.link = static_cast<LinkType>(m->link);
  p.buf_addr = buf_addr;
  p.cdest_id.clear();
  if (p.unit == Unit::Control) {
    p.src_ip = ip_text(read_ip(m->src));
    p.dst_ip = ip_text(read_ip(m->dst));
    p.src_port = static_cast<uint16_t>(m->src_port);
    p.dst_port = static_cast<uint16_t>(m->dst_port);
  } else {
    p.src_ip.clear();
    p.dst_ip.clear();
    p.src_port = p.dst_port = 0;
  }
  return &p;
}

iss::TxRecord& MmioHal::fill_record(const Packet& p) {
  iss::TxRecord& r = mine().tx;
  r = iss::TxRecord{};
  r.buf_addr = p.buf_addr ? window_address(p.buf_addr, "transmit") : 0;
  r.data_addr = addr_of(p.data.data());
  r.data_len = static_cast<uint32_t>(p.data.size());
  r.unit = static_cast<uint32_t>(p.unit);
  r.link = static_cast<uint32_t>(p.link);
  r.packet_id_lo = lo(p.id), r.packet_id_hi = hi(p.id);
  r.t_arrival_ps_lo = lo(p.t_arrival_ps), r.t_arrival_ps_hi = hi(p.t_arrival_ps);
  r.cdest_addr = addr_of(p.cdest_id.data());
  r.cdest_len = static_cast<uint32_t>(p.cdest_id.size());
  if (p.unit == Unit::Control) {
    r.src = ip_words(p.src_ip);
    r.dst = ip_words(p.dst_ip);
    r.src_port = p.src_port, r.dst_port = p.dst_port;
  }
  return r;
}

bool MmioHal::transmit(Packet&& p) {
  iss::TxRecord& r = fill_record(p);
  // A driver copy is built in its transmit buffer, where the egress DMA takes it from.
  if (r.buf_addr != 0 && r.data_len <= cardmap::TX_BUF_BYTES) {
    std::memcpy(reinterpret_cast<void*>(static_cast<uintptr_t>(r.buf_addr)), p.data.data(), r.data_len);
    r.data_addr = r.buf_addr;
  }
  plat_write(cardmap::PLAT_DOORBELL, addr_of(&r));
  return plat_read(cardmap::PLAT_STATUS) == 1;
}

void MmioHal::copy_dropped(const Packet& copy, const char* reason) {
  iss::TxRecord& r = fill_record(copy);
  r.flags = iss::kTxDropped;
  r.reason_addr = addr_of(reason);
  r.reason_len = static_cast<uint32_t>(std::strlen(reason));
  plat_write(cardmap::PLAT_DOORBELL, addr_of(&r));
}

}  // namespace dfc::image

