// The Lua sources of RedisLog's scripts (LogScript). The read and list scripts touch the keys of
// one partition only, all named with its hash tag (redis_log_keys.hpp), so a Redis Cluster runs
// each on one slot. The append script serves a whole batch, whatever its partitions, since one
// Redis holds them all: it builds each channel's keys from the prefix and the partition the
// caller passes with every message (on a Redis Cluster the caller must group a batch by slot).
// KEYS[1] names the first message's partition.
//
// Numbers: seqs and times travel as decimal text and are formatted with %d, never tostring,
// which would print large numbers as 1e+14. Lua's doubles are exact up to 2^53, far beyond any
// seq or time in milliseconds.

#include "storage/redis/redis_log_scripts.hpp"

namespace herald::storage::redis {

namespace {

constexpr std::string_view kCommon = R"lua(
local function id_of(seq) return string.format('%d-0', seq) end
local function seq_of(id) return tonumber(string.match(id, '^(%d+)-')) end
local function time_of(entry)
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'time' then return tonumber(fields[i + 1]) or 0 end
  end
  return 0
end
-- Retention by age: deletes the oldest entries whose time is before `cutoff` (ms), at most
-- 2048 a call. Times follow seqs only roughly (publishers' clocks): it stops at the first
-- entry young enough. The common case, nothing to delete, costs one XRANGE of one entry.
local function trim_age(log, cutoff)
  local head = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)
  if #head == 0 or time_of(head[1]) >= cutoff then return end
  for _ = 1, 16 do
    head = redis.call('XRANGE', log, '-', '+', 'COUNT', 128)
    if #head == 0 then return end
    for i = 1, #head do
      if time_of(head[i]) >= cutoff then
        redis.call('XTRIM', log, 'MINID', head[i][1])
        return
      end
    end
    redis.call('XTRIM', log, 'MINID', id_of(seq_of(head[#head][1]) + 1))
  end
end
-- The oldest retained seq: last_seq + 1 when none is, 0 for a channel never used. Appends trim
-- the stream by count only roughly (whole stream nodes, far cheaper than exactly): the newest
-- `max_messages` are what is retained, whatever older entries the stream still holds.
local function first_of(log, last, max_messages)
  local head = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)
  if #head > 0 then return math.max(seq_of(head[1][1]), last - max_messages + 1) end
  if last > 0 then return last + 1 end
  return 0
end
)lua";

// KEYS[1]: the first message's partition index. ARGV: key prefix, now (ms), max_messages,
// max_age (ms), dedupe window (ms), then six per message: partition, channel, id, '1' for a
// client id (deduplicated) or '0', time, and the message's fields as netstrings
// (encode_message_fields: id, event, data, time). Answers per message, in order,
// {status (1 stored, 2 duplicate), seq, time, epoch}, and SPUBLISHes one payload per channel
// with what it stored (netstrings, decode_fanout).
//
// Cost: a publish is what Redis spends most on, so a channel already in use costs one HMGET of
// its meta, an XADD per message (trimmed by count as it adds, roughly: `MAXLEN ~` drops whole
// stream nodes, at a quarter of the cost of an exact trim; reads keep the count exact), one HSET
// of its last_seq and one SPUBLISH per call. The rest is housekeeping, done at most once a second
// per channel (`kept_at` in its meta): expiring dedupe ids past the window, trimming by age, and
// the idle expiry of the log and ids, set a second beyond what retention needs since it is renewed
// only then. Neither delay shows: a read trims by age before it reads, and an id older than the
// window is not matched, whether it is still there or not.
constexpr std::string_view kAppend = R"lua(
local prefix = ARGV[1]
local now, max_messages = tonumber(ARGV[2]), ARGV[3]
local max_age, window = tonumber(ARGV[4]), tonumber(ARGV[5])
local keep_every = 1000  -- ms between two housekeepings of a channel, by Redis's clock
local clock = redis.call('TIME')
local server_now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function netstring(text) return #text .. ':' .. text end
local channels, order, results = {}, {}, {}

local function housekeeping(channel)
  if channel.keyed and window > 0 then
    local expired = redis.call('ZRANGEBYSCORE', channel.idt, '-inf',
                               '(' .. string.format('%d', now - window), 'LIMIT', 0, 1000)
    if #expired > 0 then
      redis.call('HDEL', channel.ids, unpack(expired))
      redis.call('ZREM', channel.idt, unpack(expired))
    end
  end
  trim_age(channel.log, now - max_age)
end

local function open(partition, name)
  local channel = channels[name]
  if channel then return channel end
  local tag = prefix .. ':{p' .. partition .. '}'
  local key = tag .. ':c:' .. name
  channel = {meta = key .. ':meta', log = key .. ':log', ids = key .. ':ids',
             idt = key .. ':idt', fanout = tag .. ':fanout', parts = {}, count = 0}
  local meta = redis.call('HMGET', channel.meta, 'epoch', 'last_seq', 'kept_at', 'keyed')
  -- A channel from before `keyed` was kept (none) may hold ids: look them up.
  channel.epoch, channel.keyed = meta[1], meta[4] ~= '0'
  channel.last = tonumber(meta[2] or '0')
  channel.kept_at = tonumber(meta[3] or '0')
  if not channel.epoch then
    -- New, or lost (flushed, evicted, a restart without persistence): it starts over at seq 1
    -- under a new epoch, so that every node can tell the new seqs from the old ones.
    redis.call('DEL', channel.log, channel.ids, channel.idt)
    channel.epoch = clock[1] .. string.format('%06d', tonumber(clock[2]))
    channel.last, channel.keyed, channel.kept_at = 0, false, 0
    redis.call('HSET', channel.meta, 'epoch', channel.epoch, 'last_seq', 0, 'keyed', 0)
    redis.call('ZADD', tag .. ':channels', 0, name)
  end
  channel.kept = server_now - channel.kept_at >= keep_every or server_now < channel.kept_at
  if channel.kept then housekeeping(channel) end
  channels[name] = channel
  order[#order + 1] = name
  return channel
end

for i = 6, #ARGV, 6 do
  local partition, name, id, client = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local time, fields = ARGV[i + 4], ARGV[i + 5]
  local channel = open(partition, name)
  local known = client == '1' and (channel.keyed or channel.new_keys) and
                redis.call('HGET', channel.ids, id)
  local seq, original
  if known then seq, original = string.match(known, '^(%d+):(-?%d+)$') end
  if seq and (window <= 0 or tonumber(original) >= now - window) then
    results[#results + 1] = {2, tonumber(seq), tonumber(original), channel.epoch}
  else
    channel.last = channel.last + 1
    seq = string.format('%d', channel.last)
    redis.call('XADD', channel.log, 'MAXLEN', '~', max_messages, seq .. '-0', 'time', time,
               'm', fields)
    if client == '1' then
      redis.call('HSET', channel.ids, id, seq .. ':' .. time)
      redis.call('ZADD', channel.idt, time, id)
      channel.new_keys = true
    end
    local parts = channel.parts
    parts[#parts + 1] = netstring(seq) .. fields
    channel.count = channel.count + 1
    results[#results + 1] = {1, channel.last, tonumber(time), channel.epoch}
  end
end

for _, name in ipairs(order) do
  local channel = channels[name]
  if channel.count > 0 then
    local fields = {'last_seq', string.format('%d', channel.last)}
    if channel.kept then
      fields[#fields + 1], fields[#fields + 2] = 'kept_at', string.format('%d', server_now)
    end
    if channel.new_keys and not channel.keyed then
      fields[#fields + 1], fields[#fields + 2] = 'keyed', '1'
    end
    redis.call('HSET', channel.meta, unpack(fields))
    -- An idle channel's history and ids go by themselves once all of them are too old; its
    -- meta stays, so that its seqs continue.
    if channel.kept or channel.new_keys then
      if max_age > 0 then redis.call('PEXPIRE', channel.log, max_age + keep_every) end
      if (channel.keyed or channel.new_keys) and window > 0 then
        redis.call('PEXPIRE', channel.ids, window + keep_every)
        redis.call('PEXPIRE', channel.idt, window + keep_every)
      end
    end
    redis.call('SPUBLISH', channel.fanout, netstring(name) .. netstring(channel.epoch) ..
               netstring(string.format('%d', channel.count)) .. table.concat(channel.parts))
  end
end
return results
)lua";

// KEYS[1]: the channel's meta, KEYS[2]: its log. ARGV: after (-1: none, from the oldest
// retained), limit (0: the position only), cutoff of retention by age (ms), max_messages. Answers
// {last_seq, epoch ('' when the channel is unknown), first_seq, entries} with the entries
// XRANGE gives from the first seq to send: after + 1, or the oldest retained when that is
// later, or when the cursor is beyond last_seq (a reset: gap_for in stored_message.hpp).
constexpr std::string_view kRead = R"lua(
trim_age(KEYS[2], tonumber(ARGV[3]))
local meta = redis.call('HMGET', KEYS[1], 'last_seq', 'epoch')
local last = tonumber(meta[1] or '0')
local first = first_of(KEYS[2], last, tonumber(ARGV[4]))
local after = tonumber(ARGV[1])
local from = first
if after >= 0 and after <= last then from = math.max(after + 1, first) end
local entries = {}
if ARGV[2] ~= '0' and from >= 1 and from <= last then
  entries = redis.call('XRANGE', KEYS[2], id_of(from), '+', 'COUNT', ARGV[2])
end
return {last, meta[2] or '', first, entries}
)lua";

// KEYS[1]: the partition's channel index. ARGV: key base, ZRANGEBYLEX min and max of the names
// wanted, cutoff of retention by age (ms), max_messages. Answers {name, first_seq, last_seq, ...}
// of every channel there that was used (last_seq above 0).
constexpr std::string_view kList = R"lua(
local out = {}
for _, name in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], ARGV[3])) do
  local key = ARGV[1] .. name
  local last = tonumber(redis.call('HGET', key .. ':meta', 'last_seq') or '0')
  if last > 0 then
    trim_age(key .. ':log', tonumber(ARGV[4]))
    out[#out + 1] = name
    out[#out + 1] = first_of(key .. ':log', last, tonumber(ARGV[5]))
    out[#out + 1] = last
  end
end
return out
)lua";

std::string with_common(std::string_view body) {
    return std::string(kCommon).append(body);
}

}  // namespace

std::string_view lua_source(LogScript script) {
    // Built once, on first use; read-only afterwards.
    static const std::array<std::string, kLogScripts> sources = {
            with_common(kAppend), with_common(kRead), with_common(kList)};
    return sources[static_cast<std::size_t>(script)];
}

}  // namespace herald::storage::redis
