package main

import data.unused

deny contains msg if {
  x := input.kind
  msg := "always"
}
