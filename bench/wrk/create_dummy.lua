-- PUT a new dummy row of the s3rius peer (bench/peers.py), each with its own name; its API
-- takes no token.
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local counter = 0

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format('{"name":"bench %d-%d"}', id, counter))
end
