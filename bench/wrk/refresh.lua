-- POST /auth/refresh. Refresh tokens rotate: each is good for one use and its answer carries
-- the next. Each thread starts with its share of the tokens in BENCH_TOKENS_FILE (one per
-- line; more than one per connection, since wrk also builds one request per thread that it
-- never sends) and puts every new token back in its queue.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  queue = {}
  local index = 0
  for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do
    index = index + 1
    if (index % tonumber(os.getenv("BENCH_THREADS"))) + 1 == id then
      table.insert(queue, line)
    end
  end
end

exhausted = 0

function request()
  local token = table.remove(queue, 1)
  if not token then
    exhausted = exhausted + 1
    token = "exhausted"
  end
  return wrk.format(nil, nil, nil, '{"refresh_token":"' .. token .. '"}')
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 200 and not first_error then
    first_error = body
  end
  local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if token then
    table.insert(queue, token)
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      io.write(string.format("status %d: %d\n", status, count))
    end
    -- Requests sent without a token (a harness fault, not the service's): should be 0.
    io.write(string.format("status without a token: %d\n", thread:get("exhausted")))
    local body = thread:get("first_error")
    if body then
      io.write("status first error: " .. body .. "\n")
    end
  end
end
