package main

deny contains msg if {
  not endswith(data.conftest.file.name, ".yaml")
  msg := sprintf("%s is not a .yaml file", [data.conftest.file.name])
}
