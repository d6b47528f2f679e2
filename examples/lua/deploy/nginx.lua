-- Deploy step: install the certificate where nginx reads it, check the
-- configuration, and reload nginx gracefully (no dropped connections, same
-- master process).
--
--   acmehook certonly ... --deploy-script examples/lua/deploy/nginx.lua \
--       --deploy-script-credentials /etc/acmehook/nginx-deploy.ini
--
-- Settings file (mode 0600):
--   cert_path  = /etc/nginx/tls/example.com.crt    (gets fullchain.pem)
--   key_path   = /etc/nginx/tls/example.com.key    (gets privkey.pem, mode 0600)
--   nginx_bin  = nginx                              (optional)
--   nginx_args = -c /etc/nginx/nginx.conf -p /      (optional; split on spaces,
--                                                    no quoting, no shell)
--
-- If `nginx -t` fails, the previous files are put back and nothing is
-- reloaded: a broken configuration must not take the site down on the
-- next restart.

local function setting(key, default)
  local v = acme.secret(key)
  if v == nil or v == "" then
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

local function run(argv, what)
  local r = acme.run{argv = argv, timeout = 30}
  if r.status ~= 0 then
    error(string.format("%s failed (exit %d): %s", what, r.status,
                        (r.stderr ~= "" and r.stderr or r.stdout):gsub("%s+$", "")))
  end
  return r
end

local function nginx_cmd(bin, args, ...)
  local argv = {bin}
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  for _, a in ipairs({...}) do argv[#argv + 1] = a end
  return argv
end

function deploy(cert)
  local cert_path = setting("cert_path")
  local key_path = setting("key_path")
  local bin = setting("nginx_bin", "nginx")
  local args = words(setting("nginx_args", ""))

  -- What nginx serves now, to put back if the new files do not pass -t.
  local old_cert, old_key = acme.read_file(cert_path), acme.read_file(key_path)
  acme.copy_file(cert.fullchain, cert_path, "0644")
  acme.copy_file(cert.key, key_path, "0600")
  local test = acme.run{argv = nginx_cmd(bin, args, "-t"), timeout = 30}
  if test.status ~= 0 then
    if old_cert and old_key then
      acme.write_file(cert_path, old_cert, "0644")
      acme.write_file(key_path, old_key, "0600")
    end
    error("nginx -t rejected the configuration with the new certificate " ..
          "(previous files restored): " .. test.stderr:gsub("%s+$", ""))
  end
  run(nginx_cmd(bin, args, "-s", "reload"), "nginx -s reload")
  acme.log("info", "installed " .. cert.lineage .. " (" .. table.concat(cert.names, ", ") ..
           ") into " .. cert_path .. " and reloaded nginx")
end
