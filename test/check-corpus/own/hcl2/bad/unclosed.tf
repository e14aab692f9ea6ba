resource "a" "b" {
  x = 
