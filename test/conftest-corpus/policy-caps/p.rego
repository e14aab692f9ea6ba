package main

deny contains msg if {
  msg := sprintf("upper: %s", [upper(input.kind)])
}
