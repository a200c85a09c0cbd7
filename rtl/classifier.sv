// dfcsim classifier: a TCAM-like multi-match packet classifier (issue 3).
//
// Implements the hardware side of firmware/include/dfc/hal/classifier_abi.hpp:
//  * N entries of EW = KW + R bits; entry bit b matches when (key[b] & mask[b]) == value[b].
//    The key is the KW-bit lookup key extended by R range-check-unit result bits.
//  * An entry takes part in lookups when it is valid AND its group is enabled.
//  * R range-check units: unit u compares one 16-bit port field (sport at SPORT_LSB, dport at
//    DPORT_LSB) against [lo, hi]; its result is key bit KW + u.
//  * Multi-match: every matching entry is reported, lowest index first.
//
// Storage is the SRAM-style chunked TCAM (k = 4): for every 4-bit chunk c of the entry and
// each of its 16 values v, an N-bit vector tbl[c][v] has bit i set when entry i accepts v in
// chunk c. A lookup reads one N-bit word per chunk (addressed by the key nibble) and ANDs
// them. Writing an entry rewrites its bit in all 16 words of every chunk (one clock, one
// write port per chunk memory). Chunks that no valid entry cares about are skipped
// (care_cnt[c] == 0): clock gating in hardware, a large saving in simulation (the IPv6
// address bits of an IPv4-only rule set, the ICMP bytes, unused range bits).
//
// Timing (one clock domain, all outputs registered):
//  edge 1  lookup key sampled (lk_valid); range units evaluated, chunk addresses registered
//  edge 2  match vector, res_valid/res_hit/res_first/res_count     -> fixed latency 2
//  edge 2+k (k = 1..count) m_valid/m_idx stream the k-th matching entry, ascending.
// Lookups are fully pipelined for the first-match result (one per clock). A new result
// restarts the match stream, so a reader of the full match list waits count cycles before
// presenting the next key: a lookup occupies 2 + count cycles (bus path caps count at
// CLS_MAX_RESULTS). Entry, unit and group writes are applied at the end of their clock, after
// that clock's lookup stage has read the tables, so each write is atomic for lookups.
//
// Coding style for Verilator speed (shared/notes/toolchain.md): one always_ff, loops over
// arrays of 64-bit words, blocking assignments to the storage arrays after they were read.
module classifier #(
    parameter int N = 1024,           // entries (multiple of 64)
    parameter int KW = 320,           // lookup key bits (multiple of 32)
    parameter int R = 64,             // range-check units (multiple of 32)
    parameter int SPORT_LSB = 288,    // key bit of the source port's LSB
    parameter int DPORT_LSB = 304,    // key bit of the destination port's LSB
    parameter int NGROUPS = 4096,     // group-enable bits
    localparam int EW = KW + R,
    localparam int C = EW / 4,
    localparam int NG = N / 64,
    localparam int IW = (N > 1) ? $clog2(N) : 1,
    localparam int GW = (NGROUPS > 1) ? $clog2(NGROUPS) : 1,
    localparam int RW = (R > 1) ? $clog2(R) : 1,
    localparam int WORDS = EW / 32
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
    output logic [IW-1:0] m_idx
);

  // ---- storage ----
  logic [63:0] tbl[C * 16 * NG];  // entry word g, chunk c, value v at ((g * C + c) * 16 + v)
  logic [63:0] vld[NG];           // entry valid bits
  logic [63:0] act[NG];           // valid & group enabled, kept up to date on every write
  logic [31:0] grp[N];            // entry group
  logic [31:0] care_cnt[C];       // entries whose mask is non-zero in chunk c
  logic [NGROUPS-1:0] gen_q;      // group enables
  logic [31:0] ru_f[R];
  logic [31:0] ru_l[R];
  logic [31:0] ru_h[R];

  // ---- pipeline state ----
  logic        s1_valid;
  logic [31:0] s1_off[C];         // stage 1: c * 16 + key nibble, per chunk
  logic [31:0] lst[C];            // stage 2: offsets of the chunks some entry cares about
  logic [63:0] mv_q[NG];          // match vector of the last lookup
  logic        str_active;
  logic [31:0] str_pos;           // next entry index the match stream looks at

  if (N % 64 != 0 || KW % 32 != 0 || R % 32 != 0 || R < 32) begin : g_bad_params
    $error("classifier: N must be a multiple of 64, KW and R multiples of 32");
  end

  function automatic logic [5:0] lowest_bit(input logic [63:0] w);
    logic [5:0] r;
    r = 6'd0;
    for (int b = 63; b >= 0; b--) if (w[b]) r = 6'(b);
    return r;
  endfunction

  /* verilator lint_off BLKSEQ */
  always_ff @(posedge clk) begin
    logic [EW-1:0] ext;
    logic [R-1:0]  rb;
    logic [63:0]   w;
    logic          hit;
    logic [IW-1:0] first;
    logic [31:0]   cnt;
    logic          found;
    logic [31:0]   idx;
    logic [31:0]   gw;
    logic [5:0]    bit_i;
    logic [3:0]    mval;
    logic [3:0]    vval;
    logic          old_all;
    logic          old_care;
    logic          new_care;
    logic          acc_v;
    logic [31:0]   a;
    logic [15:0]   port;
    int            nact;

    if (!rst_n) begin
      for (int i = 0; i < C * 16 * NG; i++) tbl[i] = '1;  // every entry accepts everything
      for (int g = 0; g < NG; g++) begin
        vld[g] = '0;
        act[g] = '0;
        mv_q[g] = '0;
      end
      for (int i = 0; i < N; i++) grp[i] = '0;
      for (int c = 0; c < C; c++) begin
        care_cnt[c] = '0;
        s1_off[c] = '0;
        lst[c] = '0;
      end
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
      str_active <= 1'b0;
      str_pos <= '0;
    end else begin
      // ---- match stream: next set bit of mv_q at or above str_pos (reads old mv_q) ----
      m_valid <= 1'b0;
      if (str_active) begin
        found = 1'b0;
        idx = '0;
        for (int g = 32'(str_pos[31:6]); g < NG && !found; g++) begin
          w = mv_q[g];
          if (g == 32'(str_pos[31:6])) w = w & (~64'd0 << str_pos[5:0]);
          if (w != 64'd0) begin
            found = 1'b1;
            idx = 32'(g) * 32'd64 + 32'(lowest_bit(w));
          end
        end
        m_valid <= found;
        m_idx <= IW'(idx);
        str_pos <= idx + 32'd1;
        str_active <= found && (idx + 32'd1 < 32'(N));
      end

      // ---- stage 2: match (reads stage-1 offsets and the tables before any write) ----
      res_valid <= s1_valid;
      if (s1_valid) begin
        // Chunks some entry cares about, most significant nibbles of every word first (the
        // order only affects how soon a 64-entry word reaches zero in simulation).
        nact = 0;
        for (int p = 7; p >= 0; p--) begin
          for (int wd = 0; wd < WORDS; wd++) begin
            if (care_cnt[wd*8+p] != 32'd0) begin
              lst[nact] = s1_off[wd*8+p];
              nact = nact + 1;
            end
          end
        end
        hit = 1'b0;
        first = '0;
        cnt = '0;
        for (int g = 0; g < NG; g++) begin
          w = act[g];
          a = 32'(g) * 32'(C * 16);
          // Hardware ANDs all chunk words in parallel; stopping at zero is a simulation
          // shortcut with the identical result.
          for (int k = 0; k < nact && w != 64'd0; k++) w = w & tbl[a+lst[k]];
          mv_q[g] = w;
          if (w != 64'd0) begin
            cnt = cnt + 32'($countones(w));
            if (!hit) begin
              hit = 1'b1;
              first = IW'(32'(g) * 32'd64 + 32'(lowest_bit(w)));
            end
          end
        end
        res_hit <= hit;
        res_first <= first;
        res_count <= (IW + 1)'(cnt);
        str_active <= hit;
        str_pos <= '0;
      end

      // ---- stage 1: range units and chunk addresses ----
      s1_valid <= lk_valid;
      if (lk_valid) begin
        for (int u = 0; u < R; u++) begin
          port = (ru_f[u] == 32'd1) ? lk_key[SPORT_LSB+:16] : lk_key[DPORT_LSB+:16];
          rb[u] = (ru_f[u] == 32'd1 || ru_f[u] == 32'd2) && 32'(port) >= ru_l[u] &&
                  32'(port) <= ru_h[u];
        end
        ext = {rb, lk_key};
        for (int c = 0; c < C; c++) s1_off[c] = 32'(c) * 32'd16 + 32'(ext[c*4+:4]);
      end

      // ---- writes (after this clock's lookup stage read the tables) ----
      if (wr_en) begin
        gw = 32'(wr_idx) >> 6;
        bit_i = wr_idx[5:0];
        for (int c = 0; c < C; c++) begin
          mval = wr_mask[c*4+:4];
          vval = wr_value[c*4+:4] & mval;
          old_all = 1'b1;
          for (int v = 0; v < 16; v++) begin
            a = gw * 32'(C * 16) + 32'(c) * 32'd16 + 32'(v);
            old_all = old_all & tbl[a][bit_i];
            acc_v = ((4'(v) & mval) == vval);
            tbl[a][bit_i] = acc_v;
          end
          // care_cnt counts VALID entries with a non-zero mask nibble in chunk c.
          old_care = vld[gw][bit_i] && !old_all;
          new_care = wr_valid && mval != 4'd0;
          if (!old_care && new_care) care_cnt[c] = care_cnt[c] + 32'd1;
          else if (old_care && !new_care) care_cnt[c] = care_cnt[c] - 32'd1;
        end
        vld[gw][bit_i] = wr_valid;
        grp[wr_idx] = 32'(wr_group);
        act[gw][bit_i] = wr_valid && gen_q[wr_group];
      end
      if (ru_en) begin
        ru_f[ru_idx] = 32'(ru_field);
        ru_l[ru_idx] = 32'(ru_lo);
        ru_h[ru_idx] = 32'(ru_hi);
      end
      if (ge_en) begin
        gen_q[ge_group] = ge_value;
        for (int i = 0; i < N; i++)
          if (grp[i] == 32'(ge_group)) act[i/64][i%64] = vld[i/64][i%64] && ge_value;
      end
    end
  end
  /* verilator lint_on BLKSEQ */

endmodule
