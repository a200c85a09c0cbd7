// dfcsim classifier: a TCAM-like multi-match packet classifier.
//
// Implements the hardware side of the classifier contract (rtl/classifier/data/classifier.json,
// from which the build generates classifier_pkg.sv and dfc/hal/classifier_abi.hpp):
//  * N entries of EW = KW + R bits; entry bit b matches when (key[b] & mask[b]) == value[b].
//    The key is the KW-bit lookup key extended by R range-check-unit result bits.
//  * An entry takes part in lookups when it is valid AND its group is enabled.
//  * R range-check units: unit u compares one 16-bit port field (sport at SPORT_LSB, dport at
//    DPORT_LSB) against [lo, hi]; its result is key bit KW + u.
//  * Multi-match: every matching entry is reported, lowest index first.
//
// Storage is the SRAM-style chunked TCAM (k = 4): for every 4-bit chunk c of the entry a
// 16 x N memory (classifier_chunk.sv) whose word v has bit i set when entry i accepts value v
// in chunk c. A lookup reads one word per chunk (addressed by the key nibble) and ANDs them.
// Writing entry i writes its 16-bit column (bit i of all 16 words) in every chunk, one clock.
// Reset: only the valid bits, group enables, range units and counters are reset; the chunk
// memories, entry groups and care patterns are not (a memory cannot clear itself in one clock):
// an entry is only looked at while its valid bit is set, and setting it rewrites the entry.
// Chunks that no valid entry cares about (care_cnt[c] == 0) are not read: clock/read-enable
// gating in hardware (the IPv6 address bits of an IPv4-only rule set, the ICMP bytes, unused
// range bits), a large saving in simulation.
//
// Timing (one clock domain, all outputs registered):
//  edge 1  lookup key sampled (lk_valid); range units evaluated, chunk addresses registered
//  edge 2  match vector, res_valid/res_hit/res_first/res_count     -> fixed latency 2
//  edge 2+k (k = 1..count) m_valid/m_idx stream the k-th matching entry, ascending.
//  lk_done marks the clock on which the lookup's result window is complete: edge 2 when
//  nothing matched, otherwise the edge that streams match min(count, MAX_RESULTS). The
//  device wrapper counts clocks from edge 1 to lk_done: that count is the lookup's cost.
// Lookups are pipelined for the first-match result (one per clock). A new result restarts the
// match stream. Entry, unit and group writes are applied at the end of their clock, after that
// clock's lookup stage has read the tables, so each write is atomic for lookups.
//
// One source for Verilator and Yosys. Two implementations of the match are selected by the
// macro DFC_CLS_SIM_FAST (set only for the Verilated simulation models):
//  * default (synthesis): the chunk memories of classifier_chunk.sv, every gated chunk ANDed,
//    constant loop bounds;
//  * DFC_CLS_SIM_FAST: the same tables as one flat array of 64-bit words in this always_ff,
//    visiting only the chunks some entry cares about (a list kept up to date by the writes,
//    the key's nibbles picked for those chunks only) and stopping a 64-entry word's AND once
//    it is zero (the result cannot change); the match stream resumes at its own word and the
//    lowest set bit is one popcount. Verilator speed (shared/notes/toolchain.md §3.4).
// rtl/classifier/dv/test_classifier_variants.cpp drives both builds with the same vectors and requires
// identical outputs on every clock.
module classifier #(
    parameter int N = 1024,                                   // entries (multiple of 64)
    parameter int KW = classifier_pkg::CLS_KEY_BITS,          // lookup key bits (multiple of 32)
    parameter int R = classifier_pkg::CLS_RANGE_UNITS,        // range-check units (multiple of 32)
    parameter int SPORT_LSB = classifier_pkg::CLS_SPORT_LSB,  // key bit of the source port's LSB
    parameter int DPORT_LSB = classifier_pkg::CLS_DPORT_LSB,  // key bit of the destination port's LSB
    parameter int NGROUPS = classifier_pkg::CLS_GROUPS,       // group-enable bits
    parameter int MAX_RESULTS = classifier_pkg::CLS_MAX_RESULTS,  // result window (lk_done)
    localparam int EW = KW + R,
    localparam int C = EW / 4,
    localparam int NG = N / 64,
    localparam int IW = (N > 1) ? $clog2(N) : 1,
    localparam int GW = (NGROUPS > 1) ? $clog2(NGROUPS) : 1,
    localparam int RW = (R > 1) ? $clog2(R) : 1
) (
    input  logic          clk,
    input  logic          rst_n,
    // entry commit
    input  logic          wr_en,
    input  logic [IW-1:0] wr_idx,
    input  logic [EW-1:0] wr_value,
    input  logic [EW-1:0] wr_mask,
    input  logic          wr_valid,
    input  logic [GW-1:0] wr_group,
    // range-check unit commit (field: 0 disabled, 1 source port, 2 destination port)
    input  logic          ru_en,
    input  logic [RW-1:0] ru_idx,
    input  logic [1:0]    ru_field,
    input  logic [15:0]   ru_lo,
    input  logic [15:0]   ru_hi,
    // group enable
    input  logic          ge_en,
    input  logic [GW-1:0] ge_group,
    input  logic          ge_value,
    // lookup
    input  logic          lk_valid,
    input  logic [KW-1:0] lk_key,
    output logic          res_valid,
    output logic          res_hit,
    output logic [IW-1:0] res_first,
    output logic [IW:0]   res_count,
    output logic          m_valid,
    output logic [IW-1:0] m_idx,
    output logic          lk_done
);

  // ---- state ----
  logic [63:0] vld[NG];           // entry valid bits (reset)
  logic [63:0] act[NG];           // valid & group enabled, kept up to date on every write (reset)
  logic [GW-1:0] grp[N];          // entry group (no reset: read only for valid entries)
  logic [C-1:0] care_q[N];        // chunks entry i cares about (no reset: gated by vld)
  logic [31:0] care_cnt[C];       // valid entries that care about chunk c (reset)
  logic [NGROUPS-1:0] gen_q;      // group enables (reset)
  logic [1:0]  ru_f[R];
  logic [31:0] ru_l[R];
  logic [31:0] ru_h[R];

  logic        s1_valid;
  logic [63:0] mv_q[NG];          // match vector of the last lookup
  logic        str_active;
  logic [31:0] str_pos;           // next entry index the match stream looks at
  logic [31:0] str_left;          // matches still to stream before the result window is full

  if (N % 64 != 0 || KW % 32 != 0 || R % 32 != 0 || R < 32) begin : g_bad_params
    $error("classifier: N must be a multiple of 64, KW and R multiples of 32");
  end

  // Accept column of one chunk for an entry: bit v set when nibble value v matches.
  function automatic logic [15:0] accept_col(input logic [3:0] m, input logic [3:0] val);
    logic [15:0] r;
    logic [3:0] vv;
    vv = 4'd0;
    for (int v = 0; v < 16; v++) begin
      r[v] = ((vv & m) == (val & m));
      vv = vv + 4'd1;
    end
    accept_col = r;
  endfunction

  // Index of the lowest set bit of w (0 when w is zero).
  function automatic logic [31:0] lowest_bit(input logic [63:0] w);
`ifdef DFC_CLS_SIM_FAST
    // The trailing zeros of w: one popcount in C++ instead of 64 unrolled tests (the bits
    // below the lowest set bit are exactly those of ~w & (w - 1)).
    lowest_bit = (w == 64'd0) ? 32'd0 : $countones(~w & (w - 64'd1));
`else
    logic [31:0] r;
    logic [31:0] b;
    r = 32'd0;
    b = 32'd63;
    for (int k = 63; k >= 0; k--) begin
      if (w[k]) r = b;
      b = b - 32'd1;
    end
    lowest_bit = r;
`endif
  endfunction

  function automatic logic [31:0] popcount(input logic [63:0] w);
`ifdef DFC_CLS_SIM_FAST
    popcount = $countones(w);
`else
    logic [31:0] n;
    n = 32'd0;
    for (int k = 0; k < 64; k++) n = n + {31'd0, w[k]};
    popcount = n;
`endif
  endfunction

`ifdef DFC_CLS_SIM_FAST
  localparam int WORDS = EW / 32;
  logic [63:0] tbl[C * 16 * NG];  // entry word g, chunk c, value v at ((g * C + c) * 16 + v)
  logic [31:0] lst[C];            // stage 2: table offsets of the cared chunks, clst order
  logic [EW-1:0] s1_ext;          // stage 1: the extended key (the chunk addresses, unsplit)
  // The chunks some valid entry cares about (care_cnt != 0), most significant nibble of every
  // 32-bit word first: rebuilt by a write only when a chunk's count leaves or reaches zero, so
  // a lookup visits ncare chunks (about 30 for IPv4 rules) instead of testing all C.
  logic [31:0] clst[C];
  logic [31:0] ncare;
`else
  logic [31:0] s1_off[C];         // stage 1: c * 16 + key nibble, per chunk
  // ---- the chunk memories ----
  logic [C*N-1:0] rd;             // chunk c's word (read at the registered key nibble) at c * N
  for (genvar c = 0; c < C; c++) begin : g_chunk
    classifier_chunk #(.N(N)) u_mem (
        .clk  (clk),
        .we   (wr_en && rst_n),
        .widx (wr_idx),
        .wcol (accept_col(wr_mask[c*4+:4], wr_value[c*4+:4])),
        .raddr(s1_off[c][3:0]),
        .rdata(rd[c*N+:N])
    );
  end
`endif

  // One clocked process over 100 lines on purpose: its stages update state with blocking
  // assignments in order (the stream reads mv_q before stage 2 rewrites it), an order that
  // separate processes would not keep.
  /* verilator lint_off BLKSEQ */
  always_ff @(posedge clk) begin
    logic [EW-1:0] ext;
    logic [R-1:0]  rb;
    logic [63:0]   w;
    logic          hit;
    // 32-bit arithmetic temporaries: only their low bits reach the state.
    /* verilator lint_off UNUSEDSIGNAL */
    logic [31:0]   first;
    logic [31:0]   cnt;
    logic          found;
    logic [31:0]   idx;
    logic [31:0]   gw;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [5:0]    bit_i;
    logic [3:0]    mval;
    logic [C-1:0]  old_care;
    logic [C-1:0]  new_care;
    logic [15:0]   port;
    logic [31:0]   goal;
    logic          gen_new;
`ifdef DFC_CLS_SIM_FAST
    logic [31:0]   a;
    logic [15:0]   col;
    logic [31:0]   cc;
    logic          care_flip;
`endif

    if (!rst_n) begin
      for (int g = 0; g < NG; g++) begin
        vld[g] = '0;
        act[g] = '0;
        mv_q[g] = '0;
      end
      for (int c = 0; c < C; c++) begin
        care_cnt[c] = '0;
`ifndef DFC_CLS_SIM_FAST
        s1_off[c] = '0;
`endif
      end
`ifdef DFC_CLS_SIM_FAST
      s1_ext = '0;
      ncare = '0;
`endif
      for (int u = 0; u < R; u++) begin
        ru_f[u] = '0;
        ru_l[u] = '0;
        ru_h[u] = '0;
      end
      gen_q = '0;
      s1_valid <= 1'b0;
      res_valid <= 1'b0;
      res_hit <= 1'b0;
      res_first <= '0;
      res_count <= '0;
      m_valid <= 1'b0;
      m_idx <= '0;
      lk_done <= 1'b0;
      str_active <= 1'b0;
      str_pos <= '0;
      str_left <= '0;
    end else begin
      // ---- match stream: next set bit of mv_q at or above str_pos (reads old mv_q) ----
      m_valid <= 1'b0;
      lk_done <= 1'b0;
      if (str_active) begin
        found = 1'b0;
        idx = '0;
`ifdef DFC_CLS_SIM_FAST
        // Starts at the stream position's word and stops at the first hit: the synthesis form
        // visits every word and masks those below it to zero, so the result is the same.
        for (int g = str_pos >> 6; g < NG && !found; g++) begin
`else
        for (int g = 0; g < NG; g++) begin
`endif
          w = mv_q[g];
`ifndef DFC_CLS_SIM_FAST
          if (g < (str_pos >> 6)) w = '0;
          else
`endif
          if (g == (str_pos >> 6)) w = w & (~64'd0 << str_pos[5:0]);
          if (!found && w != 64'd0) begin
            found = 1'b1;
            idx = g * 64 + lowest_bit(w);
          end
        end
        m_valid <= found;
        m_idx <= idx[IW-1:0];
        lk_done <= found && str_left == 32'd1;
        str_left <= str_left - 32'd1;
        str_pos <= idx + 32'd1;
        str_active <= found && (idx + 32'd1 < N);
      end

      // ---- stage 2: match (reads stage-1 offsets and the tables before any write) ----
      res_valid <= s1_valid;
      if (s1_valid) begin
        hit = 1'b0;
        first = '0;
        cnt = '0;
`ifdef DFC_CLS_SIM_FAST
        // This lookup's table offset in every cared chunk (the care list as of this clock, as
        // the synthesis form gates with this clock's care_cnt).
        for (int k = 0; k < ncare; k++) begin
          cc = clst[k];
          lst[k] = cc * 16 + {28'd0, s1_ext[cc*4+:4]};
        end
`endif
        for (int g = 0; g < NG; g++) begin
          w = act[g];
`ifdef DFC_CLS_SIM_FAST
          a = g * C * 16;
          for (int k = 0; k < ncare && w != 64'd0; k++) w = w & tbl[a+lst[k]];
`else
          for (int c = 0; c < C; c++) if (care_cnt[c] != 32'd0) w = w & rd[c*N+g*64+:64];
`endif
          mv_q[g] = w;
          if (w != 64'd0) begin
            cnt = cnt + popcount(w);
            if (!hit) begin
              hit = 1'b1;
              first = g * 64 + lowest_bit(w);
            end
          end
        end
        goal = cnt < MAX_RESULTS ? cnt : MAX_RESULTS;
        res_hit <= hit;
        res_first <= first[IW-1:0];
        res_count <= cnt[IW:0];
        lk_done <= !hit;
        str_active <= hit;
        str_pos <= '0;
        str_left <= goal;
      end

      // ---- stage 1: range units and chunk addresses ----
      s1_valid <= lk_valid;
      if (lk_valid) begin
        for (int u = 0; u < R; u++) begin
          port = (ru_f[u] == 2'd1) ? lk_key[SPORT_LSB+:16] : lk_key[DPORT_LSB+:16];
          rb[u] = (ru_f[u] == 2'd1 || ru_f[u] == 2'd2) && {16'd0, port} >= ru_l[u] &&
                  {16'd0, port} <= ru_h[u];
        end
        ext = {rb, lk_key};
`ifdef DFC_CLS_SIM_FAST
        s1_ext = ext;  // nibbles are picked in stage 2, for the cared chunks only
`else
        for (int c = 0; c < C; c++) s1_off[c] = c * 16 + {28'd0, ext[c*4+:4]};
`endif
      end

      // ---- writes (after this clock's lookup stage read the tables) ----
      if (wr_en) begin
        gw = {{(32 - IW) {1'b0}}, wr_idx} >> 6;
        bit_i = wr_idx[5:0];
        old_care = vld[gw][bit_i] ? care_q[wr_idx] : '0;
`ifdef DFC_CLS_SIM_FAST
        care_flip = 1'b0;
`endif
        for (int c = 0; c < C; c++) begin
          mval = wr_mask[c*4+:4];
          new_care[c] = wr_valid && mval != 4'd0;
`ifdef DFC_CLS_SIM_FAST
          col = accept_col(mval, wr_value[c*4+:4]);
          a = gw * C * 16 + c * 16;
          for (int v = 0; v < 16; v++) tbl[a+v][bit_i] = col[v];
`endif
          if (!old_care[c] && new_care[c]) begin
            care_cnt[c] = care_cnt[c] + 32'd1;
`ifdef DFC_CLS_SIM_FAST
            if (care_cnt[c] == 32'd1) care_flip = 1'b1;  // chunk c joins the care list
`endif
          end else if (old_care[c] && !new_care[c]) begin
            care_cnt[c] = care_cnt[c] - 32'd1;
`ifdef DFC_CLS_SIM_FAST
            if (care_cnt[c] == 32'd0) care_flip = 1'b1;  // chunk c leaves it
`endif
          end
        end
`ifdef DFC_CLS_SIM_FAST
        if (care_flip) begin
          ncare = '0;
          for (int p = 7; p >= 0; p--) begin
            for (int wd = 0; wd < WORDS; wd++) begin
              if (care_cnt[wd*8+p] != 32'd0) begin
                clst[ncare] = wd * 8 + p;
                ncare = ncare + 32'd1;
              end
            end
          end
        end
`endif
        care_q[wr_idx] <= new_care;
        vld[gw][bit_i] = wr_valid;
        grp[wr_idx] <= wr_group;
        // A group enable in the same clock applies to the entry written (matches the ge loop).
        gen_new = (ge_en && ge_group == wr_group) ? ge_value : gen_q[wr_group];
        act[gw][bit_i] = wr_valid && gen_new;
      end
      if (ru_en) begin
        ru_f[ru_idx] = ru_field;
        ru_l[ru_idx] = {16'd0, ru_lo};
        ru_h[ru_idx] = {16'd0, ru_hi};
      end
      if (ge_en) begin
        gen_q[ge_group] = ge_value;
        for (int i = 0; i < N; i++)
          if (grp[i] == ge_group && !(wr_en && wr_idx == i[IW-1:0]))
            act[i/64][i%64] = vld[i/64][i%64] && ge_value;
      end
    end
  end
  /* verilator lint_on BLKSEQ */

endmodule
