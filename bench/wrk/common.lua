-- Shared by bench/wrk's scripts: setup() numbers wrk's threads (each thread's
-- script sees its number as thread_id) and keeps them in `threads` for done().
local M = { threads = {} }
local next_id = 0

function M.setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(M.threads, thread)
end

return M
