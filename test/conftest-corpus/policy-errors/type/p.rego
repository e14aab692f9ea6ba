package main

deny contains msg if {
  x := 1 + "a"
  msg := sprintf("%v", [x])
}
