package tollgate.gate_test

import data.tollgate.gate

tee_t_meas := "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01"

tee_t_subject := "1d1ea25c371d4f6de8d6e3c26fdad22381d1ea25c371d4f6de8d6e3c26fdad22"

tee_t_hw := {
	"platform": "sev-snp", "status": "verified", "measurement": tee_t_meas, "reportData": "00",
	"root": "amd-milan", "debug": false, "vmpl": 0, "signer": "vcek", "product": "milan",
	"tcb": {"reported": {"raw": "7308000000000003", "bootloader": 3, "tee": 0, "snp": 8, "microcode": 115}},
}

# A SEV-SNP tee-report as the sev-snp kind normalizes it.
tee_t_snp(over) := object.union(
	{
		"id": "tee-report:sha256:a", "kind": "tee-report",
		"source": {"path": "vm/report.bin", "digest": {"sha256": "a"}, "format": "sev-snp-report-v3"},
		"signature": {"status": "verified", "signers": [{"type": "hardware", "platform": "sev-snp", "measurement": tee_t_meas, "root": "amd-milan"}]},
		"transparency": {"status": "absent"},
		"integrity": {"status": "verified"},
		"hardware": tee_t_hw,
		"checks": [],
		"facts": {"platform": "sev-snp"},
	},
	over,
)

# A Kettle build as the kettle kind normalizes it: hardware-signed SLSA v1 provenance bound to the subject.
tee_t_kettle(over) := object.union(
	{
		"id": "slsa-provenance:kettle:sha256:b", "kind": "slsa-provenance",
		"source": {"path": "build/provenance.json", "digest": {"sha256": "b"}, "format": "kettle-evidence-snp"},
		"signature": {"status": "verified", "signers": [{"type": "hardware", "platform": "sev-snp", "measurement": tee_t_meas, "root": "amd-milan"}]},
		"transparency": {"status": "absent"},
		"integrity": {"status": "verified"},
		"hardware": tee_t_hw,
		"checks": [
			{"name": "binding.provenance_sha256", "ok": true},
			{"name": "integrity.artifacts", "ok": true},
		],
		"statement": {
			"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
			"subject": [{"name": "app", "digest": {"sha256": tee_t_subject}}],
		},
		"facts": {
			"predicate_version": "v1", "build_type": "https://lunal.dev/kettle/cargo@v1", "known_build_type": true,
			"builder_id": "https://lunal.dev/kettle-tee/v1", "custom_metadata": {"vendor_fields": [], "violations": []},
			"kettle": {"platform": "snp", "buildType": "https://lunal.dev/kettle/cargo@v1", "builderId": "https://lunal.dev/kettle-tee/v1", "artifacts": [{"name": "app", "sha256": tee_t_subject, "subject": true}]},
		},
	},
	over,
)

tee_t_input(evs) := {"context": {"time": "2026-06-01T12:00:00Z", "subject": {"digest": {"sha256": tee_t_subject}}}, "evidence": evs, "errors": []}

tee_t_rules(results) := {r.rule | some r in results; startswith(r.rule, "tee.")}

tee_t_msgs(results, rule) := {r.msg | some r in results; r.rule == rule}

test_tee_verified_snp_report_only_warns_when_unpinned if {
	inp := tee_t_input([tee_t_snp({})])
	tee_t_rules(gate.deny) == set() with input as inp
	tee_t_msgs(gate.warn, "tee.measurement-unpinned") == {sprintf("sev-snp launch measurement %s is not pinned: any guest image with valid hardware evidence is accepted", [tee_t_meas])} with input as inp
}

test_tee_pinned_measurement_admits_without_warning if {
	inp := tee_t_input([tee_t_snp({})])
	tee_t_rules(gate.deny) == set() with input as inp with data.tee_measurements as {"sev-snp": [upper(tee_t_meas)]}
	tee_t_rules(gate.warn) == set() with input as inp with data.tee_measurements as {"sev-snp": [tee_t_meas]}
}

test_tee_unpinned_measurement_denied_when_pins_exist if {
	inp := tee_t_input([tee_t_snp({})])
	tee_t_msgs(gate.deny, "tee.measurement") == {sprintf("sev-snp launch measurement %s is not one of the 1 pinned measurement(s)", [tee_t_meas])} with input as inp with data.tee_measurements as {"sev-snp": ["00"]}
}

test_tee_failed_hardware_denied_with_reason if {
	hw := object.union(tee_t_hw, {"status": "failed", "reason": "hardware.report_signature: ECDSA P-384/SHA-384 signature over bytes 0x000-0x29F does not verify"})
	inp := tee_t_input([tee_t_snp({"hardware": hw})])
	tee_t_msgs(gate.deny, "tee.verified") == {"sev-snp hardware evidence does not verify: hardware.report_signature: ECDSA P-384/SHA-384 signature over bytes 0x000-0x29F does not verify"} with input as inp
	not "tee.measurement-unpinned" in tee_t_rules(gate.warn) with input as inp
}

test_tee_debug_denied_unless_allowed if {
	inp := tee_t_input([tee_t_snp({"hardware": object.union(tee_t_hw, {"debug": true})})])
	tee_t_msgs(gate.deny, "tee.debug") == {"sev-snp guest policy allows debugging: the host can read and change its memory"} with input as inp
	not "tee.debug" in tee_t_rules(gate.deny) with input as inp with data.tee_allow_debug as true
}

test_tee_min_tcb if {
	inp := tee_t_input([tee_t_snp({})])
	tee_t_msgs(gate.deny, "tee.min-tcb") == {"sev-snp REPORTED_TCB is below data.tee_min_tcb: snp 8 < 10, microcode 115 < 200"} with input as inp with data.tee_min_tcb as {"bootloader": 3, "tee": 0, "snp": 10, "microcode": 200}
	not "tee.min-tcb" in tee_t_rules(gate.deny) with input as inp with data.tee_min_tcb as {"bootloader": 3, "snp": 8, "microcode": 115}

	# fmc is only compared where the report has it (Turin)
	not "tee.min-tcb" in tee_t_rules(gate.deny) with input as inp with data.tee_min_tcb as {"fmc": 1}
}

test_tee_min_tcb_turin_fmc if {
	turin := object.union(tee_t_hw, {"tcb": {"reported": {"fmc": 0, "bootloader": 9, "tee": 0, "snp": 21, "microcode": 72}}})
	inp := tee_t_input([tee_t_snp({"hardware": turin})])
	tee_t_msgs(gate.deny, "tee.min-tcb") == {"sev-snp REPORTED_TCB is below data.tee_min_tcb: fmc 0 < 1"} with input as inp with data.tee_min_tcb as {"fmc": 1}
}

test_tee_platform_allow_list_covers_every_platform if {
	tdx := {"id": "t", "kind": "tee-report", "source": {"path": "td/quote.dat"}, "hardware": {"platform": "tdx", "status": "verified"}, "checks": [], "facts": {}}
	inp := tee_t_input([tee_t_snp({}), tdx])
	tee_t_msgs(gate.deny, "tee.platform") == {"hardware platform tdx is not one of the allowed platforms [az-snp, sev-snp]"} with input as inp with data.tee_allowed_platforms as ["sev-snp", "az-snp"]
	not "tee.platform" in tee_t_rules(gate.deny) with input as inp
}

test_tee_vmpl_only_when_configured if {
	inp := tee_t_input([tee_t_snp({"hardware": object.union(tee_t_hw, {"vmpl": 2})})])
	tee_t_msgs(gate.deny, "tee.vmpl") == {"SEV-SNP report was requested at VMPL 2; data.tee_max_vmpl is 0"} with input as inp with data.tee_max_vmpl as 0
	not "tee.vmpl" in tee_t_rules(gate.deny) with input as inp
}

test_tee_tdx_reports_are_left_to_tee_platforms if {
	tdx := {"id": "t", "kind": "tee-report", "source": {"path": "td/quote.dat"}, "hardware": {"platform": "tdx", "status": "failed", "reason": "x", "debug": true}, "checks": [], "facts": {}}
	rules := tee_t_rules(gate.deny) with input as tee_t_input([tdx])
	not "tee.verified" in rules
	not "tee.debug" in rules
}

# The default gate admits a Kettle build whose hardware verified, whose binding held and whose artifact is the subject.
test_tee_kettle_build_admitted_by_default_gate if {
	inp := tee_t_input([tee_t_kettle({})])
	gate.decision.allow with input as inp
	tee_t_rules(gate.warn) == {"tee.measurement-unpinned"} with input as inp
}

test_tee_kettle_build_for_another_subject_denied if {
	inp := object.union(tee_t_input([tee_t_kettle({})]), {"context": {"subject": {"digest": {"sha256": "ff"}}}})
	not gate.decision.allow with input as inp
}

test_tee_kettle_binding_failure_denied if {
	reason := "REPORT_DATA[0..32] aa is not sha256 of the compactly re-serialized provenance bb"
	ev := tee_t_kettle({
		"signature": {"status": "failed", "reason": sprintf("binding.provenance_sha256: %s", [reason]), "code": "binding_failed", "signers": []},
		"checks": [{"name": "binding.provenance_sha256", "ok": false, "code": "binding_failed", "reason": reason}],
	})
	inp := tee_t_input([ev])
	tee_t_msgs(gate.deny, "tee.kettle.binding") == {sprintf("Kettle build's hardware evidence does not bind its provenance: %s", [reason])} with input as inp
	not gate.decision.allow with input as inp
}

test_tee_kettle_artifact_mismatch_denied if {
	reason := "artifacts/app sha256 11 is not its subject digest 22"
	ev := tee_t_kettle({
		"integrity": {"status": "failed", "reason": reason},
		"checks": [{"name": "binding.provenance_sha256", "ok": true}, {"name": "integrity.artifacts", "ok": false, "code": "subject_mismatch", "reason": reason}],
	})
	inp := tee_t_input([ev])
	tee_t_msgs(gate.deny, "tee.kettle.artifacts") == {sprintf("Kettle build artifacts do not match the provenance subjects: %s", [reason])} with input as inp
	not gate.decision.allow with input as inp
}

test_tee_kettle_manifest_mismatch_denied if {
	reason := "build/manifest.json: git_commit 00 is not the provenance's 11 (externalParameters.source.digest.gitCommit)"
	ev := tee_t_kettle({
		"integrity": {"status": "failed", "reason": reason},
		"checks": [{"name": "binding.provenance_sha256", "ok": true}, {"name": "integrity.manifest", "ok": false, "code": "subject_mismatch", "reason": reason}],
	})
	inp := tee_t_input([ev])
	tee_t_msgs(gate.deny, "tee.kettle.manifest") == {sprintf("Kettle build's manifest.json disagrees with its provenance: %s", [reason])} with input as inp
	not gate.decision.allow with input as inp
}

test_tee_kettle_unchecked_artifacts_admitted if {
	ev := tee_t_kettle({"checks": [
		{"name": "binding.provenance_sha256", "ok": true},
		{"name": "integrity.artifacts", "ok": true, "detail": {"status": "unchecked", "why": "not checked: no files under build/artifacts/"}},
	]})
	gate.decision.allow with input as tee_t_input([ev])
}

test_tee_kettle_hardware_failure_denied if {
	hw := object.union(tee_t_hw, {"status": "failed", "reason": "hardware.vcek_chain: RSA-PSS SHA-384 signature on SEV-VCEK by SEV-Milan does not verify"})
	ev := tee_t_kettle({"hardware": hw, "signature": {"status": "failed", "reason": "hardware.vcek_chain: …", "signers": []}})
	inp := tee_t_input([ev])
	"tee.verified" in tee_t_rules(gate.deny) with input as inp
	not gate.decision.allow with input as inp
}

test_tee_kettle_on_tdx_debug_denied if {
	hw := {"platform": "tdx", "status": "verified", "measurement": "5a", "root": "intel-sgx-root", "debug": true, "tcb": {"status": "unchecked"}}
	inp := tee_t_input([tee_t_kettle({"hardware": hw})])

	# judged by tee_platforms.rego's TDX rules, once
	tee_t_msgs(gate.deny, "tee.tdx.debug") == {"TDX quote is from a debuggable TD (TDATTRIBUTES.DEBUG set): the host can read and change its memory"} with input as inp
	not "tee.debug" in tee_t_rules(gate.deny) with input as inp
	not "tee.min-tcb" in tee_t_rules(gate.deny) with input as inp with data.tee_min_tcb as {"snp": 99}
}

test_tee_revocation_required_on_request if {
	pinned := {"sev-snp": [tee_t_meas]}
	not "tee.revocation-unchecked" in tee_t_rules(gate.deny) with input as tee_t_input([tee_t_snp({})]) with data.tee_measurements as pinned
	tee_t_msgs(gate.deny, "tee.revocation-unchecked") == {"sev-snp chain revocation is unchecked: no AMD CRL signed by the ARK was supplied"} with input as tee_t_input([tee_t_snp({"hardware": {"revocation": "unchecked"}})]) with data.tee_measurements as pinned with data.tee_require_revocation_checked as true
	"tee.revocation-unchecked" in tee_t_rules(gate.deny) with input as tee_t_input([tee_t_snp({})]) with data.tee_measurements as pinned with data.tee_require_revocation_checked as true
	not "tee.revocation-unchecked" in tee_t_rules(gate.deny) with input as tee_t_input([tee_t_snp({"hardware": {"revocation": "checked"}})]) with data.tee_measurements as pinned with data.tee_require_revocation_checked as true
	not "tee.revocation-unchecked" in tee_t_rules(gate.deny) with input as tee_t_input([tee_t_snp({"hardware": {"revocation": "unchecked"}})]) with data.tee_measurements as pinned with data.tee_require_revocation_checked as "yes"
}
