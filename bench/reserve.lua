-- (b) Uncontended reservations: a random (token, event/section) pair per request, one ticket each.
-- Reads bench/results/tokens.txt (one JWT per line) and bench/results/sections.txt ("event_id section_id").
local tokens, sections = {}, {}
for line in io.lines("bench/results/tokens.txt") do tokens[#tokens + 1] = line end
for line in io.lines("bench/results/sections.txt") do
  local e, s = line:match("(%d+) (%d+)")
  sections[#sections + 1] = {e, s}
end
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
init = function() math.randomseed(os.time() * 1000 + (tid or 0)) end
request = function()
  local t = tokens[math.random(#tokens)]
  local s = sections[math.random(#sections)]
  return wrk.format("POST", "/api/v1/events/" .. s[1] .. "/reservations",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. t},
    '{"section_id":' .. s[2] .. ',"quantity":1}')
end
