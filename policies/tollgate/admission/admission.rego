# I4 at admission time (POST /v1/admission): a workload runs only images pinned by digest, and only digests
# the gate admitted. The release gate (tollgate eval, /v1/gate) decides per digest; the digests it admitted are
# handed to the admission gate as data.admitted_digests (["sha256:<hex>", ...]). Deny-by-default: without that
# list, nothing is admitted.
package tollgate.admission

import data.tollgate.lib

default admitted_digests := null

admitted_digests := {d | some d in data.admitted_digests} if data.admitted_digests

kind := input.request.kind.kind

pod_spec := input.request.object.spec if kind == "Pod"

pod_spec := input.request.object.spec.template.spec if kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}

pod_spec := input.request.object.spec.jobTemplate.spec.template.spec if kind == "CronJob"

containers contains c if {
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some c in object.get(pod_spec, field, [])
}

# "registry/repo@sha256:<64 hex>" (a tag before the digest is allowed and ignored, as the runtime ignores it).
image_digest(image) := d if {
	parts := split(image, "@")
	count(parts) == 2
	regex.match(`^sha256:[0-9a-f]{64}$`, parts[1])
	d := parts[1]
}

deny contains lib.result_sev(
	"I4.image-digest",
	sprintf("container %s runs image %s by tag, not by digest", [c.name, c.image]),
	null, "high", "deploy the image as repo@sha256:<digest>, the digest the release gate admitted",
) if {
	some c in containers
	not image_digest(c.image)
}

deny contains lib.result_sev(
	"I4.image-admitted",
	sprintf("container %s image %s was not admitted by the release gate", [c.name, c.image]),
	null, "critical", "run tollgate eval on the image's evidence and add its digest to data.admitted_digests",
) if {
	admitted_digests != null
	some c in containers
	d := image_digest(c.image)
	not d in admitted_digests
}

deny contains lib.result_sev(
	"I4.admitted-digests",
	"no admitted digests configured (data.admitted_digests): nothing can be admitted",
	null, "critical", "publish the digests the release gate admitted as data.admitted_digests",
) if {
	admitted_digests == null
	count(containers) > 0
}

warn contains lib.result_sev(
	"I4.admission-scope",
	sprintf("%s has no pod template; nothing to check", [kind]),
	null, "info", "scope the webhook to workloads",
) if {
	input.request.operation in {"CREATE", "UPDATE"}
	not pod_spec
}

default allow := false

allow if count(deny) == 0

decision := {"allow": allow, "deny": deny, "warn": warn}
