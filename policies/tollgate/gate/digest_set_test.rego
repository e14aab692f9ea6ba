package tollgate.gate_test

import data.tollgate.gate
import data.tollgate.lib

# Subjects are in-toto DigestSets: sha256/sha384/sha512 bind, other algorithms never do, and a subject that
# matches one strong digest while contradicting another binds nothing.

s512 := concat("", [x | some _ in numbers.range(1, 64); x := "5a"])

s512_other := concat("", [x | some _ in numbers.range(1, 64); x := "5b"])

s384 := concat("", [x | some _ in numbers.range(1, 48); x := "38"])

with_subjects(subjects) := object.union(prov, {"statement": object.union(prov.statement, {"subject": subjects})})

# The context subject replaced (object.union would merge the digest sets).
with_ctx_digest(evidence, digest) := object.union(json.remove(inp(evidence), ["context/subject"]), {"context": {"subject": {"digest": digest}}})

test_sha512_only_subject_binds_a_sha512_only_statement if {
	ev := with_subjects([{"name": "pkg:npm/sigstore@1.0.0", "digest": {"sha512": s512}}])
	d := gate.decision with input as with_ctx_digest([ev], {"sha256": sub, "sha512": s512})
	d.allow
}

test_sha384_binds if {
	ev := with_subjects([{"digest": {"sha384": s384}}])
	d := gate.decision with input as with_ctx_digest([ev], {"sha384": s384})
	d.allow
}

test_sha512_mismatch_denies_naming_both if {
	ev := with_subjects([{"digest": {"sha512": s512_other}}])
	d := gate.decision with input as with_ctx_digest([ev], {"sha256": sub, "sha512": s512})
	not d.allow
	some r in d.deny
	r.rule == "I1.subject-digest"
	contains(r.msg, sprintf("sha512:%s", [s512_other]))
	contains(r.msg, sprintf("sha512:%s", [s512]))
}

test_sha256_match_with_contradicting_sha512_denies if {
	ev := with_subjects([{"digest": {"sha256": sub, "sha512": s512_other}}])
	d := gate.decision with input as with_ctx_digest([ev], {"sha256": sub, "sha512": s512})
	not d.allow
	some r in d.deny
	r.rule == "I1.subject-digest"
	contains(r.msg, "contradicts")
}

test_contradicting_entry_taints_a_matching_one if {
	ev := with_subjects([{"digest": {"sha256": sub}}, {"digest": {"sha256": sub, "sha512": s512_other}}])
	d := gate.decision with input as with_ctx_digest([ev], {"sha256": sub, "sha512": s512})
	not d.allow
	lib.subject_contradicted(ev) with input as with_ctx_digest([ev], {"sha256": sub, "sha512": s512})
}

test_agreeing_sha256_and_sha512_bind if {
	ev := with_subjects([{"digest": {"sha256": sub, "sha512": s512}}])
	d := gate.decision with input as with_ctx_digest([ev], {"sha256": sub, "sha512": s512})
	d.allow
}

test_opaque_algorithms_never_bind if {
	ev := with_subjects([{"digest": {"gitCommit": sub, "gce_image_id": "1234"}}])
	d := gate.decision with input as with_ctx_digest([ev], {"sha256": sub})
	not d.allow
	"I1.subject-digest" in rules(d.deny)
}

test_opaque_entries_beside_a_strong_match_are_facts_only if {
	ev := with_subjects([{"digest": {"sha256": sub, "gitCommit": "0000000000000000000000000000000000000000"}}])
	d := gate.decision with input as with_ctx_digest([ev], {"sha256": sub})
	d.allow
}

test_no_algorithm_in_common_denies_and_says_so if {
	ev := with_subjects([{"digest": {"sha512": s512}}])
	d := gate.decision with input as with_ctx_digest([ev], {"sha256": sub})
	not d.allow
	some r in d.deny
	r.rule == "I1.subject-digest"
	contains(r.msg, "no algorithm in common")
}

test_subject_given_by_sha512_only if {
	lib.subject_given with input as with_ctx_digest([], {"sha512": s512})
	not lib.subject_given with input as with_ctx_digest([], {"gitCommit": "abc"})
	d := gate.decision with input as with_ctx_digest([], {"gitCommit": "abc"})
	"gate.subject" in rules(d.deny)
}

# A message signature has no statement: its own subject list binds the same way.
test_message_signature_subject_binds if {
	sig := {"kind": "artifact-signature", "subject": [{"digest": {"sha256": sub}}]}
	lib.subject_bound(sig) with input as inp([])
	other := {"kind": "artifact-signature", "subject": [{"digest": {"sha256": s512_other}}]}
	not lib.subject_bound(other) with input as inp([])
}
