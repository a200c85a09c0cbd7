// Distribution: the hardware block between the ingress DMA and the receive rings that spreads
// monitored packets over the data threads, as Junos's
// `data-flow-affinity { hash-key (layer-3 | layer-4); }` does on the PIC: a hash of the IP
// addresses (layer-3) or of the 5-tuple (layer-4) picks the thread, so every packet of a flow
// lands on the same thread and its flow state needs no lock. The hash is symmetric (both
// directions of a conversation hash alike), so a session's two directions share a thread.
// Packets without a parsable IP header (or fragments, for layer-4's ports) hash what they have.
// SystemC-free.
#pragma once
#include <cstdint>
#include <vector>

#include "dfc/hal/packet.hpp"

namespace dfc::model {

struct CardProfile;

class Distribution {
 public:
  enum class Key { Layer3 = 3, Layer4 = 4 };
  // targets: the firmware contexts (hardware threads) that take monitored packets, in order.
  Distribution(Key key, std::vector<unsigned> targets) : key_(key), targets_(std::move(targets)) {}
  // The profile's: its data cores' hardware threads (or the control core's when it has none),
  // keyed by hash_key. Validated here, not in the profile, because the keys (cores,
  // threads_per_core, control_cores, data_cores) depend on each other and `--set` applies them
  // one at a time: throws ProfileError with what to change. Both card models build theirs so.
  static Distribution of_profile(const CardProfile& p);
  uint32_t hash(const Packet& p) const;
  unsigned target(uint32_t hash) const { return targets_[hash % targets_.size()]; }
  const std::vector<unsigned>& targets() const { return targets_; }
  Key key() const { return key_; }

 private:
  Key key_;
  std::vector<unsigned> targets_;
};

}  // namespace dfc::model
