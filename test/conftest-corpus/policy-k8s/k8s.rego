package k8s

deny_privileged contains msg if {
  some c in input.spec.template.spec.containers
  c.securityContext.privileged
  msg := sprintf("container %s is privileged", [c.name])
}

warn contains "k8s: no replicas set" if {
  input.kind == "Deployment"
  not input.spec.replicas
}
