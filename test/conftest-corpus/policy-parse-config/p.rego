# Unit tests that read configurations through conftest's own built-ins (conftest verify ↔ tollgate policy-test).
package main

import rego.v1

deny contains msg if {
	input.kind == "Pod"
	not input.spec.securityContext.runAsNonRoot
	msg := sprintf("pod %s runs as root", [input.metadata.name])
}

deny contains msg if {
	some name, blocks in input.resource.aws_s3_bucket
	some r in blocks
	r.acl == "public-read"
	msg := sprintf("bucket %s is public", [name])
}

test_pod_from_yaml_text if {
	cfg := parse_config("yaml", "kind: Pod\nmetadata:\n  name: web\n")
	deny["pod web runs as root"] with input as cfg
}

test_pod_from_json_text_passes if {
	cfg := parse_config("json", `{"kind": "Pod", "metadata": {"name": "ok"}, "spec": {"securityContext": {"runAsNonRoot": true}}}`)
	count(deny) == 0 with input as cfg
}

test_terraform_text if {
	cfg := parse_config("hcl2", "resource \"aws_s3_bucket\" \"logs\" {\n  acl = \"public-read\"\n}\n")
	deny["bucket logs is public"] with input as cfg
}

test_toml_text if {
	cfg := parse_config("toml", "[server]\nport = 8080\n")
	cfg.server.port == 8080
}

test_file_relative_to_the_policy if {
	cfg := parse_config_file("configs/pod.yaml")
	deny["pod api runs as root"] with input as cfg
}

test_combined_files if {
	all := parse_combined_config_files(["configs/pod.yaml", "configs/service.json"])
	kinds := {k | some e in all; k := e.contents.kind}
	kinds == {"Pod", "Service"}
}

test_expects_the_wrong_message if {
	cfg := parse_config("yaml", "kind: Pod\nmetadata:\n  name: db\n")
	deny["pod web runs as root"] with input as cfg
}

test_unparsable_text_fails if {
	parse_config("yaml", "a: [")
}

test_missing_file_fails if {
	parse_config_file("configs/nosuch.yaml")
}

todo_test_ini_later if {
	parse_config("ini", "[a]\nb = c\n")
}
