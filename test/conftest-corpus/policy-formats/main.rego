package main

# CUE and Jsonnet Deployments: every container needs a pinned image and replicas of at least 3
deny contains msg if {
  input.kind == "Deployment"
  input.spec.replicas < 3
  msg := sprintf("%s: %d replicas, want at least 3", [input.metadata.name, input.spec.replicas])
}

deny contains msg if {
  some c in input.spec.template.spec.containers
  endswith(c.image, ":latest")
  msg := sprintf("%s: image %s is not pinned", [c.name, c.image])
}

# HOCON: conftest's document keeps durations as strings and numbers as float64
deny contains msg if {
  input.app.timeout != "30s"
  msg := sprintf("app.timeout is %v", [input.app.timeout])
}

warn contains msg if {
  input.app.port == 8080
  msg := "app listens on the default port 8080"
}
