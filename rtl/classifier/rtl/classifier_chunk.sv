module classifier_chunk #(
    parameter int N = 64,
    localparam int IW = (N > 1) ? $clog2(N) : 1
) (
    input  logic          clk,
    input  logic          we,
    input  logic [IW-1:0] widx,
    input  logic [15:0]   wcol,
    input  logic [3:0]    raddr,
    output logic [N-1:0]  rdata
);
  logic [N-1:0] mem[16];
  logic [N-1:0] sel;
  always_comb begin
    /* verilator lint_off WIDTHCONCAT */  // N-bit zero, legitimately wider than 8k at 16k entries
    sel = '0;
    /* verilator lint_on WIDTHCONCAT */
    sel[widx] = we;
  end
  always_ff @(posedge clk) begin
    for (int v = 0; v < 16; v++) mem[v] <= (mem[v] & ~sel) | (sel & {N{wcol[v]}});
  end
  assign rdata = mem[raddr];
endmodule
