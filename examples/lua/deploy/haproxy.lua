-- Deploy step: write HAProxy's combined PEM (certificate chain followed by
-- the private key, the format of its `crt` keyword) and reload HAProxy.
--
--   acmehook certonly ... --deploy-script examples/lua/deploy/haproxy.lua \
--       --deploy-script-credentials /etc/acmehook/haproxy-deploy.ini
--
-- Settings file (mode 0600):
--   pem_path   = /etc/haproxy/certs/example.com.pem
--   reload_cmd = systemctl reload haproxy      (split on spaces; run without a
--                                               shell; empty: do not reload)
--   check_cmd  = haproxy -c -f /etc/haproxy/haproxy.cfg   (optional; run first)

local function setting(key, default)
  local v = acme.secret(key)
  if v == nil then
    if default == nil then error("settings: " .. key .. " is missing") end
    return default
  end
  return v
end

local function words(s)
  local out = {}
  for w in s:gmatch("%S+") do out[#out + 1] = w end
  return out
end

local function read(path)
  local text, err = acme.read_file(path)
  if not text then error("cannot read " .. err) end
  return text
end

local function run(cmd, what)
  local argv = words(cmd)
  if #argv == 0 then return end
  local r = acme.run{argv = argv, timeout = 60}
  if r.status ~= 0 then
    error(string.format("%s (%s) failed (exit %d): %s", what, cmd, r.status,
                        (r.stderr ~= "" and r.stderr or r.stdout):gsub("%s+$", "")))
  end
end

function deploy(cert)
  local pem_path = setting("pem_path")
  local fullchain, key = read(cert.fullchain), read(cert.key)
  if fullchain:sub(-1) ~= "\n" then fullchain = fullchain .. "\n" end
  -- The key is in this file: 0600 from the moment it exists.
  acme.write_file(pem_path, fullchain .. key, "0600")
  run(setting("check_cmd", ""), "configuration check")
  run(setting("reload_cmd", "systemctl reload haproxy"), "reload")
  acme.log("info", "wrote " .. pem_path .. " for " .. cert.lineage)
end
