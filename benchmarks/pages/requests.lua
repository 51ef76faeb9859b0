-- wrk script: requests from a list file, formatted once in init, sent round-robin over the list.
--   wrk ... -s requests.lua URL -- LIST [fill]
-- LIST lines are "host path" (the Host header varies per request) or "path" (the URL's host).
-- Every request carries Accept-Encoding: gzip, br, as browsers send it.
-- With "fill", each line is requested once: the script writes "ready" to stderr when its list is loaded
-- and "filled <responses> <not 200>" when as many responses as lines have arrived (fill.py times the two
-- lines and stops wrk: wrk itself always runs for its whole -d).
local requests, count, sent, received, failed, reported = {}, 0, 0, 0, 0, false

-- Only a fill run looks at responses: defining response() makes wrk hand every body to Lua.
local function counted(status)
  received = received + 1
  if status ~= 200 then failed = failed + 1 end
  if received >= count and not reported then
    reported = true
    io.stderr:write(string.format("filled %d %d\n", received, failed))
    io.stderr:flush()
  end
end

function init(args)
  if args[2] == "fill" then response = counted end
  for line in io.lines(args[1]) do
    local host, path = line:match("^(%S+) (%S+)$")
    local headers = { ["Accept-Encoding"] = "gzip, br" }
    if host then headers["Host"] = host else path = line end
    count = count + 1
    requests[count] = wrk.format("GET", path, headers)
  end
  if response then io.stderr:write("ready\n"); io.stderr:flush() end
end

function request()
  sent = sent + 1
  return requests[(sent - 1) % count + 1]
end
