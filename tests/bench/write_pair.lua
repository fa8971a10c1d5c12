-- ./dev bench's write case: each request is a GET of one of 50 accounts (per
-- wrk thread) or, once that account's ETag is known, a PATCH with If-Match:
-- the ETag; the PATCH's answer brings the next ETag. An account is used by
-- one request at a time, so If-Match conflicts (412) only follow a failure.
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local first, count = 0, 50
local etags, busy = {}, {}

function init(args)
  first = tonumber(args[1] or "1000301") + tid * count
end

function request()
  for _ = 1, 20 do
    local id = first + math.random(0, count - 1)
    if not busy[id] then
      busy[id] = true
      local path = "/api/v1/accounts/" .. id
      local tag = etags[id]
      if tag then
        etags[id] = nil
        -- wrk.format's headers replace wrk.headers (the -H ones): copy them.
        local headers = {["Content-Type"] = "application/json", ["If-Match"] = tag}
        for name, value in pairs(wrk.headers) do
          headers[name] = headers[name] or value
        end
        return wrk.format("PATCH", path, headers,
          '{"name":"Bench Customer ' .. math.random(99999999) .. '"}')
      end
      return wrk.format("GET", path)
    end
  end
  return wrk.format("GET", "/api/v1/health")
end

function response(status, headers, body)
  local tag = headers["ETag"] or headers["etag"]
  if tag then
    local id = tonumber(tag:match('"(%d+)%.'))
    if id then
      etags[id] = tag
      busy[id] = nil
    end
  elseif status >= 300 then
    busy = {}
    etags = {}
  end
end
