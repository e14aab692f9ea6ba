package main

deny contains {"msg": "located failure <&>", "_loc": {"file": "b.json", "line": 3}, "severity": "high"} if {
  input.kind == "Service"
}

warn contains {"msg": "located elsewhere", "_loc": {"file": "other.yaml", "line": 7}} if {
  input.kind == "Service"
}
