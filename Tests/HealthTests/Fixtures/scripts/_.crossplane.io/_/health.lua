-- Any Crossplane managed resource: Synced and Ready conditions (a wildcard script: _.crossplane.io/_).
local function find(conditions, kind)
  for _, c in ipairs(conditions or {}) do
    if c.type == kind then return c end
  end
  return nil
end
local conditions = obj.status and obj.status.conditions
local synced = find(conditions, "Synced")
local ready = find(conditions, "Ready")
if synced ~= nil and synced.status == "False" then
  return { status = "Degraded", message = synced.reason .. ": " .. (synced.message or "") }
end
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = "Resource is available for use" }
end
if ready == nil then
  return {}
end
return { status = "Progressing", message = ready.reason }
