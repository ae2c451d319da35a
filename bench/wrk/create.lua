-- POST a new task, each with its own title; with BENCH_IDEMPOTENT=1, each also with its own
-- Idempotency-Key (a new key is a new create, so every request writes a row); with
-- BENCH_ASSIGNEE=<user id>, each assigned to that user (which defers the assignee's job).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"
local idempotent = os.getenv("BENCH_IDEMPOTENT") == "1"
local assignee = os.getenv("BENCH_ASSIGNEE")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local counter = 0

function request()
  counter = counter + 1
  local name = string.format("bench %d-%d", id, counter)
  -- wrk.format uses the headers it is given instead of wrk.headers, not on top of them.
  local headers = {}
  for key, value in pairs(wrk.headers) do
    headers[key] = value
  end
  if idempotent then
    headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", os.time(), id, counter)
  end
  local body = '{"title":"' .. name .. '"'
  if assignee then
    body = body .. ',"assignee_id":"' .. assignee .. '"'
  end
  return wrk.format(nil, nil, headers, body .. "}")
end
