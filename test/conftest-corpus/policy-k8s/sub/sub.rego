package k8s.sub

violation contains {"msg": "sub: service without selector", "kind": input.kind} if {
  input.kind == "Service"
  not input.spec.selector
}

deny_missing_name contains msg if {
  not input.metadata.name
  msg := "sub: metadata.name is required"
}
