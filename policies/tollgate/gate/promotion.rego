# Promotion attestations (stella.ops/promotion@v1): a signed record that the artifact moved from one environment
# to another. It counts only when signed by a trusted signer, bound to the subject, every SBOM/VEX material it
# names re-hashed to its digest, and its Rekor entry proven in a checkpoint signed by a trusted log and bound to
# the statement (the entry's body given, logging a subject's or material's digest; all checked offline by the
# evidence kind). The predicate's log result is facts.transparency (the record's `transparency` is the envelope's).
# Knobs: data.promotion_allowed_paths ([{from, to}]: the only environment moves admitted),
# data.promotion_required_materials (roles that must be present, e.g. ["sbom", "vex"]),
# data.promotion_allow_unbound_rekor (a proof without the entry's body only warned, not denied).
# Presence, when required (data.required_evidence: ["promotion"]), is gate.required-evidence.
package tollgate.gate

import data.tollgate.lib

promotions := lib.evidence_of("promotion")

default promotion_allowed_paths := []

promotion_allowed_paths := data.promotion_allowed_paths

default promotion_required_materials := []

promotion_required_materials := data.promotion_required_materials

promotion_path_ok(_) if count(promotion_allowed_paths) == 0

promotion_path_ok(ev) if {
	some p in promotion_allowed_paths
	p.from == ev.facts.from
	p.to == ev.facts.to
}

promotion_deny contains lib.result_sev(
	"promotion.signature",
	sprintf("promotion attestation signature %s: %s", [ev.signature.status, object.get(ev.signature, "reason", "no signature")]),
	ev.source.path, "critical", "a promotion record counts only when signed: verify it with the promoter's key (--key) or trusted identity",
) if {
	some ev in promotions
	ev.signature.status != "verified"
}

promotion_deny contains lib.result_sev(
	"promotion.signer",
	sprintf("promotion %s → %s by %s is signed by a signer the gate does not trust", [ev.facts.from, ev.facts.to, ev.facts.actor]),
	ev.source.path, "critical", "trust the promoter's key with --key or data.trusted_signers",
) if {
	some ev in promotions
	lib.signature_verified(ev)
	not lib.signed_by_trusted(ev)
}

# The predicate itself is not of its type's shape (no facts could be read).
promotion_deny contains lib.result_sev(
	"promotion.schema",
	sprintf("promotion attestation is malformed: %s", [object.get(ev.integrity, "reason", "no reason recorded")]),
	ev.source.path, "critical", "the predicate must carry materials, promotion{from,to,actor,timestamp,pipeline} and rekor{uuid,logIndex,inclusionProof}",
) if {
	some ev in promotions
	not ev.facts.materials
}

promotion_deny contains lib.result_sev(
	"promotion.material",
	sprintf("promotion %s material %s: %s", [m.role, m.uri, object.get(m, "reason", "not verified")]),
	ev.source.path, "critical", "the SBOM/VEX a promotion names must be the file it was promoted with: supply the original file beside the statement",
) if {
	some ev in promotions
	some m in ev.facts.materials
	not m.verified
}

# The predicate's Rekor result; "absent" when verification did not get that far (the handler's verification
# raised an error: the record's integrity reason names it).
promotion_log(ev) := object.get(ev.facts, "transparency", {"status": "absent", "reason": object.get(ev.integrity, "reason", "the Rekor proof was not verified")})

promotion_deny contains lib.result_sev(
	"promotion.transparency",
	sprintf("promotion Rekor entry %s is not proven in the log: %s", [ev.facts.rekor.uuid, object.get(promotion_log(ev), "reason", promotion_log(ev).status)]),
	ev.source.path, "critical", "the promotion's Rekor inclusion proof must lead to a checkpoint signed by a log of the trusted root (--trusted-root), and its body must be this statement's entry",
) if {
	some ev in promotions
	ev.facts.rekor
	not promotion_log(ev).status in {"verified", "unbound"}
}

# The proof verified but only shows that some entry is in the log: without the entry's body nothing ties it to
# this statement (any real entry's uuid and proof could be pasted in). Denied unless data.promotion_allow_unbound_rekor.
default promotion_allow_unbound_rekor := false

promotion_allow_unbound_rekor := data.promotion_allow_unbound_rekor

promotion_unbound(ev) if {
	ev.facts.rekor
	promotion_log(ev).status == "unbound"
}

promotion_unbound_msg(ev) := sprintf("promotion Rekor entry %s is not bound to this statement: %s", [ev.facts.rekor.uuid, object.get(promotion_log(ev), "reason", "unbound")])

promotion_unbound_fix := "give the entry's body (rekor.body: the base64 `body` Rekor's API returns with the entry), so the gate can check it is the UUID's leaf and logs this promotion's subject or material digest"

promotion_deny contains lib.result_sev("promotion.rekor-unbound", promotion_unbound_msg(ev), ev.source.path, "critical", promotion_unbound_fix) if {
	not promotion_allow_unbound_rekor
	some ev in promotions
	promotion_unbound(ev)
}

promotion_warn contains lib.result_sev("promotion.rekor-unbound", promotion_unbound_msg(ev), ev.source.path, "medium", promotion_unbound_fix) if {
	promotion_allow_unbound_rekor
	some ev in promotions
	promotion_unbound(ev)
}

# Who logged the bound entry (facts.rekor.logged_by: keys, and certificates by their key) is not the promoter's
# business by default: StellaOps logs the SBOM before the promotion is signed, often as another signer. With
# data.promotion_require_trusted_rekor_signer the entry must have been logged by a trusted key (a certificate's
# identity is not verified offline, so a keyless entry does not count).
default promotion_require_trusted_rekor_signer := false

promotion_require_trusted_rekor_signer := data.promotion_require_trusted_rekor_signer

promotion_rekor_signers_text(ev) := concat(", ", [sprintf("%s %s", [s.type, s.fingerprint]) | some s in ev.facts.rekor.logged_by]) if {
	count(ev.facts.rekor.logged_by) > 0
} else := "a signer nobody can name (the entry's body is not given)" if {
	promotion_log(ev).status == "unbound"
} else := "no key the body names"

promotion_deny contains lib.result_sev(
	"promotion.rekor-signer",
	sprintf("promotion Rekor entry %s was logged by %s, not by a trusted key", [ev.facts.rekor.uuid, promotion_rekor_signers_text(ev)]),
	ev.source.path, "high", "log the promoted artifact or its SBOM with a trusted key (--key, data.trusted_signers.keys), or trust the key that logged it",
) if {
	promotion_require_trusted_rekor_signer
	some ev in promotions
	promotion_log(ev).status in {"verified", "unbound"} # an unbound entry's signer is unknown: not trusted
	not promotion_logged_by_trusted(ev)
}

promotion_logged_by_trusted(ev) if {
	some s in object.get(ev.facts.rekor, "logged_by", [])
	s.type == "key"
	lib.trusted_signer(s)
}

promotion_deny contains lib.result_sev(
	"promotion.path",
	sprintf("promotion %s → %s is not an allowed move (%s)", [ev.facts.from, ev.facts.to, concat(", ", [sprintf("%s → %s", [p.from, p.to]) | some p in promotion_allowed_paths])]),
	ev.source.path, "high", "promote only along the paths in data.promotion_allowed_paths",
) if {
	some ev in promotions
	ev.facts.from
	not promotion_path_ok(ev)
}

promotion_deny contains lib.result_sev(
	"promotion.materials-missing",
	sprintf("promotion %s → %s carries no %s material", [ev.facts.from, ev.facts.to, role]),
	ev.source.path, "high", "the promotion must name the documents in data.promotion_required_materials",
) if {
	some ev in promotions
	ev.facts.materials_by_role
	some role in promotion_required_materials
	count(object.get(ev.facts.materials_by_role, role, [])) == 0
}

promotion_deny contains lib.result_sev(
	"promotion.subject",
	sprintf("promotion subjects (%s) do not name subject %s", [lib.subject_digests_text(ev), lib.subject_text]),
	ev.source.path, "critical", "use the promotion record of this artifact's digest",
) if {
	some ev in promotions
	lib.subject_given
	not lib.subject_bound(ev)
}

# The proof shows the entry at its tree-local index; a sharded log's global logIndex beside it (shard offset plus
# that index) is only what the statement says. Warned, or denied with data.promotion_require_proven_log_index.
default promotion_require_proven_log_index := false

promotion_require_proven_log_index := data.promotion_require_proven_log_index

# Whenever the proof itself verified: also for an unbound entry that data.promotion_allow_unbound_rekor admits.
promotion_log_index_unproven(ev) if {
	ev.facts.rekor.log_index_proven == false
	promotion_log(ev).status in {"verified", "unbound"}
}

promotion_log_index_msg(ev) := sprintf(
	"promotion Rekor entry %s: the proof is at tree-local index %d; the stated log index %d is not proven offline",
	[ev.facts.rekor.uuid, ev.facts.rekor.proof_log_index, ev.facts.rekor.log_index],
)

promotion_warn contains lib.result_sev(
	"promotion.log-index", promotion_log_index_msg(ev), ev.source.path, "low",
	"set rekor.logIndex to the index the proof is at, or look the entry up in the log online",
) if {
	not promotion_require_proven_log_index
	some ev in promotions
	promotion_log_index_unproven(ev)
}

promotion_deny contains lib.result_sev(
	"promotion.log-index", promotion_log_index_msg(ev), ev.source.path, "high",
	"set rekor.logIndex to the index the proof is at (data.promotion_require_proven_log_index is on)",
) if {
	promotion_require_proven_log_index
	some ev in promotions
	promotion_log_index_unproven(ev)
}

# The rules above fill promotion_deny and promotion_warn, which join the gate's deny and warn only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	"promotion" in lib.kinds_present
	some r in promotion_deny
}

warn contains r if {
	"promotion" in lib.kinds_present
	some r in promotion_warn
}
