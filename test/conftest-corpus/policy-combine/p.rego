package main

deny contains msg if {
  count(input) < 10
  msg := sprintf("combined %d documents: %v", [count(input), [d.path | some d in input]])
}

deny contains msg if {
  some d in input
  d.contents.kind == "Service"
  msg := sprintf("service in %s", [d.path])
}
