package main

deny[msg] {
  input.kind == "Deployment"
  not input.spec.replicas
  msg = sprintf("%s: replicas not set (v0)", [input.metadata.name])
}

warn[msg] {
  input.kind == "Service"
  msg = "v0 warn for service"
}
