region = "us-east-1"
instance_count = 3
enabled = true
tags = { a = "b" }
