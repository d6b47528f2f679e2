-- Cases for tests/unit/test_lua_sandbox.c: present(ch) runs the case named
-- by ch.identifier, deploy(cert) the one named by cert.lineage. A failed
-- expectation raises an error naming the line (check() below), which the
-- C test sees as AH_FAIL with "SCRIPT:LINE: message".

local function check(cond, msg)
  if not cond then error(msg or "check failed", 2) end
end

local function hex(s) return acme.hex_encode(s) end

local cases = {}

-- ---------------------------------------------------------------- limits
cases["loop"] = function() while true do end end
cases["loop-pcall"] = function()
  -- Catching the time-limit error must not buy more time.
  while true do pcall(function() while true do end end) end
end
cases["sleep"] = function() acme.sleep(30) end
cases["membomb"] = function()
  local s = "x"
  while true do s = s .. s end
end
cases["membomb-rep"] = function() return string.rep("x", 1 << 30) end
cases["membomb-table"] = function()
  local t = {}
  for i = 1, 1 << 40 do t[i] = string.rep("x", 4096) .. i end
end

-- --------------------------------------------------------------- sandbox
cases["os"] = function() os.execute("touch /tmp/acmehook-sandbox-escaped") end
cases["io"] = function() return io.open("/etc/passwd") end
cases["require"] = function() return require("socket") end
cases["dofile"] = function() return dofile("/etc/passwd") end
cases["loadfile"] = function() return loadfile("/etc/passwd") end
cases["debug"] = function() return debug.getinfo(1) end
cases["package"] = function() return package.loadlib("libc.so.6", "system") end
cases["coroutine"] = function() return coroutine.create(print) end
cases["load-bytecode"] = function()
  local f, err = load(string.dump(function() return 1 end))
  if not f then error(err) end
  return f()
end
cases["load-mode-b"] = function() return load("return 1", "x", "b") end
cases["load-text"] = function()
  local f = load("return 1 + 1")
  check(f() == 2, "text load works")
end

-- ------------------------------------------------------ results, errors
cases["error"] = function() error("boom") end
cases["error-table"] = function() error({code = 7}) end
cases["decline"] = function() return "decline" end
cases["false"] = function() return false, "the provider said no" end
cases["ok"] = function() return true end

-- --------------------------------------------------------------- secrets
cases["secret"] = function()
  local k = acme.secret("api_key")
  check(k == "s3cr3t-value-42", "secret api_key")
  check(acme.secret("no_such_key") == nil, "missing secret is nil")
  acme.log("info", "the key has " .. #k .. " bytes")
end
cases["secret-logged"] = function()
  -- The script leaking its own secret: the host masks it (not the plugin).
  acme.log("info", "key=" .. acme.secret("api_key"))
end

-- ------------------------------------------------- deploy-only functions
cases["run"] = function() return acme.run{argv = {"/bin/echo", "hi"}} end
cases["write_file"] = function() acme.write_file("/tmp/acmehook-nope", "x", "0600") end
cases["read_file"] = function() return acme.read_file("/etc/hostname") end
cases["copy_file"] = function() acme.copy_file("/etc/hostname", "/tmp/acmehook-nope") end

-- ----------------------------------------------------------------- host
cases["http"] = function()
  local r = acme.http{method = "POST", url = "https://api.example.test/v1/echo",
                      headers = {["X-Test"] = "1", ["Content-Type"] = "application/json"},
                      body = acme.json_encode({hello = "world"}), timeout = 5}
  check(r.status == 201, "status " .. tostring(r.status))
  check(r.headers["content-type"] == "application/json", "content-type header")
  check(r.headers["x-multi"] == "a, b", "repeated header joined: " .. tostring(r.headers["x-multi"]))
  local j = acme.json_decode(r.body)
  check(j.ok == true and j.n == 3, "body")
end
cases["http-fail"] = function() acme.http{url = "https://down.example.test/"} end
cases["http-badheader"] = function()
  acme.http{url = "https://api.example.test/", headers = {["X"] = "a\r\nInjected: yes"}}
end
cases["dns"] = function()
  local a = acme.dns{name = "_acme-challenge.example.test", type = "TXT", server = "127.0.0.1:53"}
  check(a.rcode == 0, "rcode")
  check(#a.values == 2 and a.values[1] == "one" and a.values[2] == "two", "values")
  check(a.owners[1] == "_acme-challenge.example.test", "owners")
  local nx = acme.dns{name = "nx.example.test"}
  check(nx.rcode == 3 and #nx.values == 0, "nxdomain")
  check(acme.zone_of("a.b.example.test") == "example.test", "zone_of")
end
cases["print"] = function() print("hello", 42, true) end
cases["time"] = function()
  local t = acme.time()
  check(math.type(t) == "integer" and t > 1600000000, "time")
  acme.sleep(0.01)
end

-- ---------------------------------------------------------------- codecs
cases["selftest"] = function()
  -- FIPS 180-2 / RFC 6234 "abc"
  check(hex(acme.sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 abc")
  check(hex(acme.sha512("abc")) ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" ..
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", "sha512 abc")
  -- RFC 4231 test case 2
  check(hex(acme.hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "hmac-sha256")
  check(hex(acme.hmac_sha512("Jefe", "what do ya want for nothing?")) ==
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554" ..
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737", "hmac-sha512")
  -- RFC 2202 test case 2
  check(hex(acme.hmac_sha1("Jefe", "what do ya want for nothing?")) ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", "hmac-sha1")
  -- RFC 4648 section 10
  local b64 = {[""] = "", f = "Zg==", fo = "Zm8=", foo = "Zm9v", foob = "Zm9vYg==",
               fooba = "Zm9vYmE=", foobar = "Zm9vYmFy"}
  for plain, enc in pairs(b64) do
    check(acme.base64_encode(plain) == enc, "base64 " .. plain)
    check(acme.base64_decode(enc) == plain, "unbase64 " .. enc)
  end
  check(acme.base64url_encode("\251\255\191") == "-_-_", "base64url alphabet")
  check(acme.base64url_encode("f") == "Zg", "base64url has no padding")
  check(acme.base64url_decode("Zg") == "f", "base64url decodes unpadded")
  check(acme.base64_encode("\251\255") == "+/8=", "base64 alphabet")
  check(not pcall(acme.base64_decode, "Zm9v!"), "bad base64 character raises")
  check(not pcall(acme.base64_decode, "Z"), "truncated base64 raises")
  check(acme.hex_encode("\0\1\254\255") == "0001feff", "hex encode")
  check(acme.hex_decode("0001FEff") == "\0\1\254\255", "hex decode")
  check(not pcall(acme.hex_decode, "abc"), "odd hex raises")
  check(not pcall(acme.hex_decode, "zz"), "bad hex raises")

  -- JSON
  local enc = acme.json_encode
  check(enc({1, 2, 3}) == "[1,2,3]", "array")
  check(enc({a = 1}) == '{"a":1}', "object")
  check(enc({}) == "{}", "empty table is an object")
  check(enc(acme.json_array()) == "[]", "json_array marks an empty array")
  check(enc(acme.json_array({})) == "[]", "json_array of a table")
  check(enc({a = acme.json_null}) == '{"a":null}', "null")
  check(enc("a\"b\n") == '"a\\"b\\n"', "string escapes")
  check(enc(true) == "true" and enc(1.5) == "1.5" and enc(42) == "42", "scalars")
  check(enc({[1] = "a", [3] = "c"}) == '{"1":"a","3":"c"}' or
        enc({[1] = "a", [3] = "c"}) == '{"3":"c","1":"a"}', "sparse table is an object")
  local cyc = {}
  cyc.self = cyc
  local ok, err = pcall(enc, cyc)
  check(not ok and err:find("deeper than 64"), "cycle refused: " .. tostring(err))
  check(not pcall(enc, {f = print}), "function refused")
  check(not pcall(enc, 0/0), "NaN refused")

  local d = acme.json_decode('{"x":[1,2,{"y":null}],"b":true,"s":"\\u00e9","f":1.5,"e":[],"o":{}}')
  check(#d.x == 3 and d.x[1] == 1 and math.type(d.x[1]) == "integer", "decoded array")
  check(d.x[3].y == acme.json_null, "decoded null is the sentinel")
  check(d.b == true and d.s == "\195\169" and d.f == 1.5, "decoded scalars")
  check(enc(d.e) == "[]" and enc(d.o) == "{}", "empty containers survive a round trip")
  local s = '{"records":[{"content":"\\"abc\\"","disabled":false}],"ttl":60}'
  local back = acme.json_decode(enc(acme.json_decode(s)))
  check(back.ttl == 60 and back.records[1].content == '"abc"' and
        back.records[1].disabled == false, "round trip")
  check(not pcall(acme.json_decode, "{nope"), "invalid JSON raises")
  check(not pcall(acme.json_decode, '{"a":1} trailing'), "text after the value raises")
  check(acme.json_decode(' {"a":1} \n').a == 1, "surrounding white space is fine")
  check(enc(9007199254740993) == "9007199254740993", "64-bit integers encode exactly")
  check(enc(-42) == "-42", "negative integers")
  check(acme.json_decode(enc(0.1)) == 0.1, "floats read back exactly")
  local deep = string.rep("[", 65) .. string.rep("]", 65)
  ok, err = pcall(acme.json_decode, deep)
  check(not ok and err:find("deeper than 64"), "deep JSON refused: " .. tostring(err))
  check(#acme.json_decode(string.rep("[", 60) .. string.rep("]", 60)) == 1, "60 deep is fine")
end

function present(ch)
  local f = cases[ch.identifier]
  if not f then error("no case " .. tostring(ch.identifier)) end
  return f(ch)
end

cases["fields"] = function(ch)
  check(ch.type == "dns-01" and ch.token == "tok-1" and ch.key_authorization == "tok-1.thumb",
        "type/token/key authorization")
  check(ch.record_name == "_acme-challenge.example.test" and ch.txt_value == "txt-value-1",
        "record name/value")
  check(ch.wildcard == true and ch.zone == "example.test", "wildcard/zone")
end

function cleanup(ch)
  acme.log("info", "cleanup ran for " .. ch.identifier .. " " .. ch.record_name ..
           " " .. ch.txt_value .. " wildcard=" .. tostring(ch.wildcard))
end

-- ------------------------------------------------------------------ deploy
local deploys = {}
deploys["run"] = function(cert)
  local r = acme.run{argv = {"/bin/echo", "hello", cert.names[1], cert.names[2]}}
  check(r.status == 0, "status " .. r.status)
  check(r.stdout == "hello example.test www.example.test\n", "stdout: " .. r.stdout)
  check(r.stderr == "", "stderr")
  check(cert.renewed == true and cert.issuer_changed == false, "flags")
  check(#cert.names == 2, "names")
end
deploys["run-stdin"] = function()
  local r = acme.run{argv = {"/bin/cat"}, stdin = "from stdin"}
  check(r.stdout == "from stdin", "cat echoes stdin: " .. r.stdout)
end
deploys["run-status"] = function()
  local r = acme.run{argv = {"/bin/sh", "-c", "echo err >&2; exit 3"}}
  check(r.status == 3 and r.stderr == "err\n", "status/stderr")
end
deploys["run-noshell"] = function()
  -- One argument, no shell: the string is a file name, not a command line.
  local ok, err = pcall(acme.run, {argv = {"echo hi; touch /tmp/x"}})
  check(not ok and err:find("cannot run"), "no shell: " .. tostring(err))
end
deploys["run-timeout"] = function() acme.run{argv = {"/bin/sleep", "5"}, timeout = 1} end
deploys["run-big"] = function()
  local r = acme.run{argv = {"/bin/sh", "-c", "head -c 3000000 /dev/zero"}}
  check(#r.stdout == 1024 * 1024 and r.truncated == true, "output capped: " .. #r.stdout)
end
deploys["files"] = function(cert)
  local dir = cert.cert:match("^(.*)/[^/]+$")
  acme.write_file(dir .. "/written.txt", "content\n", "0600")
  acme.copy_file(cert.fullchain, dir .. "/copied.pem", "0640")
  acme.copy_file(cert.cert, dir .. "/copied-default.pem")
  check(acme.read_file(dir .. "/written.txt") == "content\n", "read_file")
  local none, err = acme.read_file(dir .. "/no-such-file")
  check(none == nil and err:find("No such file"), "read_file of a missing file")
end

function deploy(cert)
  return deploys[cert.lineage](cert)
end
