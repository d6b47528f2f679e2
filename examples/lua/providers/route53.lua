-- Amazon Route 53, through its REST API with AWS Signature Version 4
-- (docs.aws.amazon.com/Route53/latest/APIReference; the signing steps are
-- docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
--
--   acmehook certonly --dns-lua examples/lua/providers/route53.lua \
--       --dns-lua-credentials /etc/acmehook/route53.ini -d example.com
--
-- Credentials file (mode 0600):
--   access_key_id     = AKIA...
--   secret_access_key = ...
--   session_token     = optional (temporary credentials)
--   hosted_zone_id    = optional (Z0123...; found with ListHostedZonesByName when absent)
--   endpoint          = optional; https://route53.amazonaws.com by default
--   region            = optional; us-east-1 (Route 53's signing region)
--   ttl               = optional; 60 by default
--
-- IAM policy: route53:ChangeResourceRecordSets and
-- route53:ListResourceRecordSets on the zone, route53:GetChange, and
-- route53:ListHostedZonesByName unless hosted_zone_id is given.
--
-- Route 53 keeps one rrset per name and type, and UPSERT replaces all of
-- it: present() reads the TXT rrset and writes it back with our value
-- added; cleanup() writes it back without our value, or DELETEs it (with
-- its exact current contents, as Route 53 requires) when nothing is left.

local NS = "https://route53.amazonaws.com/doc/2013-04-01/"

-- ----------------------------------------------------------- SigV4

-- "YYYYMMDDTHHMMSSZ" for an epoch (no os.date in the sandbox):
-- days to civil date after Howard Hinnant's algorithm.
function amz_date(t)
  local days = t // 86400
  local secs = t % 86400
  local z = days + 719468
  local era = z // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return string.format("%04d%02d%02dT%02d%02d%02dZ", y, m, d,
                       secs // 3600, secs % 3600 // 60, secs % 60)
end

-- RFC 3986 unreserved characters stay, everything else is %XX (upper case).
local function uri_encode(s, keep_slash)
  return (s:gsub("[^%w%-%._~/]", function(c) return string.format("%%%02X", c:byte()) end)
           :gsub("/", keep_slash and "/" or "%%2F"))
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""):gsub("%s+", " "))
end

local function split_url(url)
  local scheme, host, path, query = url:match("^(https?)://([^/?#]+)([^?#]*)%??([^#]*)")
  if not scheme then error("sigv4: cannot parse URL " .. url) end
  if path == "" then path = "/" end
  -- The Host header carries the port only when it is not the default.
  if (scheme == "https" and host:match(":443$")) or (scheme == "http" and host:match(":80$")) then
    host = host:gsub(":%d+$", "")
  end
  return host, path, query
end

local function canonical_query(query)
  local pairs_ = {}
  for part in query:gmatch("[^&]+") do
    local k, v = part:match("^([^=]*)=?(.*)$")
    -- Decode what the caller encoded, then encode the AWS way.
    local function dec(s) return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)) end
    pairs_[#pairs_ + 1] = {uri_encode(dec(k)), uri_encode(dec(v))}
  end
  table.sort(pairs_, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
  local out = {}
  for i, p in ipairs(pairs_) do out[i] = p[1] .. "=" .. p[2] end
  return table.concat(out, "&")
end

-- sigv4_sign{method=, url=, headers={Name=value}, body=, access_key=,
--            secret_key=, session_token=, region=, service=, amz_date=}
-- returns the headers to send (the given ones plus X-Amz-Date,
-- Authorization and X-Amz-Security-Token when there is a session token)
-- and a table {canonical_request=, string_to_sign=, signature=,
-- authorization=} for tests. Signs host, x-amz-date, x-amz-security-token
-- and every header given.
function sigv4_sign(req)
  local host, path, query = split_url(req.url)
  local date = req.amz_date or amz_date(acme.time())
  local out = {}
  for k, v in pairs(req.headers or {}) do out[k] = v end
  out["X-Amz-Date"] = date
  if req.session_token and req.session_token ~= "" then
    out["X-Amz-Security-Token"] = req.session_token
  end

  local canon = {host = host}
  for k, v in pairs(out) do canon[k:lower()] = trim(tostring(v)) end
  local names = {}
  for k in pairs(canon) do names[#names + 1] = k end
  table.sort(names)
  local hdr_lines = {}
  for i, k in ipairs(names) do hdr_lines[i] = k .. ":" .. canon[k] .. "\n" end
  local signed = table.concat(names, ";")

  local creq = table.concat({
    req.method,
    uri_encode(path, true),
    canonical_query(query),
    table.concat(hdr_lines),
    signed,
    acme.hex_encode(acme.sha256(req.body or "")),
  }, "\n")
  local scope = date:sub(1, 8) .. "/" .. req.region .. "/" .. req.service .. "/aws4_request"
  local sts = "AWS4-HMAC-SHA256\n" .. date .. "\n" .. scope .. "\n" ..
              acme.hex_encode(acme.sha256(creq))
  local k = acme.hmac_sha256("AWS4" .. req.secret_key, date:sub(1, 8))
  k = acme.hmac_sha256(k, req.region)
  k = acme.hmac_sha256(k, req.service)
  k = acme.hmac_sha256(k, "aws4_request")
  local sig = acme.hex_encode(acme.hmac_sha256(k, sts))
  local authz = "AWS4-HMAC-SHA256 Credential=" .. req.access_key .. "/" .. scope ..
                ", SignedHeaders=" .. signed .. ", Signature=" .. sig
  out["Authorization"] = authz
  return out, {canonical_request = creq, string_to_sign = sts, signature = sig,
               authorization = authz}
end

-- --------------------------------------------------------- Route 53

local function config()
  local c = {
    access_key = acme.secret("access_key_id"),
    secret_key = acme.secret("secret_access_key"),
    session_token = acme.secret("session_token"),
    zone_id = acme.secret("hosted_zone_id"),
    endpoint = (acme.secret("endpoint") or "https://route53.amazonaws.com"):gsub("/+$", ""),
    region = acme.secret("region") or "us-east-1",
    ttl = tonumber(acme.secret("ttl") or "60") or 60,
  }
  if not c.access_key or not c.secret_key then
    error("credentials: access_key_id and secret_access_key are required")
  end
  if c.zone_id then c.zone_id = c.zone_id:gsub("^/?hostedzone/", "") end
  return c
end

local function xml_escape(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"))
end

local function xml_unescape(s)
  return (s:gsub("&quot;", '"'):gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&amp;", "&"))
end

local function api(cfg, method, path, body)
  local headers = {}
  if body then headers["Content-Type"] = "text/xml" end
  local url = cfg.endpoint .. path
  local signed = sigv4_sign{method = method, url = url, headers = headers, body = body,
                            access_key = cfg.access_key, secret_key = cfg.secret_key,
                            session_token = cfg.session_token, region = cfg.region,
                            service = "route53"}
  local r = acme.http{method = method, url = url, headers = signed, body = body, timeout = 20}
  if r.status < 200 or r.status > 299 then
    local code = r.body:match("<Code>(.-)</Code>") or ""
    local msg = r.body:match("<Message>(.-)</Message>") or r.body:sub(1, 200)
    error(string.format("Route 53 %s %s: HTTP %d %s: %s", method, path, r.status, code,
                        xml_unescape(msg)))
  end
  return r.body
end

local function fqdn(name)
  name = name:lower()
  return name:sub(-1) == "." and name or name .. "."
end

-- The hosted zone for NAME: configured, or the longest suffix of NAME that
-- ListHostedZonesByName knows (public zones only).
local function hosted_zone(cfg, name)
  if cfg.zone_id and cfg.zone_id ~= "" then return cfg.zone_id end
  local cand = fqdn(name)
  while cand:find("%.") and cand ~= "." do
    local body = api(cfg, "GET", "/2013-04-01/hostedzonesbyname?dnsname=" .. cand .. "&maxitems=1")
    for zone in body:gmatch("<HostedZone>(.-)</HostedZone>") do
      local zname = zone:match("<Name>(.-)</Name>")
      local private = zone:match("<PrivateZone>(.-)</PrivateZone>")
      if zname and fqdn(zname) == cand and private ~= "true" then
        return (zone:match("<Id>(.-)</Id>"):gsub("^/?hostedzone/", ""))
      end
    end
    cand = cand:gsub("^[^.]*%.", "")
  end
  error("no public Route 53 hosted zone contains " .. name)
end

-- The TXT rrset at NAME: its TTL and values (quoted, as Route 53 stores them).
local function read_rrset(cfg, zid, name)
  local body = api(cfg, "GET", "/2013-04-01/hostedzone/" .. zid .. "/rrset?name=" .. name ..
                   "&type=TXT&maxitems=1")
  for set in body:gmatch("<ResourceRecordSet>(.-)</ResourceRecordSet>") do
    local n, t = set:match("<Name>(.-)</Name>"), set:match("<Type>(.-)</Type>")
    if n and fqdn(n) == name and t == "TXT" then
      local values = {}
      for v in set:gmatch("<Value>(.-)</Value>") do values[#values + 1] = xml_unescape(v) end
      return tonumber(set:match("<TTL>(%d+)</TTL>")), values
    end
  end
  return nil, {}
end

-- One change of the TXT rrset at NAME; waits (bounded) for INSYNC.
function route53_change_xml(action, name, ttl, values)
  local recs = {}
  for i, v in ipairs(values) do
    recs[i] = "<ResourceRecord><Value>" .. xml_escape(v) .. "</Value></ResourceRecord>"
  end
  return '<?xml version="1.0" encoding="UTF-8"?>\n' ..
         '<ChangeResourceRecordSetsRequest xmlns="' .. NS .. '"><ChangeBatch>' ..
         "<Comment>acmehook dns-01</Comment><Changes><Change>" ..
         "<Action>" .. action .. "</Action><ResourceRecordSet>" ..
         "<Name>" .. xml_escape(name) .. "</Name><Type>TXT</Type><TTL>" .. ttl .. "</TTL>" ..
         "<ResourceRecords>" .. table.concat(recs) .. "</ResourceRecords>" ..
         "</ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
end

local function change(cfg, zid, action, name, ttl, values)
  local body = api(cfg, "POST", "/2013-04-01/hostedzone/" .. zid .. "/rrset",
                   route53_change_xml(action, name, ttl, values))
  local id = body:match("<Id>(.-)</Id>")
  local status = body:match("<Status>(.-)</Status>")
  -- acmehook checks the name servers itself afterwards; INSYNC just
  -- makes that check pass at once. Wait a bounded while, no longer.
  local waited = 0
  while id and status == "PENDING" and waited < 20 do
    acme.sleep(2)
    waited = waited + 2
    local b = api(cfg, "GET", "/2013-04-01/change/" .. id:gsub("^/?change/", ""))
    status = b:match("<Status>(.-)</Status>")
  end
end

local function quoted(v) return '"' .. v .. '"' end

function check(ch)
  hosted_zone(config(), ch.record_name)
end

function present(ch)
  local cfg = config()
  local name = fqdn(ch.record_name)
  local zid = hosted_zone(cfg, name)
  local _, values = read_rrset(cfg, zid, name)
  for _, v in ipairs(values) do
    if v == quoted(ch.txt_value) then return end
  end
  values[#values + 1] = quoted(ch.txt_value)
  change(cfg, zid, "UPSERT", name, cfg.ttl, values)
  acme.log("info", "upserted TXT at " .. name .. " in hosted zone " .. zid)
end

function cleanup(ch)
  local cfg = config()
  local name = fqdn(ch.record_name)
  local zid = hosted_zone(cfg, name)
  local ttl, values = read_rrset(cfg, zid, name)
  local kept, found = {}, false
  for _, v in ipairs(values) do
    if v == quoted(ch.txt_value) then found = true else kept[#kept + 1] = v end
  end
  if not found then return end
  if #kept == 0 then
    change(cfg, zid, "DELETE", name, ttl or cfg.ttl, values)
  else
    change(cfg, zid, "UPSERT", name, ttl or cfg.ttl, kept)
  end
  acme.log("info", "removed our TXT value at " .. name)
end
