// The only translation unit that sees the Verilated classifier models.
#include "classifier_rtl.hpp"

#include <verilated.h>
#if DFC_RTL_COVERAGE
#include <unistd.h>
#include <verilated_cov.h>
#endif
#include <verilated_fst_c.h>
#include <verilated_vcd_c.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <stdexcept>
#include <type_traits>

#include "classifier_rtl_depths.hpp"  // generated from rtl/classifier/data/classifier.json
// Three Verilated models per depth of the contract's rtl_depths (generated include list):
// Vclassifier_N without trace code, Vclassifier_vcd_N (--trace), Vclassifier_fst_N (--trace-fst).
#include "classifier_rtl_models.inc"

namespace dfc::rtl {

namespace {

template <typename T, typename V>
void put(T& port, V v) {
  port = static_cast<std::remove_reference_t<T>>(v);
}

}  // namespace

// Everything the per-depth model instances have in common, behind one virtual step().
struct ClassifierRtl::Impl {
  struct Drive {
    ClassifierRtl::CycleIn in;
    bool reset = false;
    std::optional<uint32_t> unit;
    abi::RangeUnit ru{};
  };
  uint32_t depth = 0, hw_depth = 0;
  uint64_t clocks = 0;
  std::unique_ptr<VerilatedContext> ctx;
  // The waveform's time axis (ps): the next rising edge is at max(hint, next_rise).
  uint64_t half_ps = 500, from_ps = 0, to_ps = UINT64_MAX, next_rise = 0;
  std::optional<uint64_t> hint;
  WaveTiming timing;

  virtual ~Impl() = default;
  virtual CycleOut step(const Drive& d) = 0;
  virtual bool open_trace(const std::string& path) = 0;
  virtual void close_trace() = 0;
  virtual bool tracing() const = 0;

  // The times of this clock's rising and falling edges.
  std::pair<uint64_t, uint64_t> edges() {
    uint64_t rise = next_rise;
    if (hint) {
      if (*hint >= rise) {
        rise = *hint;
      } else if (tracing()) {
        ++timing.shifted;
        timing.max_shift_ps = std::max(timing.max_shift_ps, rise - *hint);
      }
      hint.reset();
    }
    next_rise = rise + 2 * half_ps;
    return {rise, rise + half_ps};
  }
};

namespace {

// TF: VerilatedVcdC, VerilatedFstC, or void for the model without trace code.
template <typename V, typename TF>
struct ModelImpl final : ClassifierRtl::Impl {
  static constexpr bool kTrace = !std::is_void_v<TF>;
  using TraceFile = std::conditional_t<kTrace, TF, char>;
  std::unique_ptr<V> m;
  std::unique_ptr<TraceFile> tfp;

  ModelImpl(uint32_t d, uint32_t n) {
    depth = d;
    hw_depth = n;
    ctx = std::make_unique<VerilatedContext>();
    if constexpr (kTrace) ctx->traceEverOn(true);
    m = std::make_unique<V>(ctx.get(), "classifier");
    m->clk = 0;
    m->rst_n = 1;
    m->eval();
    Drive r;
    r.reset = true;
    step(r);
  }
  ~ModelImpl() override {
    close_trace();
    m->final();
#if DFC_RTL_COVERAGE
    write_coverage();
#endif
  }

#if DFC_RTL_COVERAGE
  // Coverage builds: every model instance writes its counters to its own file in
  // $DFC_RTL_COVERAGE_DIR when it is destroyed; rtl/classifier/util/coverage.sh merges them.
  void write_coverage() {
    const char* dir = std::getenv("DFC_RTL_COVERAGE_DIR");
    if (dir == nullptr || *dir == '\0') return;
    static unsigned seq = 0;
    const std::string path = std::string(dir) + "/cov_" + std::to_string(::getpid()) + "_" +
                             std::to_string(seq++) + ".dat";
    ctx->coveragep()->write(path.c_str());
  }
#endif

  bool tracing() const override { return tfp != nullptr; }

  void dump(uint64_t t) {
    if constexpr (kTrace) {
      if (tfp && t >= from_ps && t <= to_ps) {
        tfp->dump(t);
        if (timing.first_ps == UINT64_MAX) timing.first_ps = t;
        timing.last_ps = t;
      }
    } else {
      (void)t;
    }
  }

  bool open_trace(const std::string& path) override {
    if constexpr (kTrace) {
      close_trace();
      tfp = std::make_unique<TraceFile>();
      m->trace(tfp.get(), 99);
      tfp->set_time_unit("1ps");
      tfp->set_time_resolution("1ps");
      tfp->open(path.c_str());
      if (!tfp->isOpen()) {
        tfp.reset();
        return false;
      }
      return true;
    } else {
      (void)path;
      return false;
    }
  }
  void close_trace() override {
    if constexpr (kTrace) {
      if (tfp) {
        tfp->close();
        tfp.reset();
      }
    }
  }

  ClassifierRtl::CycleOut step(const Drive& d) override {
    V& v = *m;
    v.rst_n = d.reset ? 0 : 1;
    v.wr_en = d.in.entry_index ? 1 : 0;
    if (d.in.entry_index) {
      put(v.wr_idx, *d.in.entry_index);
      for (unsigned w = 0; w < abi::ENTRY_WORDS; ++w) {
        v.wr_value[w] = d.in.entry.value[w];
        v.wr_mask[w] = d.in.entry.mask[w];
      }
      v.wr_valid = d.in.entry.valid ? 1 : 0;
      put(v.wr_group, d.in.entry.group % abi::GROUPS);
    }
    v.ru_en = d.unit ? 1 : 0;
    if (d.unit) {
      put(v.ru_idx, *d.unit);
      put(v.ru_field, static_cast<uint32_t>(d.ru.field));
      put(v.ru_lo, d.ru.lo);
      put(v.ru_hi, d.ru.hi);
    }
    v.ge_en = d.in.group ? 1 : 0;
    if (d.in.group) {
      put(v.ge_group, *d.in.group);
      v.ge_value = d.in.group_enable ? 1 : 0;
    }
    v.lk_valid = d.in.key ? 1 : 0;
    if (d.in.key)
      for (unsigned w = 0; w < abi::KEY_IN_WORDS; ++w) v.lk_key[w] = (*d.in.key)[w];
    const auto [rise, fall] = edges();
    ctx->time(rise);
    v.clk = 1;
    v.eval();
    dump(rise);
    ctx->time(fall);
    v.clk = 0;
    v.eval();
    dump(fall);
    ++clocks;
    ClassifierRtl::CycleOut o;
    o.res_valid = v.res_valid;
    o.res_hit = v.res_hit;
    o.res_first = v.res_first;
    o.res_count = v.res_count;
    o.m_valid = v.m_valid;
    o.m_idx = v.m_idx;
    o.lk_done = v.lk_done;
    return o;
  }
};

}  // namespace

ClassifierRtl::ClassifierRtl(uint32_t depth, Wave wave) {
  if (depth == 0 || depth > kMaxDepth)
    throw std::invalid_argument("rtl classifier: depth must be 1.." + std::to_string(kMaxDepth));
  // The smallest compiled depth that holds `depth` entries, in the variant asked for.
#define DFC_CLS_PICK(n)                                                                              \
  if (!impl_ && depth <= n) {                                                                        \
    if (wave == Wave::Vcd)                                                                           \
      impl_ = std::make_unique<ModelImpl<Vclassifier_vcd_##n, VerilatedVcdC>>(depth, n);             \
    else if (wave == Wave::Fst)                                                                      \
      impl_ = std::make_unique<ModelImpl<Vclassifier_fst_##n, VerilatedFstC>>(depth, n);             \
    else                                                                                             \
      impl_ = std::make_unique<ModelImpl<Vclassifier_##n, void>>(depth, n);                          \
  }
  DFC_CLS_FOR_EACH_DEPTH(DFC_CLS_PICK)
#undef DFC_CLS_PICK
}

ClassifierRtl::~ClassifierRtl() = default;

const uint32_t ClassifierRtl::kMaxDepth = std::end(kRtlDepths)[-1];
std::vector<uint32_t> ClassifierRtl::compiled_depths() {
  return {std::begin(kRtlDepths), std::end(kRtlDepths)};
}

uint32_t ClassifierRtl::depth() const { return impl_->depth; }
uint32_t ClassifierRtl::hw_depth() const { return impl_->hw_depth; }
uint64_t ClassifierRtl::clocks() const { return impl_->clocks; }
bool ClassifierRtl::open_trace(const std::string& path) { return impl_->open_trace(path); }
void ClassifierRtl::close_trace() { impl_->close_trace(); }
void ClassifierRtl::set_wave_time(uint64_t clock_ps, uint64_t from_ps, uint64_t to_ps) {
  impl_->half_ps = std::max<uint64_t>(clock_ps / 2, 1);
  impl_->from_ps = from_ps;
  impl_->to_ps = to_ps;
}
void ClassifierRtl::at_time(uint64_t t_ps) { impl_->hint = t_ps; }
const ClassifierRtl::WaveTiming* ClassifierRtl::wave_timing() const {
  return impl_->tracing() ? &impl_->timing : nullptr;
}

ClassifierRtl::CycleOut ClassifierRtl::step(const CycleIn& in) {
  if (in.entry_index && *in.entry_index >= impl_->depth)
    throw std::out_of_range("rtl classifier: entry index");
  if (in.group && *in.group >= abi::GROUPS) throw std::out_of_range("rtl classifier: group");
  Impl::Drive d;
  d.in = in;
  return impl_->step(d);
}

void ClassifierRtl::write_entry(uint32_t index, const abi::Entry& e) {
  CycleIn in;
  in.entry_index = index;
  in.entry = e;
  step(in);
}

void ClassifierRtl::write_range_unit(uint32_t unit, const abi::RangeUnit& r) {
  if (unit >= abi::RANGE_UNITS) throw std::out_of_range("rtl classifier: range unit");
  Impl::Drive d;
  d.unit = unit;
  d.ru = r;
  impl_->step(d);
}

void ClassifierRtl::set_group_enable(uint32_t group, bool enable) {
  CycleIn in;
  in.group = group;
  in.group_enable = enable;
  step(in);
}

// The cost of a lookup is counted here, at the ports: clocks from the edge that samples the key
// to the one that raises lk_done (the result window is complete). The rest of the match stream
// (beyond CLS_MAX_RESULTS) is drained for the full match list but not counted: the bus result
// window holds no more, so the hardware's reader does not wait for it.
abi::LookupResult ClassifierRtl::lookup(const abi::KeyWords& key) {
  abi::LookupResult r;
  CycleIn in;
  in.key = &key;
  CycleOut o = impl_->step(Impl::Drive{in, false, std::nullopt, {}});  // edge 1: key sampled
  uint32_t clocks = 1, count = 0;
  const uint32_t limit = abi::CLS_LOOKUP_LATENCY + abi::CLS_MAX_RESULTS + 2;  // else an RTL bug
  while (!o.lk_done) {
    if (clocks >= limit) throw std::logic_error("rtl classifier: lk_done did not rise");
    o = impl_->step(Impl::Drive{});
    ++clocks;
    if (o.res_valid) count = o.res_hit ? o.res_count : 0;
    if (o.m_valid) r.matches.push_back(o.m_idx);
  }
  r.cycles = clocks;
  // Drain the stream past the result window (full match list only, not counted).
  while (r.matches.size() < count) {
    o = impl_->step(Impl::Drive{});
    if (!o.m_valid) throw std::logic_error("rtl classifier: match stream ended early");
    r.matches.push_back(o.m_idx);
  }
  return r;
}

}  // namespace dfc::rtl
