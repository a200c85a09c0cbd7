-- Wireshark / tshark dissector for DTCP (draft-cavuto-dtcp, Dynamic Task Control Protocol):
-- requests (ADD, DELETE, REFRESH, LIST, NOOP, extension methods), replies and notifications.
--
-- Use:   tshark -X lua_script:tools/wireshark/dtcp.lua -r capture.pcap -Y 'dtcp.status == 200' \
--               -T fields -e dtcp.criteria_id
--        wireshark -X lua_script:tools/wireshark/dtcp.lua ...   (or copy it to the personal Lua
--        plugins folder shown in Help > About > Folders)
--
-- DTCP has no registered port, so the dissector finds it two ways:
--   * heuristically, on any UDP payload whose first line is a DTCP request line
--     ("METHOD DTCP/x.y") or status line ("DTCP/x.y NNN reason");
--   * on the UDP ports of the preference "dtcp.ports" (e.g. -o dtcp.ports:2400,2100), and through
--     "Decode As..." (it registers itself for decode-as in the udp.port table).
-- When a well-known dissector owns the port, add `-o udp.try_heuristic_first:TRUE` or set the
-- port preference.
--
-- Filterable fields:
--   dtcp.type ("request" / "reply" / "notification"), dtcp.method, dtcp.version, dtcp.status,
--   dtcp.reason, dtcp.csource, dtcp.cdest, dtcp.seq, dtcp.criteria_id, dtcp.criteria_num,
--   dtcp.criteria_count, dtcp.timestamp, dtcp.flags, dtcp.auth, dtcp.param (the whole line),
--   dtcp.param.name, dtcp.param.value, dtcp.malformed.
-- The signature cannot be checked here (it needs the shared key); dtcp.auth shows the digest and
-- dtcp.signed_len the number of bytes it covers.

local dtcp = Proto("dtcp", "Dynamic Task Control Protocol")

local f = {
  type = ProtoField.string("dtcp.type", "Message type"),
  method = ProtoField.string("dtcp.method", "Method"),
  version = ProtoField.string("dtcp.version", "Version"),
  status = ProtoField.uint16("dtcp.status", "Status code", base.DEC),
  reason = ProtoField.string("dtcp.reason", "Reason phrase"),
  csource = ProtoField.string("dtcp.csource", "Csource-ID"),
  cdest = ProtoField.string("dtcp.cdest", "Cdest-ID"),
  seq = ProtoField.uint64("dtcp.seq", "Seq", base.DEC),
  criteria_id = ProtoField.string("dtcp.criteria_id", "Criteria-ID"),
  criteria_num = ProtoField.uint32("dtcp.criteria_num", "Criteria-Num", base.DEC),
  criteria_count = ProtoField.uint32("dtcp.criteria_count", "Criteria-Count", base.DEC),
  timestamp = ProtoField.string("dtcp.timestamp", "Timestamp"),
  flags = ProtoField.string("dtcp.flags", "Flags"),
  auth = ProtoField.string("dtcp.auth", "Authentication-Info"),
  signed_len = ProtoField.uint32("dtcp.signed_len", "Bytes covered by the digest", base.DEC),
  param = ProtoField.string("dtcp.param", "Parameter"),
  param_name = ProtoField.string("dtcp.param.name", "Name"),
  param_value = ProtoField.string("dtcp.param.value", "Value"),
  malformed = ProtoField.string("dtcp.malformed", "Malformed line"),
}
dtcp.fields = f

local ef_malformed = ProtoExpert.new("dtcp.malformed.expert", "Malformed DTCP line", expert.group.MALFORMED,
                                     expert.severity.WARN)
local ef_noauth = ProtoExpert.new("dtcp.noauth.expert", "No Authentication-Info", expert.group.SECURITY,
                                  expert.severity.WARN)
local ef_error = ProtoExpert.new("dtcp.error.expert", "DTCP error status", expert.group.RESPONSE_CODE,
                                 expert.severity.NOTE)
dtcp.experts = { ef_malformed, ef_noauth, ef_error }

dtcp.prefs.ports = Pref.range("UDP ports", "", "UDP ports always decoded as DTCP (service ports and " ..
                              "notification-target ports), e.g. 2400,2100", 65535)
dtcp.prefs.heuristic = Pref.bool("Heuristic detection", true,
                                 "Detect DTCP on any UDP port by its first line")

local status_names = {
  [130] = "Sequence Number Rollover", [131] = "NoOp Notification", [200] = "OK",
  [390] = "Criterion Timeout Delete", [400] = "Bad Request", [430] = "Unknown Content Destination",
  [431] = "Unknown Criteria ID", [432] = "Improper Filter Specification",
  [433] = "Improper Timeout Specification", [497] = "Invalid Authentication",
  [498] = "Invalid Sequence Number", [499] = "Unknown Control Source Identifier",
  [500] = "Server Internal Error", [501] = "Not Implemented", [505] = "DTCP Version not supported",
  [550] = "Max Criteria Limit Exceeded", [551] = "Max Content Destination Exceeded", [580] = "Congestion",
  [598] = "Duplicate Packets Dropped", [599] = "Server Restart", [680] = "Criterion Congestion Delete",
  [901] = "JTap-Failure",
}

-- First-line shapes.
local function request_line(s)
  local m, v = s:match("^([%w%-_]+)[ \t]+(DTCP/%d+%.%d+)[ \t]*$")
  return m, v
end
local function status_line(s)
  local v, c, r = s:match("^(DTCP/%d+%.%d+)[ \t]+(%d%d%d)[ \t]*(.-)[ \t]*$")
  return v, c, r
end

local function first_line_of(tvb)
  local n = math.min(tvb:len(), 128)
  local s = tvb:raw(0, n)
  return s:match("^([^\r\n]*)\r?\n")
end

local function looks_like_dtcp(tvb)
  if tvb:len() < 10 then return false end
  local l = first_line_of(tvb)
  if not l then return false end
  if request_line(l) then return true end
  if status_line(l) then return true end
  return false
end

local function to_uint64(s)
  if not s:match("^%d+$") or #s > 20 then return nil end
  local u = UInt64(0)
  for i = 1, #s do u = u * 10 + (s:byte(i) - 48) end
  return u
end

-- Named fields for the well-known parameters (names are case-insensitive).
local named = {
  ["csource-id"] = "csource", ["cdest-id"] = "cdest", ["criteria-id"] = "criteria_id",
  ["timestamp"] = "timestamp", ["flags"] = "flags",
}

local function dissect(tvb, pinfo, tree)
  local len = tvb:len()
  local text = tvb:raw(0, len)
  local pos = 0  -- 0-based offset into tvb
  local function next_line()
    if pos >= len then return nil end
    local nl = text:find("\n", pos + 1, true)
    local stop = nl and nl or len + 1        -- 1-based index of LF (or past end)
    local raw_len = stop - 1 - pos           -- bytes before LF
    local line = text:sub(pos + 1, pos + raw_len)
    local start = pos
    pos = nl and nl or len
    local clean = line:gsub("[ \t\r]+$", "")
    return clean, start, raw_len + (nl and 1 or 0)
  end

  local first, fstart, flen = next_line()
  if not first then return 0 end
  pinfo.cols.protocol = "DTCP"
  local root = tree:add(dtcp, tvb(0, len))
  local info
  local m, v = request_line(first)
  local kind
  local seq_s, csource, crit = nil, nil, {}
  local status
  if m then
    kind = "request"
    root:add(f.method, tvb(fstart, #m), m)
    root:add(f.version, tvb(fstart, flen), v)
    info = m
  else
    local sv, c, r = status_line(first)
    if not sv then return 0 end
    status = tonumber(c)
    root:add(f.version, tvb(fstart, flen), sv)
    local st = root:add(f.status, tvb(fstart, flen), status)
    if status_names[status] then st:append_text(" (" .. status_names[status] .. ")") end
    root:add(f.reason, tvb(fstart, flen), r)
    if status ~= 200 and status ~= 130 and status ~= 131 then st:add_proto_expert_info(ef_error) end
    info = c .. " " .. r
  end

  local has_auth = false
  while true do
    local line, lstart, llen = next_line()
    if not line or line == "" then break end
    local name, value = line:match("^([^%s:]+)[ \t]*:[ \t]*(.-)$")
    local range = tvb(lstart, llen)
    if not name then
      local it = root:add(f.malformed, range, line)
      it:add_proto_expert_info(ef_malformed)
    else
      local lname = name:lower()
      if lname == "authentication-info" then
        has_auth = true
        root:add(f.auth, range, value)
        root:add(f.signed_len, range, lstart):set_generated()
        break  -- Authentication-Info is last; anything after it is ignored
      end
      local p = root:add(f.param, range, line)
      p:add(f.param_name, range, name)
      p:add(f.param_value, range, value)
      if named[lname] then root:add(f[named[lname]], range, value) end
      if lname == "seq" then
        local u = to_uint64(value)
        if u then root:add(f.seq, range, u) end
        seq_s = value
      elseif lname == "csource-id" then
        csource = value
      elseif lname == "criteria-id" then
        crit[#crit + 1] = value
      elseif lname == "criteria-num" and value:match("^%d+$") then
        root:add(f.criteria_num, range, tonumber(value))
      elseif lname == "criteria-count" and value:match("^%d+$") then
        root:add(f.criteria_count, range, tonumber(value))
      end
    end
  end
  if not has_auth then root:add_proto_expert_info(ef_noauth) end
  if not kind then kind = seq_s and "reply" or "notification" end
  root:add(f.type, tvb(fstart, flen), kind):set_generated()
  root:append_text(", " .. kind .. ": " .. first)

  if kind == "notification" then info = "Notification " .. info end
  if csource then info = info .. " Csource-ID=" .. csource end
  if #crit > 0 then info = info .. " Criteria-ID=" .. table.concat(crit, ",") end
  if seq_s then info = info .. " Seq=" .. seq_s end
  pinfo.cols.info = info
  return len
end

function dtcp.dissector(tvb, pinfo, tree)
  if not looks_like_dtcp(tvb) then return 0 end
  return dissect(tvb, pinfo, tree)
end

local function heuristic(tvb, pinfo, tree)
  if not dtcp.prefs.heuristic then return false end
  if not looks_like_dtcp(tvb) then return false end
  dissect(tvb, pinfo, tree)
  return true
end
dtcp:register_heuristic("udp", heuristic)

local udp_port = DissectorTable.get("udp.port")
udp_port:add_for_decode_as(dtcp)
local registered = nil
function dtcp.prefs_changed()
  if registered then udp_port:remove(registered, dtcp) end
  registered = nil
  local r = tostring(dtcp.prefs.ports or "")
  if r ~= "" then
    udp_port:add(r, dtcp)
    registered = r
  end
end
