-- PowerDNS Authoritative, through its HTTP API (docs.powerdns.com/authoritative/http-api).
--
--   acmehook certonly --dns-lua examples/lua/providers/powerdns.lua \
--       --dns-lua-credentials /etc/acmehook/powerdns.ini -d example.com -d '*.example.com'
--
-- Credentials file (mode 0600):
--   api_url   = https://pdns.example.com:8081   (plain http only to a loopback address)
--   api_key   = the webserver's api-key
--   server_id = localhost                        (optional; PowerDNS's default)
--   ttl       = 60                               (optional)
--
-- present() adds our value to the TXT rrset at the record name and keeps
-- any other values there (the apex and the wildcard of one order share
-- one name); cleanup() removes only our value and deletes the rrset when
-- nothing else is left.

local function config()
  local url = acme.secret("api_url")
  local key = acme.secret("api_key")
  if not url or url == "" then error("credentials: api_url is missing (e.g. http://127.0.0.1:8081)") end
  if not key or key == "" then error("credentials: api_key is missing") end
  return {
    url = url:gsub("/+$", ""),
    key = key,
    server = acme.secret("server_id") or "localhost",
    ttl = tonumber(acme.secret("ttl") or "60") or 60,
  }
end

local REASONS = {[400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden",
                 [404] = "Not Found", [422] = "Unprocessable Entity",
                 [500] = "Internal Server Error"}

-- One API call; errors name the method, path, status and PowerDNS's text.
local function api(cfg, method, path, body)
  local headers = {["X-API-Key"] = cfg.key, ["Accept"] = "application/json"}
  if body then headers["Content-Type"] = "application/json" end
  local r = acme.http{method = method, url = cfg.url .. path, headers = headers,
                      body = body and acme.json_encode(body) or nil, timeout = 15}
  if r.status < 200 or r.status > 299 then
    local why = r.body
    local ok, doc = pcall(acme.json_decode, r.body)
    if ok and type(doc) == "table" and doc.error then why = doc.error end
    error(string.format("PowerDNS API %s %s: HTTP %d %s: %s", method, path, r.status,
                        REASONS[r.status] or "", tostring(why):sub(1, 200)))
  end
  if r.body == "" then return nil end
  return acme.json_decode(r.body)
end

local function fqdn(name)
  name = name:lower()
  if name:sub(-1) ~= "." then name = name .. "." end
  return name
end

-- PowerDNS zone ids escape "/" (and anything odd) as =XX.
local function zone_path(cfg, zone_id)
  return "/api/v1/servers/" .. cfg.server .. "/zones/" ..
         zone_id:gsub("[^%w%.%-_]", function(c) return string.format("=%02X", c:byte()) end)
end

-- The zone on this server that holds NAME: the longest suffix match among
-- the zones the API lists, so a record that a CNAME sent elsewhere still
-- lands in a zone we can edit.
local function find_zone(cfg, name)
  local zones = api(cfg, "GET", "/api/v1/servers/" .. cfg.server .. "/zones")
  local best
  name = fqdn(name)
  for _, z in ipairs(zones) do
    local zn = fqdn(z.name)
    if name == zn or name:sub(-#zn - 1) == "." .. zn then
      if not best or #zn > #best.name then best = {name = zn, id = z.id or zn} end
    end
  end
  if not best then
    error("no zone on PowerDNS server " .. cfg.server .. " at " .. cfg.url .. " contains " .. name)
  end
  return best
end

-- The TXT values at NAME, unquoted, in the order PowerDNS keeps them.
local function txt_values(cfg, zone, name)
  local z = api(cfg, "GET", zone_path(cfg, zone.id) .. "?rrset_name=" .. name .. "&rrset_type=TXT")
  local values = {}
  for _, rr in ipairs(z.rrsets or {}) do
    if fqdn(rr.name) == name and rr.type == "TXT" then
      for _, rec in ipairs(rr.records) do
        values[#values + 1] = (rec.content:gsub('^"(.*)"$', "%1"))
      end
    end
  end
  return values
end

local function replace(cfg, zone, name, values)
  local rrset = {name = name, type = "TXT"}
  if #values == 0 then
    rrset.changetype = "DELETE"
  else
    rrset.changetype = "REPLACE"
    rrset.ttl = cfg.ttl
    rrset.records = {}
    for i, v in ipairs(values) do
      -- TXT content goes in presentation form: quoted.
      rrset.records[i] = {content = '"' .. v .. '"', disabled = false}
    end
  end
  api(cfg, "PATCH", zone_path(cfg, zone.id), {rrsets = {rrset}})
end

function check(ch)
  local cfg = config()
  find_zone(cfg, ch.record_name)
end

function present(ch)
  local cfg = config()
  local name = fqdn(ch.record_name)
  local zone = find_zone(cfg, name)
  local values = txt_values(cfg, zone, name)
  for _, v in ipairs(values) do
    if v == ch.txt_value then return end
  end
  values[#values + 1] = ch.txt_value
  replace(cfg, zone, name, values)
  acme.log("info", "added TXT " .. ch.txt_value .. " at " .. name .. " in zone " .. zone.name)
end

function cleanup(ch)
  local cfg = config()
  local name = fqdn(ch.record_name)
  local zone = find_zone(cfg, name)
  local kept, found = {}, false
  for _, v in ipairs(txt_values(cfg, zone, name)) do
    if v == ch.txt_value then found = true else kept[#kept + 1] = v end
  end
  if not found then return end
  replace(cfg, zone, name, kept)
  acme.log("info", "removed TXT " .. ch.txt_value .. " at " .. name ..
           (#kept > 0 and (" (" .. #kept .. " other values kept)") or ""))
end
