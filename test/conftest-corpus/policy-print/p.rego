package main

deny contains msg if {
  print("input kind:", input.kind, "missing:", input.nope)
  print()
  print("sets:", {"b", "a"}, {"k": {2, 1}})
  some x in ["a", "b"]
  print("x is", x)
  msg := sprintf("print %s", [x])
}
