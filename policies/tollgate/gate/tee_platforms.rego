# Intel TDX quotes and AWS Nitro Enclaves attestation documents: every record whose hardware.platform is
# "tdx" / "nitro" — the tee-reports, and Kettle builds on TDX (hardware-signed provenance). Every rule applies to
# each such record present; whether a tee-report is required at all is decision.rego's generic
# "gate.required-evidence"; the platform allow-list (tee.platform) and the Kettle binding/artifact rules are
# tee.rego's. Shared keys with tee.rego: tee_measurements.{tdx,nitro}, tee_allow_debug.
#
# Configuration (root data, all optional):
#   tdx_mrtd                  [hex]               allowed MRTDs (also read: tee_measurements.tdx)
#   tdx_allow_debug           bool (false)        admit TDs whose DEBUG attribute is set (else tee_allow_debug)
#   tdx_require_tcb_checked   bool (false)        deny while TCB status is "unchecked" (no collateral supplied)
#   tdx_require_revocation_checked bool (false)   deny while the PCK chain's revocation is unchecked (no CRLs)
#   tdx_allowed_tcb_statuses  [status]            Intel TCB statuses admitted when collateral was verified
#                                                 (default ["UpToDate"])
#   tdx_require_sept_ve_disable bool (false)      deny TDs without SEPT_VE_DISABLE (TDATTRIBUTES bit 28)
#   tdx_min_tee_tcb_svn       [int] (≤16)         minimum TEE_TCB_SVN, component by component (byte i ≥ min[i])
#   tdx_min_pce_svn           int                 minimum PCE SVN certified in the PCK leaf
#   nitro_pcrs                {"<index>": [hex]}  each listed PCR must equal one of its allowed values
#                                                 (tee_measurements.nitro pins PCR0)
#   nitro_allow_debug         bool (false)        admit debug-mode enclaves, PCR0 all zero (else tee_allow_debug)
#   nitro_max_age_seconds     number              deny documents older than this at input.context.time
#                                                 (hardware.ageSeconds, computed by the verifier at ctx.time)
package tollgate.gate

import data.tollgate.lib

tp_reports(platform) := [ev |
	some ev in input.evidence
	ev.hardware.platform == platform
]

# Each platform's records, found once per decision (a rule without arguments is evaluated once; the function
# above would walk the evidence again for every rule that names a platform).
tp_tdx := tp_reports("tdx")

tp_nitro := tp_reports("nitro")

# ---- configuration ----

# Allowed MRTDs (lower-case hex).
tp_tdx_mrtds contains lower(x) if {
	some x in data.tdx_mrtd
	is_string(x)
}

tp_tdx_mrtds contains lower(x) if {
	some x in data.tee_measurements.tdx
	is_string(x)
}

default tp_tdx_allow_debug := false

tp_tdx_allow_debug := data.tdx_allow_debug if is_boolean(data.tdx_allow_debug)

else := data.tee_allow_debug if is_boolean(data.tee_allow_debug)

default tp_tdx_require_tcb := false

tp_tdx_require_tcb := data.tdx_require_tcb_checked if is_boolean(data.tdx_require_tcb_checked)

# PCR index (string) → allowed values (lower-case hex); tee_measurements.nitro pins PCR0.
tp_nitro_pins[idx] := vals if {
	some idx, xs in data.nitro_pcrs
	vals := {lower(x) | some x in xs; is_string(x)}
	count(vals) > 0
}

tp_nitro_pins["0"] := vals if {
	not data.nitro_pcrs["0"]
	vals := {lower(x) | some x in data.tee_measurements.nitro; is_string(x)}
	count(vals) > 0
}

default tp_nitro_allow_debug := false

tp_nitro_allow_debug := data.nitro_allow_debug if is_boolean(data.nitro_allow_debug)

else := data.tee_allow_debug if is_boolean(data.tee_allow_debug)

tp_zero_pcr(v) if regex.match(`^0+$`, v)

# ---- TDX ----

tp_deny contains lib.result_sev(
	"tee.tdx.verified",
	sprintf("TDX quote does not verify: %s", [object.get(ev.hardware, "reason", "hardware verification failed")]),
	ev.source.path, "critical",
	"supply the quote exactly as the TD produced it, with its PCK chain to the Intel SGX Root CA, verified at a time its certificates are valid",
) if {
	some ev in tp_tdx
	ev.hardware.status != "verified"
}

tp_deny contains lib.result_sev(
	"tee.tdx.debug",
	"TDX quote is from a debuggable TD (TDATTRIBUTES.DEBUG set): the host can read and change its memory",
	ev.source.path, "critical",
	"build and attest a production TD with debug off (or set data.tdx_allow_debug for test environments)",
) if {
	some ev in tp_tdx
	ev.hardware.debug == true
	not tp_tdx_allow_debug
}

tp_deny contains lib.result_sev(
	"tee.tdx.sept-ve-disable",
	"TDX quote is from a TD without SEPT_VE_DISABLE (TDATTRIBUTES bit 28): the host can inject #VE through EPT violations",
	ev.source.path, "high",
	"launch the TD with SEPT_VE_DISABLE set (or unset data.tdx_require_sept_ve_disable)",
) if {
	data.tdx_require_sept_ve_disable == true
	some ev in tp_tdx
	object.get(ev.hardware, "septVeDisable", false) != true
}

tp_deny contains lib.result_sev(
	"tee.tdx.mrtd",
	sprintf("TDX MRTD %s is not one of the %d pinned measurement(s)", [ev.hardware.measurement, count(tp_tdx_mrtds)]),
	ev.source.path, "critical",
	"attest the TD image whose MRTD is pinned in data.tdx_mrtd, or pin this one after review",
) if {
	some ev in tp_tdx
	count(tp_tdx_mrtds) > 0
	not lower(ev.hardware.measurement) in tp_tdx_mrtds
}

tp_warn contains lib.result_sev(
	"tee.tdx.mrtd-unpinned",
	sprintf("TDX MRTD %s is not pinned: any TD image with a valid quote is accepted", [ev.hardware.measurement]),
	ev.source.path, "medium",
	"pin the expected MRTD(s) in data.tdx_mrtd",
) if {
	some ev in tp_tdx
	count(tp_tdx_mrtds) == 0
}

tp_tdx_tcb_unchecked(ev) if ev.hardware.tcb.status == "unchecked"

# Intel TCB statuses admitted when collateral was verified (data.tdx_allowed_tcb_statuses, default UpToDate).
default tp_tdx_allowed_tcb := {"UpToDate"}

tp_tdx_allowed_tcb := {s | some s in data.tdx_allowed_tcb_statuses; is_string(s)} if is_array(data.tdx_allowed_tcb_statuses)

tp_deny contains lib.result_sev(
	"tee.tdx.tcb-status",
	sprintf("TDX TCB status is %s (platform %s, QE %s%s), not one of [%s]%s", [
		ev.hardware.tcb.status, ev.hardware.tcb.platformStatus, ev.hardware.tcb.qeStatus,
		tp_module_part(ev), concat(", ", sort(tp_tdx_allowed_tcb)), tp_advisory_part(ev),
	]),
	ev.source.path, "high",
	"update the platform (BIOS/microcode, TDX module, QE) to a TCB Intel rates UpToDate, or allow this status in data.tdx_allowed_tcb_statuses after review",
) if {
	some ev in tp_tdx
	ev.hardware.status == "verified"
	ev.hardware.tcb.evaluated == true
	not ev.hardware.tcb.status in tp_tdx_allowed_tcb
}

tp_module_part(ev) := sprintf(", TDX module %s", [ev.hardware.tcb.moduleStatus]) if ev.hardware.tcb.moduleStatus

else := ""

tp_advisory_part(ev) := sprintf("; advisories %s", [concat(", ", ev.hardware.tcb.advisoryIds)]) if count(ev.hardware.tcb.advisoryIds) > 0

else := ""

tp_warn contains lib.result_sev(
	"tee.tdx.tcb-unchecked",
	sprintf("TDX TCB status is %s: %s", [ev.hardware.tcb.status, object.get(ev.hardware.tcb, "reason", "")]),
	ev.source.path, "low",
	"supply Intel PCS collateral (TCB info, QE identity and their issuer chain) beside the quote to have the TCB evaluated",
) if {
	some ev in tp_tdx
	ev.hardware.status == "verified"
	tp_tdx_tcb_unchecked(ev)
	not tp_tdx_require_tcb
}

tp_deny contains lib.result_sev(
	"tee.tdx.tcb-unchecked",
	sprintf("TDX TCB status is %s and data.tdx_require_tcb_checked is set", [ev.hardware.tcb.status]),
	ev.source.path, "high",
	"supply Intel PCS collateral (TCB info, QE identity and their issuer chain) beside the quote",
) if {
	some ev in tp_tdx
	tp_tdx_tcb_unchecked(ev)
	tp_tdx_require_tcb
}

tp_deny contains lib.result_sev(
	"tee.tdx.revocation-unchecked",
	"TDX PCK chain revocation is unchecked: no Intel Root CA CRL and PCK CRL were supplied",
	ev.source.path, "high",
	"supply Intel's Root CA CRL and the PCK CRL (DER or PEM) beside the quote",
) if {
	data.tdx_require_revocation_checked == true
	some ev in tp_tdx
	ev.hardware.status == "verified"
	object.get(ev.hardware, "revocation", "unchecked") != "checked"
}

# Minimum TCB from data: the quote's TEE_TCB_SVN components (TDX module SVNs) and the PCK leaf's PCE SVN.
tp_deny contains lib.result_sev(
	"tee.tdx.tcb-svn",
	sprintf("TDX TEE_TCB_SVN[%d] is %d, below the minimum %d (TEE_TCB_SVN %s)", [i, tp_svn_at(ev, i), min, ev.hardware.tcb.teeTcbSvn]),
	ev.source.path, "high",
	"update the TDX module on the host to at least data.tdx_min_tee_tcb_svn",
) if {
	some ev in tp_tdx
	some i, min in data.tdx_min_tee_tcb_svn
	is_number(min)
	tp_svn_at(ev, i) < min
}

# A component the quote does not carry counts as 0 (fails any positive minimum).
tp_svn_at(ev, i) := ev.hardware.tcb.teeTcbSvnComponents[i]

tp_svn_at(ev, i) := 0 if not ev.hardware.tcb.teeTcbSvnComponents[i]

tp_deny contains lib.result_sev(
	"tee.tdx.pce-svn",
	sprintf("TDX PCK PCE SVN is %v, below the minimum %d", [object.get(ev.hardware.tcb, "pckPceSvn", "(unknown)"), data.tdx_min_pce_svn]),
	ev.source.path, "high",
	"update the platform's microcode/PCE to at least data.tdx_min_pce_svn",
) if {
	some ev in tp_tdx
	is_number(data.tdx_min_pce_svn)
	not object.get(ev.hardware.tcb, "pckPceSvn", -1) >= data.tdx_min_pce_svn
}

# ---- Nitro ----

tp_deny contains lib.result_sev(
	"tee.nitro.verified",
	sprintf("Nitro attestation document does not verify: %s", [object.get(ev.hardware, "reason", "hardware verification failed")]),
	ev.source.path, "critical",
	"supply the document exactly as the NSM returned it, verified at a time its (short-lived) enclave certificate was valid, e.g. --time set to the document's timestamp",
) if {
	some ev in tp_nitro
	ev.hardware.status != "verified"
}

tp_deny contains lib.result_sev(
	"tee.nitro.debug",
	"Nitro attestation document is from a debug-mode enclave (PCR0 is all zeros): its memory is readable by the parent",
	ev.source.path, "critical",
	"run the enclave without --debug-mode (or set data.nitro_allow_debug for test environments)",
) if {
	some ev in tp_nitro
	tp_zero_pcr(ev.hardware.pcrs["0"])
	not tp_nitro_allow_debug
}

tp_deny contains lib.result_sev(
	"tee.nitro.pcr",
	sprintf("Nitro PCR%s %s is not one of the %d pinned value(s)", [idx, object.get(ev.hardware.pcrs, idx, "(absent)"), count(vals)]),
	ev.source.path, "critical",
	"attest the enclave image whose PCRs are pinned in data.nitro_pcrs, or pin these after review",
) if {
	some ev in tp_nitro
	some idx, vals in tp_nitro_pins
	not lower(object.get(ev.hardware.pcrs, idx, "")) in vals
}

tp_warn contains lib.result_sev(
	"tee.nitro.pcrs-unpinned",
	sprintf("Nitro PCRs are not pinned (PCR0 %s): any enclave image with a valid document is accepted", [object.get(ev.hardware.pcrs, "0", "(absent)")]),
	ev.source.path, "medium",
	"pin PCR0 (image), PCR1 (kernel) and PCR2 (application) in data.nitro_pcrs",
) if {
	some ev in tp_nitro
	count(tp_nitro_pins) == 0
}

# ageSeconds = verification instant (input.context.time) − document timestamp, computed by the verifier.
tp_deny contains lib.result_sev(
	"tee.nitro.stale",
	sprintf("Nitro attestation document from %s is %d s old at %s (data.nitro_max_age_seconds = %v)", [ev.hardware.time, ev.hardware.ageSeconds, input.context.time, data.nitro_max_age_seconds]),
	ev.source.path, "high",
	"attest again: the document must be fresher than data.nitro_max_age_seconds",
) if {
	some ev in tp_nitro
	is_number(data.nitro_max_age_seconds)
	ev.hardware.ageSeconds > data.nitro_max_age_seconds
}

tp_deny contains lib.result_sev(
	"tee.nitro.future",
	sprintf("Nitro attestation document timestamp %s is %d s after the decision time %s", [ev.hardware.time, 0 - ev.hardware.ageSeconds, input.context.time]),
	ev.source.path, "high",
	"check the --time given and the clock of the attesting host",
) if {
	some ev in tp_nitro
	ev.hardware.ageSeconds < -300 # more than the usual clock skew
}

# The rules above fill tp_deny and tp_warn, which join the gate's deny and warn only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	count(tee_hardware) > 0 # tee.rego's: every TDX or Nitro record has hardware facts
	some r in tp_deny
}

warn contains r if {
	count(tee_hardware) > 0 # tee.rego's: every TDX or Nitro record has hardware facts
	some r in tp_warn
}
