package tollgate.gate_test

import data.tollgate.gate

tp_mrtd := "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"

tp_pcr0 := "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0"

tp_zero := "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"

# A TDX tee-report as the tdx-quote kind normalizes it (verified, debug off, TCB unchecked).
tp_tdx(over) := object.union(
	{
		"id": "tee-report:sha256:1", "kind": "tee-report",
		"source": {"path": "td/quote.dat", "digest": {"sha256": "1"}, "format": "tdx-quote-v4"},
		"signature": {"status": "verified", "signers": [{"type": "hardware", "platform": "tdx", "measurement": tp_mrtd, "root": "intel-sgx-root"}]},
		"transparency": {"status": "absent"},
		"integrity": {"status": "verified"},
		"hardware": {
			"platform": "tdx", "status": "verified", "measurement": tp_mrtd, "reportData": "77",
			"root": "intel-sgx-root", "debug": false, "tdAttributes": "0000000000000000",
			"tcb": {
				"status": "unchecked", "reason": "no TCB info / QE identity collateral supplied; TCB status not evaluated",
				"teeTcbSvn": "03000400000000000000000000000000", "teeTcbSvnComponents": [3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
				"pckPceSvn": 11,
			},
		},
		"checks": [],
		"facts": {"platform": "tdx"},
	},
	over,
)

tp_nitro(over) := object.union(
	{
		"id": "tee-report:sha256:2", "kind": "tee-report",
		"source": {"path": "enclave/attestation.bin", "digest": {"sha256": "2"}, "format": "nitro-cose-sign1"},
		"signature": {"status": "verified", "signers": [{"type": "hardware", "platform": "nitro", "measurement": tp_pcr0, "root": "aws-nitro-g1"}]},
		"transparency": {"status": "absent"},
		"integrity": {"status": "verified"},
		"hardware": {
			"platform": "nitro", "status": "verified", "measurement": tp_pcr0, "root": "aws-nitro-g1",
			"timestamp": 1780315200000, "time": "2026-06-01T12:00:00.000Z", "ageSeconds": 300,
			"pcrs": {"0": tp_pcr0, "1": tp_zero, "2": tp_zero, "4": "44"},
		},
		"checks": [],
		"facts": {"platform": "nitro"},
	},
	over,
)

tp_input(evs) := {"context": {"time": "2026-06-01T12:05:00Z", "subject": {"digest": {"sha256": "00"}}}, "evidence": evs, "errors": []}

tp_rules(results) := {r.rule | some r in results; regex.match(`^tee\.(tdx|nitro)\.`, r.rule)}

tp_msgs(results, rule) := [r.msg | some r in results; r.rule == rule]

# ---- TDX ----

test_tp_tdx_pinned_verified_admits_with_tcb_warning if {
	inp := tp_input([tp_tdx({})])
	tp_rules(gate.deny) == set() with input as inp with data.tdx_mrtd as [tp_mrtd]
	tp_rules(gate.warn) == {"tee.tdx.tcb-unchecked"} with input as inp with data.tdx_mrtd as [tp_mrtd]
}

test_tp_tdx_failed_verification_denies_with_reason if {
	ev := tp_tdx({"hardware": {"status": "failed", "reason": "hardware.tdx_pck_chain: PCK chain: chain root is not the pinned root intel-sgx-root"}})
	ds := gate.deny with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd]
	"tee.tdx.verified" in tp_rules(ds)
	some m in tp_msgs(ds, "tee.tdx.verified")
	contains(m, "not the pinned root intel-sgx-root")
}

test_tp_tdx_debug_denies_unless_allowed if {
	ev := tp_tdx({"hardware": {"debug": true}})
	"tee.tdx.debug" in tp_rules(gate.deny) with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd]
	not "tee.tdx.debug" in tp_rules(gate.deny) with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd] with data.tdx_allow_debug as true
	not "tee.tdx.debug" in tp_rules(gate.deny) with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd] with data.tee_allow_debug as true

	# The platform-specific key wins over the shared one.
	"tee.tdx.debug" in tp_rules(gate.deny) with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd] with data.tee_allow_debug as true with data.tdx_allow_debug as false
}

test_tp_tdx_mrtd_mismatch_denies if {
	ds := gate.deny with input as tp_input([tp_tdx({})]) with data.tdx_mrtd as ["ab"]
	"tee.tdx.mrtd" in tp_rules(ds)
	some m in tp_msgs(ds, "tee.tdx.mrtd")
	contains(m, tp_mrtd)
}

test_tp_tdx_mrtd_pins_are_case_insensitive_and_read_tee_measurements if {
	not "tee.tdx.mrtd" in tp_rules(gate.deny) with input as tp_input([tp_tdx({})]) with data.tdx_mrtd as [upper(tp_mrtd)]
	not "tee.tdx.mrtd" in tp_rules(gate.deny) with input as tp_input([tp_tdx({})]) with data.tee_measurements as {"tdx": [tp_mrtd]}
	"tee.tdx.mrtd" in tp_rules(gate.deny) with input as tp_input([tp_tdx({})]) with data.tee_measurements as {"tdx": ["cd"]}
}

test_tp_tdx_unpinned_warns if {
	ws := gate.warn with input as tp_input([tp_tdx({})])
	"tee.tdx.mrtd-unpinned" in tp_rules(ws)
	not "tee.tdx.mrtd" in tp_rules(gate.deny) with input as tp_input([tp_tdx({})])
}

test_tp_tdx_required_tcb_denies_while_unchecked if {
	"tee.tdx.tcb-unchecked" in tp_rules(gate.deny) with input as tp_input([tp_tdx({})]) with data.tdx_mrtd as [tp_mrtd] with data.tdx_require_tcb_checked as true
	not "tee.tdx.tcb-unchecked" in tp_rules(gate.warn) with input as tp_input([tp_tdx({})]) with data.tdx_mrtd as [tp_mrtd] with data.tdx_require_tcb_checked as true
}

tp_evaluated(status, platform, qe, module, advisories) := {"hardware": {"tcb": {
	"status": status, "platformStatus": platform, "qeStatus": qe, "moduleStatus": module,
	"advisoryIds": advisories, "evaluated": true,
}}}

test_tp_tdx_evaluated_tcb_status_up_to_date_admits if {
	ev := tp_tdx(tp_evaluated("UpToDate", "UpToDate", "UpToDate", "UpToDate", []))
	tp_rules(gate.deny) == set() with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd]

	# An evaluated TCB is not "unchecked".
	tp_rules(gate.warn) == set() with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd]
	not "tee.tdx.tcb-unchecked" in tp_rules(gate.deny) with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd] with data.tdx_require_tcb_checked as true
}

test_tp_tdx_evaluated_tcb_status_out_of_date_denies_with_advisories if {
	ev := tp_tdx(tp_evaluated("OutOfDate", "UpToDate", "UpToDate", "OutOfDate", ["INTEL-SA-01111"]))
	tp_msgs(gate.deny, "tee.tdx.tcb-status") == ["TDX TCB status is OutOfDate (platform UpToDate, QE UpToDate, TDX module OutOfDate), not one of [UpToDate]; advisories INTEL-SA-01111"] with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd]
	not "tee.tdx.tcb-status" in tp_rules(gate.deny) with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd] with data.tdx_allowed_tcb_statuses as ["UpToDate", "OutOfDate"]
}

test_tp_tdx_sept_ve_disable_required_on_request if {
	not "tee.tdx.sept-ve-disable" in tp_rules(gate.deny) with input as tp_input([tp_tdx({})]) with data.tdx_mrtd as [tp_mrtd]
	"tee.tdx.sept-ve-disable" in tp_rules(gate.deny) with input as tp_input([tp_tdx({})]) with data.tdx_mrtd as [tp_mrtd] with data.tdx_require_sept_ve_disable as true
	not "tee.tdx.sept-ve-disable" in tp_rules(gate.deny) with input as tp_input([tp_tdx({"hardware": {"septVeDisable": true}})]) with data.tdx_mrtd as [tp_mrtd] with data.tdx_require_sept_ve_disable as true
}

test_tp_tdx_revocation_required_on_request if {
	not "tee.tdx.revocation-unchecked" in tp_rules(gate.deny) with input as tp_input([tp_tdx({})]) with data.tdx_mrtd as [tp_mrtd]
	"tee.tdx.revocation-unchecked" in tp_rules(gate.deny) with input as tp_input([tp_tdx({"hardware": {"revocation": "unchecked"}})]) with data.tdx_mrtd as [tp_mrtd] with data.tdx_require_revocation_checked as true
	not "tee.tdx.revocation-unchecked" in tp_rules(gate.deny) with input as tp_input([tp_tdx({"hardware": {"revocation": "checked"}})]) with data.tdx_mrtd as [tp_mrtd] with data.tdx_require_revocation_checked as true
}

test_tp_tdx_minimum_tee_tcb_svn if {
	inp := tp_input([tp_tdx({})])
	not "tee.tdx.tcb-svn" in tp_rules(gate.deny) with input as inp with data.tdx_mrtd as [tp_mrtd] with data.tdx_min_tee_tcb_svn as [3, 0, 4]
	tp_msgs(gate.deny, "tee.tdx.tcb-svn") == ["TDX TEE_TCB_SVN[2] is 4, below the minimum 5 (TEE_TCB_SVN 03000400000000000000000000000000)"] with input as inp with data.tdx_mrtd as [tp_mrtd] with data.tdx_min_tee_tcb_svn as [3, 0, 5]
}

test_tp_tdx_minimum_pce_svn if {
	inp := tp_input([tp_tdx({})])
	not "tee.tdx.pce-svn" in tp_rules(gate.deny) with input as inp with data.tdx_mrtd as [tp_mrtd] with data.tdx_min_pce_svn as 11
	tp_msgs(gate.deny, "tee.tdx.pce-svn") == ["TDX PCK PCE SVN is 11, below the minimum 13"] with input as inp with data.tdx_mrtd as [tp_mrtd] with data.tdx_min_pce_svn as 13

	# A quote whose PCK leaf gave no PCE SVN cannot meet a minimum.
	ev := json.remove(tp_tdx({}), ["hardware/tcb/pckPceSvn"])
	tp_msgs(gate.deny, "tee.tdx.pce-svn") == ["TDX PCK PCE SVN is (unknown), below the minimum 13"] with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd] with data.tdx_min_pce_svn as 13
}

# ---- Nitro ----

test_tp_nitro_pinned_verified_admits if {
	inp := tp_input([tp_nitro({})])
	tp_rules(gate.deny) == set() with input as inp with data.nitro_pcrs as {"0": [tp_pcr0], "1": [tp_zero]}
	tp_rules(gate.warn) == set() with input as inp with data.nitro_pcrs as {"0": [tp_pcr0], "1": [tp_zero]}
}

test_tp_nitro_failed_verification_denies if {
	ev := tp_nitro({"hardware": {"status": "failed", "reason": "hardware.nitro_chain: Nitro chain: enclave certificate is not valid at 2026-06-01"}})
	ds := gate.deny with input as tp_input([ev]) with data.nitro_pcrs as {"0": [tp_pcr0]}
	"tee.nitro.verified" in tp_rules(ds)
	some m in tp_msgs(ds, "tee.nitro.verified")
	contains(m, "enclave certificate is not valid")
}

test_tp_nitro_debug_mode_denies_unless_allowed if {
	ev := tp_nitro({"hardware": {"pcrs": {"0": tp_zero}, "measurement": tp_zero}})
	"tee.nitro.debug" in tp_rules(gate.deny) with input as tp_input([ev])
	not "tee.nitro.debug" in tp_rules(gate.deny) with input as tp_input([ev]) with data.nitro_allow_debug as true
	not "tee.nitro.debug" in tp_rules(gate.deny) with input as tp_input([ev]) with data.tee_allow_debug as true
	not "tee.nitro.debug" in tp_rules(gate.deny) with input as tp_input([tp_nitro({})])
}

test_tp_nitro_pcr_mismatch_names_the_index if {
	ds := gate.deny with input as tp_input([tp_nitro({})]) with data.nitro_pcrs as {"0": [tp_pcr0], "4": ["45"]}
	"tee.nitro.pcr" in tp_rules(ds)
	tp_msgs(ds, "tee.nitro.pcr") == ["Nitro PCR4 44 is not one of the 1 pinned value(s)"]
}

test_tp_nitro_pinned_pcr_absent_from_document_denies if {
	ds := gate.deny with input as tp_input([tp_nitro({})]) with data.nitro_pcrs as {"8": ["aa"]}
	tp_msgs(ds, "tee.nitro.pcr") == ["Nitro PCR8 (absent) is not one of the 1 pinned value(s)"]
}

test_tp_nitro_tee_measurements_pins_pcr0 if {
	not "tee.nitro.pcr" in tp_rules(gate.deny) with input as tp_input([tp_nitro({})]) with data.tee_measurements as {"nitro": [tp_pcr0]}
	"tee.nitro.pcr" in tp_rules(gate.deny) with input as tp_input([tp_nitro({})]) with data.tee_measurements as {"nitro": ["aa"]}
}

test_tp_nitro_unpinned_warns if {
	"tee.nitro.pcrs-unpinned" in tp_rules(gate.warn) with input as tp_input([tp_nitro({})])
}

test_tp_nitro_stale_document_denies if {
	# context time is 300 s after the document.
	ds := gate.deny with input as tp_input([tp_nitro({})]) with data.nitro_pcrs as {"0": [tp_pcr0]} with data.nitro_max_age_seconds as 60
	tp_msgs(ds, "tee.nitro.stale") == ["Nitro attestation document from 2026-06-01T12:00:00.000Z is 300 s old at 2026-06-01T12:05:00Z (data.nitro_max_age_seconds = 60)"]
	not "tee.nitro.stale" in tp_rules(gate.deny) with input as tp_input([tp_nitro({})]) with data.nitro_pcrs as {"0": [tp_pcr0]} with data.nitro_max_age_seconds as 600
}

test_tp_other_platforms_are_ignored if {
	snp := object.union(tp_tdx({}), {"hardware": {"platform": "sev-snp", "status": "failed", "debug": true}})
	tp_rules(gate.deny) == set() with input as tp_input([snp])
	tp_rules(gate.warn) == set() with input as tp_input([snp])
}

# A Kettle build on TDX (hardware-signed provenance, not a tee-report) is judged by the same TDX rules and
# settings as a bare quote: data.tdx_mrtd pins it, its verification failure and debug TD are denied here.
tp_kettle_tdx(hw) := {
	"id": "slsa-provenance:kettle:sha256:k", "kind": "slsa-provenance",
	"source": {"path": "build/provenance.json", "digest": {"sha256": "k"}, "format": "kettle-evidence-tdx"},
	"hardware": object.union(tp_tdx({}).hardware, hw),
	"checks": [],
	"facts": {"kettle": {"platform": "tdx"}},
}

test_tp_kettle_build_on_tdx_is_judged_by_the_tdx_rules if {
	ev := tp_kettle_tdx({})
	tp_msgs(gate.deny, "tee.tdx.mrtd") == [sprintf("TDX MRTD %s is not one of the 1 pinned measurement(s)", [tp_mrtd])] with input as tp_input([ev]) with data.tdx_mrtd as ["00"]
	not "tee.tdx.mrtd" in tp_rules(gate.deny) with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd]
	not "tee.tdx.mrtd-unpinned" in tp_rules(gate.warn) with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd]
	tp_rules(gate.deny) == {"tee.tdx.verified"} with input as tp_input([tp_kettle_tdx({"status": "failed", "reason": "hardware.tdx_pck_chain: expired"})]) with data.tdx_mrtd as [tp_mrtd]
	tp_rules(gate.deny) == {"tee.tdx.debug"} with input as tp_input([tp_kettle_tdx({"debug": true})]) with data.tdx_mrtd as [tp_mrtd]

	# tee.rego's SEV-SNP rules do not judge it a second time
	tp_all_tee(gate.warn) == {"tee.tdx.tcb-unchecked"} with input as tp_input([ev]) with data.tdx_mrtd as [tp_mrtd]
}

test_tp_nitro_document_from_the_future_denies if {
	ev := tp_nitro({"hardware": {"ageSeconds": -3600}})
	tp_msgs(gate.deny, "tee.nitro.future") == ["Nitro attestation document timestamp 2026-06-01T12:00:00.000Z is 3600 s after the decision time 2026-06-01T12:05:00Z"] with input as tp_input([ev]) with data.nitro_pcrs as {"0": [tp_pcr0]}
	not "tee.nitro.future" in tp_rules(gate.deny) with input as tp_input([tp_nitro({})]) with data.nitro_pcrs as {"0": [tp_pcr0]}
}

tp_all_tee(rs) := {r.rule | some r in rs; startswith(r.rule, "tee.")}

# tee.rego leaves TDX/Nitro tee-reports to this file: no tee.* rule of either file fires twice or at all for
# verified, pinned reports; the shared platform allow-list still applies.
test_tp_no_double_judgement_with_tee_rego if {
	inp := tp_input([tp_tdx({}), tp_nitro({})])
	tp_all_tee(gate.deny) == set() with input as inp with data.tee_measurements as {"tdx": [tp_mrtd], "nitro": [tp_pcr0]}
	tp_all_tee(gate.warn) == {"tee.tdx.tcb-unchecked"} with input as inp with data.tee_measurements as {"tdx": [tp_mrtd], "nitro": [tp_pcr0]}
	tp_all_tee(gate.deny) == {"tee.platform"} with input as inp with data.tee_measurements as {"tdx": [tp_mrtd], "nitro": [tp_pcr0]} with data.tee_allowed_platforms as ["sev-snp"]
}
