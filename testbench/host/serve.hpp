// `dfcsim serve`: the card model paced to the wall clock, with its control unit on real UDP
// sockets, so that real control sources (dtcpctl, a mediation device) talk DTCP to it while
// monitored traffic is replayed in real time. See docs/user-guide-realtime.md.
//
// Sockets and addresses:
//  * one UDP socket per distinct configured control-source `service-port`, bound on `listen`;
//    each datagram enters the card as a unit-0 DTCP packet addressed to that port.
//  * Loopback mapping: the firmware checks the sender against the control source's
//    `source-addresses`. A datagram from a loopback sender (127.0.0.0/8, ::1) whose Csource-ID
//    names a control source configured on that port is presented with src_ip = that source's
//    FIRST source-address (unless the sender address is itself one of them); an unknown
//    Csource-ID from loopback is presented as the first source-address of the first control
//    source on the port. Non-loopback senders are presented as they are (so source-address
//    filtering is real). The source port is kept. The real sender endpoint is remembered per
//    presented (address, port) and replies go back to it, from the service-port socket.
//  * Notifications go to the configured notification-targets (address, port) as real UDP
//    datagrams from the control source's service-port socket; `notify_to` replaces the target
//    address (port kept), e.g. 127.0.0.1 for a configuration written for a real network.
//  * Copies go to out_dir/cdest-<id>.pcap as in `run` (flushed every half second) and, with
//    copies_to = "ADDR:PORT", also live as UDP datagrams in Juniper packet-mirror ("jmirror",
//    Wireshark's jmirror dissector, default UDP port 30030) format: 4-byte mirror id = the
//    content destination's 1-based position in the configuration, 4-byte session id = the
//    copy's sequence number for that destination, then the original IP packet (the copy without
//    its outer IP-IP header).
// Time: simulated time = wall time since start (Card::set_realtime). A receive thread drains
// the sockets as datagrams arrive (host/serve_rx.hpp); each request enters the card at its
// kernel receive time. The live source waits until the next traffic packet, the card's next
// timer deadline, a datagram or 2 ms, whichever comes first, so criterion timeouts fire on time.
// When the host cannot keep up, late traffic is skipped and counted apart from the card's drops
// (host/serve_realtime.hpp), a warning goes to stderr, and the stop line and report say so.
// It ends on SIGINT/SIGTERM or after duration_s, then writes out_dir/report.json.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "host/sim_options.hpp"
#include "stimulus/pcap_io.hpp"

namespace dfc::tb {

struct ServeOptions {
  SimOptions sim;  // configuration, profile, classifier, outputs: as for `run` (host/sim_options.hpp)
  std::string listen = "127.0.0.1";  // local address of the service-port sockets
  std::string notify_to;             // "" = configured notification-target addresses
  std::string copies_to;             // "" = pcap only; "ADDR:PORT" = also jmirror over UDP
  // Monitored traffic (optional): a generator spec (TrafficSpec::parse syntax, plus `pps=N`
  // which sets the load for N packets per second at the spec's mean frame size), or a pcap
  // replayed with its original timing. Either starts traffic_start_s after the start.
  std::string traffic_spec;
  std::string pcap_in;
  PcapReplay replay;  // tcpreplay-style controls of pcap_in (filter, pps, mbps, multiplier, loop)
  double traffic_start_s = 0;
  double duration_s = 0;  // 0: until SIGINT/SIGTERM
  std::string card_control_address;  // unit-0 address presented to the firmware ("" = listen)
  // The lag bound: a packet handed to the card more than this after it was due is late; late
  // traffic is not offered but counted as host-late (host/serve_realtime.hpp).
  double max_lag_ms = 10;
};

// Runs until a signal or the duration; returns the report (also written to report.json).
// Throws std::runtime_error (or config::ConfigError) on bad input or when a port cannot be bound.
nlohmann::json serve(const ServeOptions& opt);

// The `pps=` extension of the traffic spec: returns the spec for TrafficSpec::parse.
std::string serve_traffic_spec(const std::string& spec);

}  // namespace dfc::tb
