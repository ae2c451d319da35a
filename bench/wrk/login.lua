-- POST the login form of the benchmark user (BENCH_EMAIL, BENCH_PASSWORD).
local function encode(text)
  return (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=" .. encode(os.getenv("BENCH_EMAIL")) .. "&password=" .. encode(os.getenv("BENCH_PASSWORD"))
