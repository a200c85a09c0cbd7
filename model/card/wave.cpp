#include "wave.hpp"

#include <fnmatch.h>
#include <gtkwave/fstapi.h>  // the FST writer Verilator ships (compiled in verilated_fst_c.cpp)

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <stdexcept>

namespace dfc::model {

namespace {
std::vector<std::string> split_scope(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  for (size_t b; (b = s.find('.', a)) != std::string::npos; a = b + 1) out.push_back(s.substr(a, b - a));
  out.push_back(s.substr(a));
  return out;
}
std::string bits(uint64_t v, unsigned width) {
  std::string s(width, '0');
  for (unsigned i = 0; i < width && i < 64; ++i)
    if ((v >> i) & 1) s[width - 1 - i] = '1';
  return s;
}
}  // namespace

// One file format: the header (scopes and variables), time points and value changes.
class WaveRecorder::Sink {
 public:
  virtual ~Sink() = default;
  virtual void scope(const std::string& name) = 0;
  virtual void upscope() = 0;
  virtual void var(size_t i, const std::string& name, unsigned width) = 0;
  virtual void end_header() = 0;
  virtual void time(uint64_t t) = 0;
  virtual void value(size_t i, unsigned width, uint64_t v) = 0;
};

namespace {

class VcdSink final : public WaveRecorder::Sink {
 public:
  explicit VcdSink(const std::string& path) : f_(std::fopen(path.c_str(), "w")) {
    if (!f_) throw std::runtime_error(path + ": cannot create the waveform file");
    std::fputs("$version dfcsim card waveform $end\n$timescale 1ps $end\n", f_);
  }
  ~VcdSink() override { std::fclose(f_); }
  void scope(const std::string& n) override { std::fprintf(f_, "$scope module %s $end\n", n.c_str()); }
  void upscope() override { std::fputs("$upscope $end\n", f_); }
  void var(size_t i, const std::string& n, unsigned w) override {
    std::fprintf(f_, "$var wire %u %s %s $end\n", w, id(i).c_str(), n.c_str());
  }
  void end_header() override { std::fputs("$enddefinitions $end\n", f_); }
  void time(uint64_t t) override { std::fprintf(f_, "#%llu\n", static_cast<unsigned long long>(t)); }
  void value(size_t i, unsigned w, uint64_t v) override {
    if (w == 1)
      std::fprintf(f_, "%c%s\n", v ? '1' : '0', id(i).c_str());
    else
      std::fprintf(f_, "b%s %s\n", bits(v, w).c_str(), id(i).c_str());
  }

 private:
  static std::string id(size_t i) {  // VCD identifier: base-94 over '!'..'~'
    std::string s;
    do s.push_back(static_cast<char>('!' + i % 94)), i /= 94;
    while (i);
    return s;
  }
  std::FILE* f_;
};

class FstSink final : public WaveRecorder::Sink {
 public:
  explicit FstSink(const std::string& path) : ctx_(fstWriterCreate(path.c_str(), 1)) {
    if (!ctx_) throw std::runtime_error(path + ": cannot create the waveform file");
    fstWriterSetTimescale(ctx_, -12);
    fstWriterSetPackType(ctx_, FST_WR_PT_LZ4);
  }
  ~FstSink() override { fstWriterClose(ctx_); }
  void scope(const std::string& n) override { fstWriterSetScope(ctx_, FST_ST_VCD_MODULE, n.c_str(), nullptr); }
  void upscope() override { fstWriterSetUpscope(ctx_); }
  void var(size_t i, const std::string& n, unsigned w) override {
    if (h_.size() <= i) h_.resize(i + 1);
    h_[i] = fstWriterCreateVar(ctx_, FST_VT_VCD_WIRE, FST_VD_IMPLICIT, w, n.c_str(), 0);
  }
  void end_header() override {}
  void time(uint64_t t) override { fstWriterEmitTimeChange(ctx_, t); }
  void value(size_t i, unsigned w, uint64_t v) override {
    fstWriterEmitValueChange(ctx_, h_[i], bits(v, w).c_str());
  }

 private:
  void* ctx_;
  std::vector<fstHandle> h_;
};

}  // namespace

WaveRecorder::WaveRecorder(const std::string& path, Format f, uint64_t from_ps, uint64_t to_ps)
    : from_(from_ps), to_(to_ps) {
  if (f == Format::Vcd)
    sink_ = std::make_unique<VcdSink>(path);
  else
    sink_ = std::make_unique<FstSink>(path);
}

WaveRecorder::~WaveRecorder() { close(UINT64_MAX); }

void WaveRecorder::select(const std::vector<std::string>& globs) {
  if (begun_) throw std::logic_error("WaveRecorder::select after the first flush");
  globs_ = globs;
  sel_.clear();
  if (globs.empty()) return;
  for (const auto& n : names()) sel_.push_back(matches(n));
}

bool WaveRecorder::matches(const std::string& name) const {
  for (const auto& g : globs_)
    if (fnmatch(g.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

std::vector<std::string> WaveRecorder::unmatched_globs() const {
  std::vector<std::string> out;
  const auto all = names();
  for (const auto& g : globs_)
    if (std::none_of(all.begin(), all.end(), [&](const std::string& n) { return fnmatch(g.c_str(), n.c_str(), 0) == 0; }))
      out.push_back(g);
  return out;
}

std::vector<std::string> WaveRecorder::names() const {
  std::vector<std::string> out;
  for (const Sig& s : sigs_) out.push_back(s.scope + "." + s.name);
  return out;
}

int WaveRecorder::add(const std::string& scope, const std::string& name, Kind k, unsigned width) {
  if (begun_) throw std::logic_error("WaveRecorder::add after the first flush");
  sigs_.push_back({scope, name, k, k == Kind::Busy ? 1u : width});
  start_.push_back(0);
  if (!globs_.empty()) sel_.push_back(matches(scope + "." + name));
  return static_cast<int>(sigs_.size() - 1);
}

// Scopes in order of first appearance, but each one next to its parent's other children (a
// scope added late, "card.core0.thread0", goes inside "card.core0", not after the rest):
// sorted by the first appearance of each of its prefixes, level by level.
namespace {
void group_scopes(std::vector<std::string>& scopes) {
  auto rank = [&](const std::string& prefix) {
    for (size_t i = 0; i < scopes.size(); ++i)
      if (scopes[i] == prefix || scopes[i].compare(0, prefix.size() + 1, prefix + ".") == 0) return i;
    return scopes.size();
  };
  std::vector<std::pair<std::vector<size_t>, std::string>> keyed;
  for (const auto& sc : scopes) {
    std::vector<size_t> key;
    for (size_t d = sc.find('.'); ; d = sc.find('.', d + 1)) {
      key.push_back(rank(sc.substr(0, d)));
      if (d == std::string::npos) break;
    }
    keyed.emplace_back(std::move(key), sc);
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < scopes.size(); ++i) scopes[i] = keyed[i].second;
}
}  // namespace

// The header (signals grouped by scope, in order of first appearance), then the values at the
// window's start.
void WaveRecorder::begin() {
  begun_ = true;
  std::vector<std::string> scopes;
  for (size_t i = 0; i < sigs_.size(); ++i)
    if (shown(i) && std::find(scopes.begin(), scopes.end(), sigs_[i].scope) == scopes.end())
      scopes.push_back(sigs_[i].scope);
  group_scopes(scopes);
  std::vector<std::string> open;  // the scope path open now
  for (const std::string& sc : scopes) {
    const auto parts = split_scope(sc);
    size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) ++common;
    for (; open.size() > common; open.pop_back()) sink_->upscope();
    for (; open.size() < parts.size(); open.push_back(parts[open.size()])) sink_->scope(parts[open.size()]);
    for (size_t i = 0; i < sigs_.size(); ++i)
      if (sigs_[i].scope == sc && shown(i)) sink_->var(i, sigs_[i].name, sigs_[i].width);
  }
  for (; !open.empty(); open.pop_back()) sink_->upscope();
  sink_->end_header();
  for (size_t i = 0; i < sigs_.size(); ++i) {
    sigs_[i].value = start_[i];
    if (shown(i)) touched_.push_back(static_cast<uint32_t>(i));
  }
  emit_changes(from_);
}

// Writes the touched signals whose shown value changed, after a time point t (only if any did).
void WaveRecorder::emit_changes(uint64_t t) {
  bool stamped = false;
  for (uint32_t i : touched_) {
    Sig& s = sigs_[i];
    int64_t v = std::max<int64_t>(s.value, 0);
    if (s.kind == Kind::Busy) v = v > 0;
    if (v == s.shown) continue;
    if (!stamped) {
      if (t != written_t_) sink_->time(t);  // the window's start values may share their time
      written_t_ = t;
      stamped = true;
      if (first_ps_ == UINT64_MAX) first_ps_ = t;
      last_ps_ = t;
    }
    s.shown = v;
    sink_->value(i, s.width, static_cast<uint64_t>(v));
    ++changes_;
  }
  touched_.clear();
}

void WaveRecorder::flush(uint64_t floor_ps) {
  if (closed_) return;
  // The start values are final only once no step before the window can come any more.
  if (!begun_ && floor_ps <= from_) {
    flush_at_ = std::max(kFlushAt, 2 * buf_.size());
    return;
  }
  if (!begun_) begin();
  std::sort(buf_.begin(), buf_.end(), [](const Step& a, const Step& b) { return a.t != b.t ? a.t < b.t : a.seq < b.seq; });
  size_t i = 0;
  while (i < buf_.size() && buf_[i].t < floor_ps) {
    const uint64_t t = buf_[i].t;
    for (; i < buf_.size() && buf_[i].t == t; ++i) {
      Sig& sg = sigs_[buf_[i].sig];
      sg.value = buf_[i].set ? buf_[i].d : sg.value + buf_[i].d;
      touched_.push_back(buf_[i].sig);
    }
    std::sort(touched_.begin(), touched_.end());
    touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
    emit_changes(t);
  }
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(i));
  flush_at_ = std::max(kFlushAt, 2 * buf_.size());
}

void WaveRecorder::close(uint64_t end_ps) {
  if (closed_) return;
  to_ = std::min(to_, end_ps);
  buf_.erase(std::remove_if(buf_.begin(), buf_.end(), [this](const Step& s) { return s.t > to_; }), buf_.end());
  flush(UINT64_MAX);
  // A last time point at the window's (or run's) end, so a viewer shows the final values there.
  if (to_ != UINT64_MAX && (to_ > last_ps_ || first_ps_ == UINT64_MAX)) {
    sink_->time(to_);
    last_ps_ = to_;
    if (first_ps_ == UINT64_MAX) first_ps_ = to_;
  }
  closed_ = true;
  sink_.reset();
}

}  // namespace dfc::model
