package main

import data.allowed

deny contains msg if {
  not input.kind in allowed.kinds
  msg := sprintf("kind %v is not allowed (allowed: %v)", [input.kind, allowed.kinds])
}

warn contains msg if {
  data.settings.strict
  msg := "strict settings are on"
}
