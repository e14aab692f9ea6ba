package main

deny contains msg if {
  semver.compare(input.version, "2.0.0") < 0
  msg := sprintf("version %s is older than 2.0.0", [input.version])
}

deny contains msg if {
  units.parse_bytes(input.memory) > units.parse_bytes("1Gi")
  msg := sprintf("memory %s exceeds 1Gi", [input.memory])
}

deny contains msg if {
  not net.cidr_contains("10.0.0.0/8", input.ip)
  msg := sprintf("%s is outside 10.0.0.0/8", [input.ip])
}

deny contains msg if {
  [_, payload, _] := io.jwt.decode(input.token)
  payload.sub != "alice"
  msg := sprintf("token subject %s is not alice", [payload.sub])
}

deny contains msg if {
  regex.replace(input.name, "[0-9]+", "#") != "svc-#"
  msg := sprintf("name %s does not look like svc-N", [input.name])
}

deny contains msg if {
  count(regex.find_n("[a-z]", input.name, -1)) > 3
  msg := sprintf("too many letters: %v", [regex.find_n("[a-z]", input.name, 2)])
}

deny contains msg if {
  time.parse_rfc3339_ns(input.expires) < time.parse_rfc3339_ns("2020-01-01T00:00:00Z")
  msg := sprintf("expired at %s (%v)", [input.expires, time.date(time.parse_rfc3339_ns(input.expires))])
}

deny contains msg if {
  d := time.parse_duration_ns(input.timeout)
  d > 60000000000
  msg := sprintf("timeout %s is over a minute", [input.timeout])
}

warn contains msg if {
  crypto.sha256(input.name) != "0"
  msg := sprintf("sha256(name) = %s, hex = %s", [crypto.sha256(input.name), hex.encode(input.name)])
}

warn contains msg if {
  strings.count(input.name, "-") > 0
  msg := sprintf("name has %d dashes; any prefix svc: %v", [strings.count(input.name, "-"), strings.any_prefix_match(input.name, ["svc", "x"])])
}
