package tollgate.admission_test

import data.tollgate.admission

good := "registry.example/acme/api@sha256:4fadfddc8647253e1e7aa1d3f467b7ab3b28ab9a9a627f6cc9da0f426d4e4c58"

review(kind, object) := {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
	"uid": "u1", "operation": "CREATE", "kind": {"group": "apps", "version": "v1", "kind": kind}, "object": object,
}}

deployment(images) := {"spec": {"template": {"spec": {"containers": [{"name": sprintf("c%d", [i]), "image": img} | some i, img in images]}}}}

rules(set) := {r.rule | some r in set}

test_admits_admitted_digest if {
	d := admission.decision with input as review("Deployment", deployment([good]))
		with data.admitted_digests as ["sha256:4fadfddc8647253e1e7aa1d3f467b7ab3b28ab9a9a627f6cc9da0f426d4e4c58"]
	d.allow
}

test_denies_tag if {
	d := admission.decision with input as review("Deployment", deployment(["nginx:latest"])) with data.admitted_digests as []
	rules(d.deny) == {"I4.image-digest"}
}

test_denies_digest_not_admitted if {
	d := admission.decision with input as review("Pod", {"spec": {"containers": [{"name": "api", "image": good}]}}) with data.admitted_digests as ["sha256:00"]
	some r in d.deny
	r.rule == "I4.image-admitted"
	contains(r.msg, "container api")
}

test_fails_closed_without_admitted_list if {
	d := admission.decision with input as review("Deployment", deployment([good]))
	rules(d.deny) == {"I4.admitted-digests"}
}

test_init_containers_and_cronjobs_checked if {
	cj := {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": "busybox"}], "containers": [{"name": "c", "image": good}]}}}}}}
	d := admission.decision with input as review("CronJob", cj) with data.admitted_digests as ["sha256:4fadfddc8647253e1e7aa1d3f467b7ab3b28ab9a9a627f6cc9da0f426d4e4c58"]
	rules(d.deny) == {"I4.image-digest"}
}

test_non_workloads_pass_with_a_warning if {
	d := admission.decision with input as review("ConfigMap", {"data": {}})
	d.allow
	rules(d.warn) == {"I4.admission-scope"}
}
