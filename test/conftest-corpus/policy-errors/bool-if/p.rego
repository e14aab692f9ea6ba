package main

deny if {
  input.kind == "Deployment"
}
