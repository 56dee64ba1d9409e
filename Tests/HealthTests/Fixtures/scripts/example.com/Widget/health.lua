-- Widget health: every part must be ready; a widget without status is still being made.
local hs = {}
if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Widget is being deleted"
  return hs
end
if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the widget controller"
  return hs
end
if obj.status.observedGeneration ~= nil and obj.status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for generation " .. obj.metadata.generation .. " to be observed"
  return hs
end
local parts = obj.spec.parts or {}
local ready = obj.status.readyParts or {}
-- Lua 5.1 names, as scripts written for Argo CD use them.
local wanted, have = table.getn(parts), table.getn(ready)
if have < wanted then
  hs.status = "Progressing"
  hs.message = string.format("%d of %d parts ready", have, wanted)
  return hs
end
local first = unpack(ready)
hs.status = "Healthy"
hs.message = "all " .. wanted .. " parts ready (first: " .. tostring(first) .. ")"
return hs
