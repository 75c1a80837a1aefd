-- SPDX-License-Identifier: Apache-2.0
-- wrk script of the soak tests (soaklib.Wrk): a deterministic mix of
-- pages, every request counted by kind and every response by status.
--
-- Arguments after "--", as key=value:
--   quota=N         requests this thread issues, then it stops and prints
--                   SOAK-THREAD-DONE (0: no end)
--   crash_every=N   every Nth request crashes its worker (alternately
--                   crash_ffi.php and crash_abort.php); 0: never
--   hung_every=N    every Nth request reads a silent backend (hung=PATH)
--   held_every=N    every Nth request takes the session "soakheld" and
--                   reads a silent backend while holding it (held=PATH)
--   waiter_every=N  every Nth request touches the session "soakheld"
--   status_every=N  every Nth request renders /guard-status?json
--   normal=a,b,c    the other requests cycle through these kinds:
--                   php, txt, session
--   sessions=N      session ids the session requests share
--   close=1         Connection: close on every request
--
-- done() prints one line "SOAK-RESULT {json}" with the summary, the
-- issued counts and the statuses summed over the threads.

counts = {}
statuses = {}
issued = 0
stopped = false
id = nil
verified = false

local threads = {}
local cfg = {}
local quota, crash_every, hung_every, status_every = 0, 0, 0, 0
local held_every, waiter_every = 0, 0
local normal = {}
local reqs = {}
local sessions = {}
local nsess = 0

function setup(thread)
    table.insert(threads, thread)
    thread:set("id", #threads)
end

local function num(k, default)
    return tonumber(cfg[k] or "") or default
end

function init(args)
    for _, a in ipairs(args) do
        local k, v = a:match("^([%w_]+)=(.*)$")
        if k then
            cfg[k] = v
        end
    end
    quota = num("quota", 0)
    crash_every = num("crash_every", 0)
    hung_every = num("hung_every", 0)
    status_every = num("status_every", 0)
    held_every = num("held_every", 0)
    waiter_every = num("waiter_every", 0)
    local h = {}
    if cfg.close == "1" then
        h["Connection"] = "close"
    end
    reqs.php = wrk.format("GET", "/hello.php", h)
    reqs.txt = wrk.format("GET", "/hello.txt", h)
    reqs.status = wrk.format("GET", "/guard-status?json", h)
    reqs.crash_ffi = wrk.format("GET", "/crash_ffi.php", h)
    reqs.crash_abort = wrk.format("GET", "/crash_abort.php", h)
    if cfg.hung then
        reqs.hung = wrk.format("GET", cfg.hung, h)
    end
    local hh = {}
    for k, v in pairs(h) do
        hh[k] = v
    end
    hh["Cookie"] = "PHPSESSID=soakheld"
    if cfg.held then
        reqs.held = wrk.format("GET", cfg.held, hh)
    end
    reqs.waiter = wrk.format("GET", "/session_touch.php", hh)
    nsess = num("sessions", 4)
    for i = 1, nsess do
        local hs = {}
        for k, v in pairs(h) do
            hs[k] = v
        end
        hs["Cookie"] = "PHPSESSID=soak" .. i
        sessions[i] = wrk.format("GET", "/session_touch.php", hs)
    end
    for kind in (cfg.normal or "php,txt"):gmatch("[^,]+") do
        table.insert(normal, kind)
    end
end

local function pick(n)
    if crash_every > 0 and n % crash_every == 0 then
        if (n / crash_every) % 2 == 1 then
            return "crash_ffi"
        end
        return "crash_abort"
    end
    if hung_every > 0 and n % hung_every == 0 then
        return "hung"
    end
    if held_every > 0 and n % held_every == 0 then
        return "held"
    end
    if waiter_every > 0 and n % waiter_every == 0 then
        return "waiter"
    end
    if status_every > 0 and n % status_every == 0 then
        return "status"
    end
    return normal[n % #normal + 1]
end

function request()
    if id == 1 and not verified then
        -- wrk (4.x) calls the first thread's request() once, before the
        -- thread runs, to check the script: that one is never sent.
        verified = true
        return reqs.txt
    end
    issued = issued + 1
    local kind = pick(issued)
    counts[kind] = (counts[kind] or 0) + 1
    if kind == "session" then
        return sessions[issued % nsess + 1]
    end
    return reqs[kind]
end

function response(status, headers, body)
    local k = tostring(status)
    statuses[k] = (statuses[k] or 0) + 1
    if quota > 0 and issued >= quota and not stopped then
        -- wrk's main thread sleeps for -d whatever the threads do: say
        -- so, and the caller ends the run with SIGINT once all have.
        stopped = true
        io.stdout:write("SOAK-THREAD-DONE\n")
        io.stdout:flush()
        wrk.thread:stop()
    end
end

local function json_table(t)
    local parts = {}
    for k, v in pairs(t) do
        table.insert(parts, string.format("%q:%d", tostring(k), v))
    end
    return "{" .. table.concat(parts, ",") .. "}"
end

local function add(into, t)
    for k, v in pairs(t or {}) do
        into[k] = (into[k] or 0) + v
    end
end

function done(summary, latency, requests)
    local c, s, n = {}, {}, 0
    for _, t in ipairs(threads) do
        add(c, t:get("counts"))
        add(s, t:get("statuses"))
        n = n + (t:get("issued") or 0)
    end
    local e = summary.errors
    io.write(string.format(
        "SOAK-RESULT {\"duration_us\":%d,\"requests\":%d,\"issued\":%d,"
        .. "\"errors\":{\"connect\":%d,\"read\":%d,\"write\":%d,"
        .. "\"status\":%d,\"timeout\":%d},\"counts\":%s,\"statuses\":%s,"
        .. "\"latency_max_us\":%d}\n",
        summary.duration, summary.requests, n, e.connect, e.read, e.write,
        e.status, e.timeout, json_table(c), json_table(s), latency.max))
end
