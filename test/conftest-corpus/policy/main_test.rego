package main

test_web_denied if {
  count(deny) > 0 with input as {"kind": "Deployment", "metadata": {"name": "web"}}
}

test_service_passes if {
  count(deny) == 0 with input as {"kind": "Service", "metadata": {"name": "svc"}}
}

test_fails_on_purpose if {
  count(deny) == 5 with input as {"kind": "Service"}
}

todo_test_later if {
  false
}
