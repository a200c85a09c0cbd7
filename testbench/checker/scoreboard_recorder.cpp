// The scoreboard's recorder: what the harness reports, reply matching, the (online or
// end-of-run) driver of the replay and the comparison of each packet's predicted copies with the
// ones the card emitted. docs/scoreboard.md explains every decision.
#include <cstdio>

#include "scoreboard_impl.hpp"

namespace dfc::tb {
using namespace sbi;

Scoreboard::Scoreboard(ScoreboardConfig cfg) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(cfg);
  impl_->congestion_setup();
}
Scoreboard::~Scoreboard() = default;

void Scoreboard::set_online(uint64_t lag_ps) {
  impl_->online = true;
  impl_->lag_ps = lag_ps;
}
size_t Scoreboard::pending() const { return impl_->pkts.size(); }
size_t Scoreboard::pending_peak() const { return impl_->pending_peak; }

void Scoreboard::on_request(uint64_t t_ps, const std::string& csource, const std::string& bytes) {
  Impl& m = *impl_;
  Request r;
  r.t = r.t_arrival = t_ps, r.call = m.calls++, r.cs = csource, r.msg = ref::parse_message(bytes);
  r.bytes_hash = std::hash<std::string>{}(bytes);
  m.scan_request(r, bytes);
  m.t_last = std::max(m.t_last, t_ps);
  const size_t i = m.requests.size();
  m.queue.emplace(std::make_pair(r.t, r.call), Ev{r.t, r.call, 0, i});
  m.open_requests[csource].push_back(i);
  m.requests.push_back(std::move(r));
  m.ingress(t_ps);
}
void Scoreboard::on_request_dropped(uint64_t t_ps, const std::string& csource, const std::string& bytes,
                                    const std::string& reason) {
  impl_->drop_request(t_ps, csource, bytes, reason);
}
void Scoreboard::on_request_taken(uint64_t t_ps, const std::string& csource, const std::string& bytes,
                                  uint64_t t_taken_ps) {
  impl_->request_taken(t_ps, csource, bytes, t_taken_ps);
}
void Scoreboard::on_reply(uint64_t t_ps, const std::string& csource, const std::string& bytes) {
  Impl& m = *impl_;
  Reply r;
  r.t = t_ps, r.call = m.calls++, r.cs = csource, r.msg = ref::parse_message(bytes);
  m.t_last = std::max(m.t_last, t_ps);
  m.replies.push_back(std::move(r));
  if (m.online) m.control_reply(m.replies.size() - 1);
}
void Scoreboard::on_notification(uint64_t t_ps, const std::string& csource, const std::string& bytes) {
  Impl& m = *impl_;
  Notification n;
  n.t = t_ps, n.call = m.calls++, n.cs = csource, n.msg = ref::parse_message(bytes);
  m.t_last = std::max(m.t_last, t_ps);
  m.notifications.push_back(std::move(n));
  if (m.online) m.control_notification(m.notifications.size() - 1);
}
void Scoreboard::on_packet(const Packet& p, uint64_t t_taken_ps, uint64_t t_done_ps) {
  Impl& m = *impl_;
  Pkt k;
  k.t = std::max(p.t_arrival_ps, t_taken_ps), k.call = m.calls++, k.id = p.id;
  k.t_done = std::max(k.t, t_done_ps);
  m.t_last = std::max(m.t_last, k.t);
  m.max_proc_ps = std::max(m.max_proc_ps, k.t_done - k.t);
  if (!m.pkt_call.emplace(p.id, k.call).second) {
    m.error("packet id " + std::to_string(p.id) + " reported twice (at " + us(m.pkts[m.pkt_call[p.id]].t) + " and " +
            us(k.t) + "): ids must be unique; the later one is ignored");
    return;
  }
  ++m.res.packets;
  k.pp = ref::parse_packet(p);
  if (k.pp.kind == ref::ParsedPacket::Ip || k.pp.kind == ref::ParsedPacket::Undecided) {
    const size_t len = k.pp.ip_len ? k.pp.ip_len : p.data.size() - k.pp.ip_off;
    k.ip.assign(p.data.begin() + static_cast<std::ptrdiff_t>(k.pp.ip_off),
                p.data.begin() + static_cast<std::ptrdiff_t>(std::min(p.data.size(), k.pp.ip_off + len)));
  }
  // Replayed in the order the card finished packets (it counts hits then), after every
  // request that arrived before that; presence is judged over [taken, done].
  m.queue.emplace(std::make_pair(k.t_done, k.call), Ev{k.t_done, k.call, 2, k.call});
  m.pkts.emplace(k.call, std::move(k));
  m.pending_peak = std::max(m.pending_peak, m.pkts.size());
  m.ingress(p.t_arrival_ps);
}
void Scoreboard::on_packet_dropped(uint64_t id, const std::string& reason) { impl_->dropped[id] = reason; }
void Scoreboard::on_copy(const Packet& copy, uint64_t t_ps) {
  Impl& m = *impl_;
  m.t_last = std::max(m.t_last, t_ps);
  m.copies[copy.id].push_back({t_ps, copy.id, m.copy_key(copy), copy.data});
}
void Scoreboard::on_copy_dropped(const Packet& copy, const std::string& reason) {
  impl_->copy_dropped[copy.id][impl_->copy_key(copy)] = reason;
}
void Scoreboard::on_end(uint64_t t_ps) { impl_->run_end = std::max(impl_->run_end, t_ps); }
void Scoreboard::on_copy_drops(const std::map<std::string, uint64_t>& d) {
  impl_->copy_drops = d;
  impl_->copy_drops_given = true;
}

// The destination key of a copy: its cdest_id when that is a key; else (ids repeated across
// capture groups) the destination with that id whose address is the copy's outer destination.
std::string Scoreboard::Impl::copy_key(const Packet& copy) const {
  if (cfg.cdests.count(copy.cdest_id) || copy.data.size() < 20) return copy.cdest_id;
  const auto& d = copy.data;
  const uint32_t dst = (uint32_t{d[16]} << 24) | (uint32_t{d[17]} << 16) | (uint32_t{d[18]} << 8) | d[19];
  for (const auto& [key, cd] : cfg.cdests)
    if (cd.id == copy.cdest_id && cd.address == dst) return key;
  return copy.cdest_id;
}

// -----------------------------------------------------------------------------------------------
// Control plane: each reply is matched to its request (same source, same Seq, the latest such
// unanswered request sent before the reply; without a known Seq the oldest unanswered one).

void Scoreboard::Impl::control_reply(size_t ri) {
  const Reply& rp = replies[ri];
  if (!rp.msg || !rp.msg->is_status) {
    error("reply to " + rp.cs + " at " + us(rp.t) + " is not a DTCP status message");
    return;
  }
  auto& list = open_requests[rp.cs];
  const auto seq = rp.msg->get("seq");
  int pick = -1;
  bool seq_known = false;
  if (seq) {
    for (size_t qi : list) {
      const Request& q = requests[qi];
      if (!q.msg || q.msg->get("seq") != seq) continue;
      seq_known = true;
      if (q.reply < 0 && q.t <= rp.t) pick = static_cast<int>(qi);
    }
    // answered requests with that Seq count too (a LIST continuation is not an orphan)
    for (const auto& q : requests)
      if (!seq_known && q.cs == rp.cs && q.msg && q.reply >= 0 && q.msg->get("seq") == seq) seq_known = true;
  }
  if (pick < 0 && !seq_known) {
    for (size_t qi : list)
      if (requests[qi].reply < 0 && requests[qi].t <= rp.t) {
        pick = static_cast<int>(qi);
        break;
      }
  }
  if (pick < 0) return;  // a continuation of a multi-packet LIST reply, or a reply to nothing we saw
  Request& q = requests[static_cast<size_t>(pick)];
  q.reply = static_cast<int>(ri);
  if (!q.released.empty())
    error("reply to DTCP request '" + q.raw.first_line + "' from " + q.cs + " at " + us(q.t) + " came at " +
          us(rp.t) + ", after the online check had stopped waiting for it (" + q.released +
          "): the packets after it were judged as if it was never answered");
  list.erase(std::find(list.begin(), list.end(), static_cast<size_t>(pick)));
  if (q.msg && !q.msg->is_status && q.msg->method == "ADD" && rp.msg->status == 200)
    build_criterion(static_cast<size_t>(pick));
}

// A core took the request at t_taken: the firmware cannot act on it before, so it is replayed
// from then (packets done in between are judged on the criteria before it). Only while it is
// still waiting in the replay, its answer not yet predicted (predicting records its Seq);
// otherwise it stays at its arrival, which is only a wider window (docs/scoreboard.md "Time").
void Scoreboard::Impl::request_taken(uint64_t t, const std::string& cs, const std::string& bytes, uint64_t t_taken) {
  const size_t h = std::hash<std::string>{}(bytes);
  for (size_t i = requests.size(); i-- > 0;) {
    Request& q = requests[i];
    if (online && q.t_arrival < t) break;
    if (q.t_arrival != t || q.cs != cs || q.bytes_hash != h || q.taken || !q.dropped.empty()) continue;
    q.taken = true;
    if (t_taken <= q.t || (i < answers.size() && answers[i].judged)) return;
    if (!queue.erase({q.t, q.call})) return;  // already replayed
    q.t = t_taken;
    queue.emplace(std::make_pair(q.t, q.call), Ev{q.t, q.call, 0, i});
    ++res.requests_taken_later;
    return;
  }
}

// A request the card dropped at ingress never reached its firmware: it is taken back before
// the replay acts on it (its event leaves the queue, so it neither changes the criteria nor
// uses its Seq, and no answer is predicted for it) and no reply may be matched to it.
// (A request a core took is never dropped: its queue entry is found at its arrival.)
void Scoreboard::Impl::drop_request(uint64_t t, const std::string& cs, const std::string& bytes,
                                   const std::string& reason) {
  ++res.dropped_requests;
  const size_t h = std::hash<std::string>{}(bytes);
  // The latest such request not yet taken back: the drop follows its arrival (online, in
  // arrival order, so the scan stops at earlier arrivals).
  for (size_t i = requests.size(); i-- > 0;) {
    Request& q = requests[i];
    if (online && q.t_arrival < t) break;
    if (q.t_arrival != t || q.cs != cs || q.bytes_hash != h || !q.dropped.empty() || q.reply >= 0) continue;
    q.dropped = reason;
    auto& open = open_requests[cs];
    open.erase(std::remove(open.begin(), open.end(), i), open.end());
    if (queue.erase({q.t, q.call})) return;
    error("DTCP request '" + q.raw.first_line + "' from " + cs + " at " + us(t) + " reported dropped at ingress (" +
          reason + ") after the scoreboard had replayed it: a drop must be reported within the online lag (" +
          us(lag_ps) + ") of its arrival");
    return;
  }
  error("DTCP request dropped at ingress (" + reason + ") from '" + cs + "' at " + us(t) +
        " was never reported as a request (on_request must come first)");
}

void Scoreboard::Impl::control_notification(size_t ni) {
  Notification& n = notifications[ni];
  if (!n.msg || !n.msg->is_status) return;
  resolve_notification(n);
  // A 390 only confirms what the model predicts itself; it is checked in ingress order. So
  // are 580/680 against the reference's own rates (599 resets them).
  const int code = n.msg->status;
  if (code == 390) queue.emplace(std::make_pair(n.t, n.call), Ev{n.t, n.call, 1, ni});
  if (code == 580 || code == 680 || code == 599) queue.emplace(std::make_pair(n.t, n.call), Ev{n.t, n.call, 4, ni});
}

// -----------------------------------------------------------------------------------------------
// The replay: events in ingress order (ties: the order they were reported).

// Online: when an arrival is reported, the card has finished everything that arrived before
// the previous one (replies, copies, drops and the timers up to then): events older than that
// by the lag are final.
void Scoreboard::Impl::ingress(uint64_t t) {
  if (!online) return;
  if (prev_ingress > lag_ps) pump(prev_ingress - lag_ps);
  prev_ingress = std::max(prev_ingress, t);
}

// A request's effect is known only from its reply (its status; the install or removal window
// ends at the reply's time): online, the oldest request still owed one holds back every event
// after it, so no packet is judged while a request that arrived before it is unanswered.
// Bounded: a request the card dropped at ingress or that the reference predicts no reply for
// (a silent drop) holds nothing; one unanswered for reply_limit_ps after its arrival, or while
// hold_max_packets packets wait behind it, is released and replayed as unanswered.
bool Scoreboard::Impl::awaiting_reply(size_t qi) {
  if (!online || finished) return false;
  Request& q = requests[qi];
  if (q.reply >= 0 || !q.dropped.empty()) return false;
  // Every earlier event is replayed, so the answer predicted now is the one the replay uses.
  if (qi >= answers.size() || !answers[qi].judged) predict_answer(qi);
  if (answers[qi].silent) return false;
  const char* why = prev_ingress >= q.t + cfg.reply_limit_ps ? "no reply within the reply limit"
                    : pkts.size() >= cfg.hold_max_packets  ? "hold_max_packets packets held behind it"
                                                           : nullptr;
  if (why) {
    q.released = why;
    ++hold_released[why];
    return false;
  }
  if (prev_ingress > q.t) hold_peak_ps = std::max(hold_peak_ps, prev_ingress - q.t);
  if (qi != last_held) ++held_requests, last_held = qi;
  return true;
}

void Scoreboard::Impl::pump(uint64_t upto) {
  watermark = std::max(watermark, upto);
  while (!queue.empty() && queue.begin()->first.first <= upto) {
    const Ev e = queue.begin()->second;
    if (e.kind == 0 && awaiting_reply(e.idx)) break;
    queue.erase(queue.begin());
    congestion_advance(e.t);
    if (e.kind == 0) {
      on_request_event(e.idx);
    } else if (e.kind == 1) {
      check_timeout_notification(notifications[e.idx], e.idx);
    } else if (e.kind == 3) {
      check_pending_count(e.idx);
    } else if (e.kind == 4) {
      congestion_notification(e.idx);
    } else {
      auto it = pkts.find(e.idx);
      const Outcome o = replay_packet(it->second);
      compare_packet(it->second, o);
      const uint64_t id = it->second.id;
      pkt_call.erase(id);
      dropped.erase(id);
      copies.erase(id);
      copy_dropped.erase(id);
      pkts.erase(it);
    }
  }
}

void Scoreboard::Impl::compare_packet(const Pkt& p, const Outcome& o) {
  const uint64_t id = p.id;
  const auto dr = dropped.find(id);
  const bool drop = dr != dropped.end();
  std::set<std::string> seen;
  if (auto it = copies.find(id); it != copies.end()) {
    for (const CopyRec& c : it->second) {
      const bool allowed = !drop && !seen.count(c.cdest) &&
                           (o.undecided || std::find(o.selected.begin(), o.selected.end(), c.cdest) != o.selected.end());
      if (!allowed) {
        ++res.unexpected_copies;
        std::string sel;
        for (const auto& d : o.selected) sel += (sel.empty() ? "" : ",") + d;
        std::string why = drop                   ? "packet was dropped at ingress (" + dr->second + ")"
                          : seen.count(c.cdest)  ? "duplicate copy"
                          : o.matched.empty()    ? "no criterion matches"
                                                 : "model selects {" + sel + "} from " + o.matched;
        if (p.pp.kind != ref::ParsedPacket::Ip && p.pp.kind != ref::ParsedPacket::Undecided)
          why = "packet is not copied (" + p.pp.why + ")";
        error("packet " + std::to_string(id) + " cdest " + c.cdest + ": unexpected copy at " + us(c.t) + " (" + why + ")");
        continue;
      }
      seen.insert(c.cdest);
      if (o.undecided) ++res.predicted_copies;
      ++res.matched_copies;
      if (auto diff = check_copy(c, p)) {
        ++res.byte_mismatches;
        error("packet " + std::to_string(id) + " cdest " + c.cdest + ": copy bytes differ: " + *diff);
      }
    }
  }
  if (o.undecided) return;
  const auto cd = copy_dropped.find(id);
  for (const auto& d : o.selected) {
    ++res.predicted_copies;
    if (seen.count(d)) continue;
    // Excused only by an event naming this packet (ingress drop) or this very copy.
    if (drop || (cd != copy_dropped.end() && cd->second.count(d))) {
      ++res.explained_missing;
      continue;
    }
    ++res.missing_copies;
    error("packet " + std::to_string(id) + " cdest " + d + ": missing copy (matching " + o.matched +
          "; no drop event names this copy; taken at " + us(p.t) + ", done at " + us(p.t_done) + ")");
  }
}

std::optional<std::string> Scoreboard::Impl::check_copy(const CopyRec& c, const Pkt& p) const {
  const auto cd = cfg.cdests.find(c.cdest);
  if (cd == cfg.cdests.end()) return "copy to unconfigured content destination";
  const auto& d = c.data;
  if (d.size() < 20) return "copy shorter than an IPv4 header (" + std::to_string(d.size()) + " bytes)";
  std::vector<std::string> diffs;
  auto rd16 = [&](size_t at) { return static_cast<uint32_t>((d[at] << 8) | d[at + 1]); };
  auto want = [&](const char* what, uint64_t got, uint64_t exp) {
    if (got != exp) diffs.push_back(std::string(what) + " " + std::to_string(got) + " expected " + std::to_string(exp));
  };
  want("outer version/IHL byte", d[0], 0x45);
  want("outer TOS", d[1], 0);
  want("outer total length", rd16(2), 20 + p.ip.size());
  want("outer flags/fragment offset", rd16(6), 0);
  want("outer TTL", d[8], cd->second.ttl);
  want("outer protocol", d[9], p.pp.h.v6 ? 41 : 4);
  if ((d[0] & 15) >= 5 && d.size() >= static_cast<size_t>(d[0] & 15) * 4 && ref::ip_checksum(d.data(), 20) != 0)
    diffs.push_back("outer header checksum invalid");
  const uint32_t src = (uint32_t{d[12]} << 24) | (uint32_t{d[13]} << 16) | (uint32_t{d[14]} << 8) | d[15];
  const uint32_t dst = (uint32_t{d[16]} << 24) | (uint32_t{d[17]} << 16) | (uint32_t{d[18]} << 8) | d[19];
  if (src != cfg.copy_source) diffs.push_back("outer source " + ipv4_text(src) + " expected " + ipv4_text(cfg.copy_source));
  if (dst != cd->second.address)
    diffs.push_back("outer destination " + ipv4_text(dst) + " expected " + ipv4_text(cd->second.address));
  if (d.size() != 20 + p.ip.size())
    diffs.push_back("copy length " + std::to_string(d.size()) + " expected " + std::to_string(20 + p.ip.size()));
  const size_t n = std::min(d.size() - 20, p.ip.size());
  for (size_t i = 0; i < n; ++i)
    if (d[20 + i] != p.ip[i]) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "inner byte %zu is 0x%02x expected 0x%02x", i, d[20 + i], p.ip[i]);
      diffs.push_back(buf);
      break;
    }
  if (diffs.empty()) return std::nullopt;
  std::string s;
  for (const auto& x : diffs) s += (s.empty() ? "" : "; ") + x;
  return s;
}

void Scoreboard::Impl::final_checks() {
  for (const auto& [id, list] : copies)
    for (const CopyRec& c : list) {
      ++res.unexpected_copies;
      error("packet " + std::to_string(id) + " cdest " + c.cdest +
            ": copy of a packet the scoreboard never saw (or saw only after checking it)");
    }
  copies.clear();
  end_of_run_checks(t_last);
  congestion_finish();
  uint64_t maxdup_reported = 0;
  bool maxdup_given = false;
  for (const auto& [why, n] : copy_drops)
    if (why.find("max_duplicates") != std::string::npos) maxdup_reported += n, maxdup_given = true;
  json& md = cov["max_duplicates"];
  md["limit"] = cfg.max_duplicates;
  md["predicted_drops"] = maxdup_predicted;
  md["uncertainty"] = maxdup_slack;
  md["reported_drops"] = maxdup_given ? json(maxdup_reported) : json(nullptr);
  if (maxdup_given) {
    const uint64_t lo = maxdup_predicted > maxdup_slack ? maxdup_predicted - maxdup_slack : 0;
    if (maxdup_reported < lo || maxdup_reported > maxdup_predicted + maxdup_slack)
      error("max-duplicates drops: card counted " + std::to_string(maxdup_reported) + ", model predicts " +
            std::to_string(maxdup_predicted) + (maxdup_slack ? " +-" + std::to_string(maxdup_slack) : std::string()));
  }
  cov["copy_drops_reported"] = copy_drops;
  judge_answers();
  dtcp_coverage();
}

Scoreboard::Result Scoreboard::finish() {
  Impl& m = *impl_;
  if (m.finished) {
    Result r = m.res;
    r.pass = false;
    r.errors.push_back("Scoreboard::finish called twice");
    return r;
  }
  m.finished = true;
  if (!m.online) {
    // Batch: the control plane in time order (events may have been reported in any order).
    for (auto& [cs, list] : m.open_requests)
      std::stable_sort(list.begin(), list.end(), [&](size_t a, size_t b) {
        const auto& x = m.requests[a];
        const auto& y = m.requests[b];
        return x.t != y.t ? x.t < y.t : x.call < y.call;
      });
    struct C {
      uint64_t t, call;
      bool reply;
      size_t i;
    };
    std::vector<C> ctl;
    for (size_t i = 0; i < m.replies.size(); ++i) ctl.push_back({m.replies[i].t, m.replies[i].call, true, i});
    for (size_t i = 0; i < m.notifications.size(); ++i)
      ctl.push_back({m.notifications[i].t, m.notifications[i].call, false, i});
    std::stable_sort(ctl.begin(), ctl.end(), [](const C& a, const C& b) { return a.t < b.t; });
    for (const auto& c : ctl) c.reply ? m.control_reply(c.i) : m.control_notification(c.i);
  }
  m.pump(~0ull);
  m.final_checks();
  m.cov["ambiguous_packets"] = m.res.ambiguous_packets;
  m.cov["online"] = {{"enabled", m.online},
                     {"lag_ps", m.lag_ps},
                     {"pending_peak", m.pending_peak},
                     {"held_by_requests", m.held_requests},
                     {"hold_peak_ps", m.hold_peak_ps},
                     {"released_unanswered", m.hold_released}};
  m.res.coverage = m.cov;
  m.res.pass = m.res.error_count == 0;
  return m.res;
}

json Scoreboard::Result::to_json() const {
  return {{"pass", pass},
          {"packets", packets},
          {"predicted_copies", predicted_copies},
          {"matched_copies", matched_copies},
          {"unexpected_copies", unexpected_copies},
          {"missing_copies", missing_copies},
          {"explained_missing", explained_missing},
          {"byte_mismatches", byte_mismatches},
          {"dropped_requests", dropped_requests},
          {"requests_taken_later", requests_taken_later},
          {"ambiguous_packets", ambiguous_packets},
          {"ambiguous_ids", ambiguous_ids},
          {"excused", excused},
          {"error_count", error_count},
          {"errors", errors},
          {"coverage", coverage}};
}

}  // namespace dfc::tb
