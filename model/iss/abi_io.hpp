// The host side of the records the image shares (dfc/hal/iss_abi.hpp), over IssMemory: the boot
// block a host writes before the first instruction, the receive metadata and frame the ingress
// DMA writes into a receive buffer, and the transmit record a doorbell hands over. One home for
// both hosts of the image: the untimed IssBoard and the timed card model (model/card/iss_card).
#pragma once
#include <cstdint>
#include <string>

#include "dfc/fw/firmware.hpp"
#include "dfc/hal/iss_abi.hpp"
#include "dfc/hal/packet.hpp"
#include "iss_memory.hpp"

namespace dfc::iss {

// Writes the boot block at kHostArea and the texts 4 KiB after it, every field from `f` (a
// host's CardProfile::firmware_options()); returns the block's address (PLAT_BOOT_BLOCK).
// Throws std::invalid_argument when the texts do not fit the host area.
uint32_t write_boot_block(IssMemory& m, const fw::FirmwareOptions& f, const std::string& config_text,
                          const std::string& restart_reason);

// The receive metadata and the frame into the receive buffer at image address `buf`.
void write_rx_frame(IssMemory& m, uint32_t buf, const Packet& p);
// The transmit record at image address `at`, and the packet it describes (data, unit, link, id,
// arrival, cdest_id, the control 4-tuple as canonical text, buf_addr as a card address).
TxRecord read_tx_record(const IssMemory& m, uint32_t at);
Packet tx_packet(const IssMemory& m, const TxRecord& r);
// A kTxDropped record's reason text.
std::string tx_reason(const IssMemory& m, const TxRecord& r);

// 64-bit values as the records' two words (low first), and an address as the messages print it.
inline uint32_t lo(uint64_t v) { return static_cast<uint32_t>(v); }
inline uint32_t hi(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
inline uint64_t join(uint32_t l, uint32_t h) { return uint64_t{h} << 32 | l; }
std::string hex(uint32_t v);  // "0x0000abcd"

// The image's address conversions (firmware/image/mmio_hal.cpp), host side.
IpWords ip_words(const std::string& text);
std::string ip_text(const IpWords& w);

}  // namespace dfc::iss
