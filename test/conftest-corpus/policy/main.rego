package main

deny contains msg if {
  input.kind == "Deployment"
  not input.spec.template.spec.securityContext.runAsNonRoot
  msg := sprintf("Deployment %s must set runAsNonRoot", [input.metadata.name])
}

deny contains msg if {
  input.kind == "Deployment"
  not input.metadata.labels.app
  msg := "Deployment must have app label"
}

warn_labels contains msg if {
  not input.metadata.labels.team
  print("checking team label on", input.metadata.name)
  msg := sprintf("%s has no team label", [input.metadata.name])
}

violation_image contains {"msg": sprintf("image %s uses latest", [c.image]), "image": c.image} if {
  some c in input.spec.template.spec.containers
  endswith(c.image, ":latest")
}

exception contains rules if {
  input.metadata.name == "legacy"
  rules := ["image"]
}
