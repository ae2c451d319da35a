-- GET with the benchmark user's access token (BENCH_TOKEN), when there is one.
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
