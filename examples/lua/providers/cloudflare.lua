-- Cloudflare DNS, through the v4 API (developers.cloudflare.com/api).
--
--   acmehook certonly --dns-lua examples/lua/providers/cloudflare.lua \
--       --dns-lua-credentials /etc/acmehook/cloudflare.ini -d example.com
--
-- Credentials file (mode 0600):
--   api_token = an API token with Zone:DNS:Edit on the zone (not the global key)
--   zone_id   = optional; found by name when absent
--   api_base  = optional; https://api.cloudflare.com/client/v4 by default
--   ttl       = optional; 120 by default (Cloudflare's smallest for most plans)
--
-- present() creates one TXT record; cleanup() deletes the record(s) at the
-- name whose content is our value, and nothing else.

local function config()
  local token = acme.secret("api_token")
  if not token or token == "" then
    error("credentials: api_token is missing (a Cloudflare API token with Zone:DNS:Edit)")
  end
  return {
    token = token,
    base = (acme.secret("api_base") or "https://api.cloudflare.com/client/v4"):gsub("/+$", ""),
    zone_id = acme.secret("zone_id"),
    ttl = tonumber(acme.secret("ttl") or "120") or 120,
  }
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- One API call. Cloudflare answers {"success": bool, "errors": [...],
-- "result": ...}; an error names the call and Cloudflare's messages.
local function api(cfg, method, path, body)
  local r = acme.http{method = method, url = cfg.base .. path, timeout = 20,
                      headers = {["Authorization"] = "Bearer " .. cfg.token,
                                 ["Content-Type"] = "application/json"},
                      body = body and acme.json_encode(body) or nil}
  local ok, doc = pcall(acme.json_decode, r.body)
  if r.status >= 200 and r.status <= 299 and ok and type(doc) == "table" and doc.success then
    return doc.result
  end
  local msgs = {}
  if ok and type(doc) == "table" and type(doc.errors) == "table" then
    for _, e in ipairs(doc.errors) do
      msgs[#msgs + 1] = tostring(e.code or "") .. " " .. tostring(e.message or "")
    end
  end
  if #msgs == 0 then msgs[1] = r.body:sub(1, 200) end
  error(string.format("Cloudflare API %s %s: HTTP %d: %s", method, path, r.status,
                      table.concat(msgs, "; ")))
end

-- The zone holding NAME: zone_id from the credentials, else the longest
-- suffix of NAME that Cloudflare knows as a zone of this account.
local function zone_id(cfg, ch)
  if cfg.zone_id and cfg.zone_id ~= "" then return cfg.zone_id end
  local tried, candidates = {}, {}
  if ch.zone and ch.zone ~= "" then candidates[1] = ch.zone:gsub("%.$", "") end
  local name = ch.record_name:gsub("%.$", "")
  while name:find("%.") do
    candidates[#candidates + 1] = name
    name = name:gsub("^[^.]*%.", "")
  end
  for _, cand in ipairs(candidates) do
    if not tried[cand] then
      tried[cand] = true
      local zones = api(cfg, "GET", "/zones?name=" .. urlencode(cand) .. "&status=active")
      if zones and zones[1] and zones[1].id then return zones[1].id end
    end
  end
  error("no Cloudflare zone of this token contains " .. ch.record_name ..
        " (tried " .. table.concat(candidates, ", ") .. ")")
end

local function record_name(ch)
  return (ch.record_name:gsub("%.$", ""))
end

function check(ch)
  zone_id(config(), ch)
end

function present(ch)
  local cfg = config()
  local zid = zone_id(cfg, ch)
  local rec = api(cfg, "POST", "/zones/" .. zid .. "/dns_records",
                  {type = "TXT", name = record_name(ch), content = ch.txt_value,
                   ttl = cfg.ttl, comment = "acmehook dns-01"})
  acme.log("info", "created TXT record " .. tostring(rec and rec.id) .. " at " .. record_name(ch))
end

function cleanup(ch)
  local cfg = config()
  local zid = zone_id(cfg, ch)
  local name = record_name(ch)
  local recs = api(cfg, "GET", "/zones/" .. zid .. "/dns_records?type=TXT&name=" .. urlencode(name) ..
                   "&per_page=100")
  for _, rec in ipairs(recs or {}) do
    -- Cloudflare may hand TXT content back quoted.
    local content = tostring(rec.content):gsub('^"(.*)"$', "%1")
    if content == ch.txt_value and rec.id then
      api(cfg, "DELETE", "/zones/" .. zid .. "/dns_records/" .. rec.id)
      acme.log("info", "deleted TXT record " .. rec.id .. " at " .. name)
    end
  end
end
