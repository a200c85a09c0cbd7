// The ELF loader: a good image (entry, segments, symbols) and each kind of bad file.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "elf_image.hpp"
#include "iss_memory.hpp"
#include "iss_test_util.hpp"

namespace dfc::iss::test {
namespace {

constexpr uint32_t kWin = cardmap::ISS_DRAM_WINDOW;
constexpr uint32_t kBytes = cardmap::ISS_WINDOW_BYTES;

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// parse() must throw, and its message must name the file and contain `what`.
void expect_rejected(const std::vector<uint8_t>& bytes, const std::string& what, uint32_t base = kWin,
                     uint32_t bytes_in_window = kBytes) {
  try {
    ElfImage::parse(bytes, "bad.elf", base, bytes_in_window);
    ADD_FAILURE() << "accepted a bad image (expected: " << what << ")";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.elf"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(IssElf, GoodImageEntrySegmentsSymbols) {
  DFC_ISS_NEED_CROSS();
  const ElfImage img = ElfImage::load(prog("count"), kWin, kBytes);
  const auto start = img.find("_start");
  ASSERT_TRUE(start.has_value());
  EXPECT_EQ(img.entry(), start->addr);
  EXPECT_TRUE(start->function || start->size == 0);  // assembly labels carry no type
  ASSERT_FALSE(img.segments().empty());
  bool entry_in_exec = false;
  for (const auto& s : img.segments()) {
    EXPECT_LE(s.data.size(), s.memsz);
    EXPECT_LE(uint64_t{s.vaddr} + s.memsz, uint64_t{kWin} + kBytes);
    if ((s.flags & 1) && img.entry() >= s.vaddr && img.entry() < s.vaddr + s.memsz) entry_in_exec = true;
  }
  EXPECT_TRUE(entry_in_exec);
  const auto after = img.find("after_halt");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->addr, start->addr + 7 * 4);  // seven instructions before it in count.S
  EXPECT_FALSE(img.find("no_such_symbol").has_value());

  IssMemory mem;
  mem.load(img);
  // The first instruction of count.S is addiu $t0, $zero, 0 (0x24080000), big-endian in memory.
  EXPECT_EQ(mem.read32(img.entry()), 0x24080000u);
  EXPECT_EQ(mem.read8(img.entry() + 1), 0x08u);
}

TEST(IssElf, BssIsZeroFilled) {
  DFC_ISS_NEED_CROSS();
  const ElfImage img = ElfImage::load(prog("llsc"), kWin, kBytes);
  const auto top = img.find("stacks_top");
  ASSERT_TRUE(top.has_value());
  IssMemory mem;
  mem.write32(top->addr - 4, 0xdeadbeef);  // as if a previous run had left data there
  mem.load(img);
  EXPECT_EQ(mem.read32(top->addr - 4), 0u);
}

TEST(IssElf, DemangledPrefixLookup) {
  DFC_ISS_NEED_CROSS();
  const ElfImage img = ElfImage::load(prog("cxx"), kWin, kBytes);
  const auto fn = img.find_demangled("dfc::fw::Pipeline::on_packet");
  ASSERT_TRUE(fn.has_value());
  EXPECT_EQ(fn->demangled, "dfc::fw::Pipeline::on_packet(dfc::fw::Packet&)");
  EXPECT_NE(fn->name, fn->demangled);  // the file holds the mangled name
  EXPECT_TRUE(fn->function);
  EXPECT_GT(fn->size, 0u);
  ASSERT_NE(img.symbol_at(fn->addr + 4), nullptr);
  EXPECT_EQ(img.symbol_at(fn->addr + 4)->name, fn->name);
  EXPECT_FALSE(img.find_demangled("dfc::fw::Pipeline::on_timer").has_value());
}

TEST(IssElf, BadFilesAreRejectedWithTheReason) {
  DFC_ISS_NEED_CROSS();
  const std::vector<uint8_t> good = file_bytes(prog("count"));
  ASSERT_GT(good.size(), 200u);
  expect_rejected({'#', '!', '/', 'b', 'i', 'n'}, "not an ELF file");
  expect_rejected(std::vector<uint8_t>(good.begin(), good.begin() + 30), "truncated");
  expect_rejected(std::vector<uint8_t>(good.begin(), good.begin() + 120), "truncated");
  auto b = good;
  b[4] = 2;
  expect_rejected(b, "64-bit");
  b = good;
  b[5] = 1;
  expect_rejected(b, "little-endian");
  b = good;
  b[18] = 0;
  b[19] = 62;  // EM_X86_64
  expect_rejected(b, "not MIPS");
  b = good;
  b[17] = 1;  // ET_REL
  expect_rejected(b, "not an executable");
  // A window that starts above the image: every segment lies outside it.
  expect_rejected(good, "outside the DRAM window", 0x40000000u, 0x10000000u);
  EXPECT_THROW(ElfImage::load("/nonexistent/image.elf", kWin, kBytes), std::runtime_error);
}

TEST(IssMemory, BigEndianAccessorsAndBounds) {
  IssMemory mem;
  mem.write32(cardmap::ISS_PKT_WINDOW + 8, 0x01020304);
  EXPECT_EQ(mem.read8(cardmap::ISS_PKT_WINDOW + 8), 1u);
  EXPECT_EQ(mem.read16(cardmap::ISS_PKT_WINDOW + 10), 0x0304u);
  EXPECT_EQ(mem.pkt_read32(8), 0x01020304u);
  mem.dram_write32(0x100, 0xa0b0c0d0);
  EXPECT_EQ(mem.read32(cardmap::ISS_DRAM_WINDOW + 0x100), 0xa0b0c0d0u);
  EXPECT_THROW(mem.read32(cardmap::ISS_PKT_WINDOW - 4), std::out_of_range);      // a device range
  EXPECT_THROW(mem.read32(cardmap::ISS_WINDOW_BYTES - 2), std::out_of_range);    // straddles the end
  EXPECT_FALSE(mem.contains(cardmap::PLATFORM_BASE, 4));
}

}  // namespace
}  // namespace dfc::iss::test
