# Hardware-rooted evidence: AMD SEV-SNP and Azure SEV-SNP (vTPM) reports and Kettle builds on them, and the
# Kettle binding/artifact rules for Kettle attestable builds on any platform (SLSA provenance whose signer is
# the hardware). Intel TDX and AWS Nitro evidence — tee-reports and Kettle builds on TDX alike — is judged by
# tee_platforms.rego, so one set of TDX settings (data.tdx_mrtd, …) covers both; the platform allow-list here
# applies to every piece of hardware evidence.
# Whether hardware evidence is required at all is decision.rego's generic "gate.required-evidence";
# a Kettle build is admitted through the SLSA rules (I1.*), which trust a hardware signer only when its
# hardware verified and its binding held (the signature is "verified" only then).
#
# Configuration (root data, all optional):
#   tee_allowed_platforms  [platform]                 hardware platforms accepted (sev-snp, az-snp, tdx, nitro)
#   tee_measurements       {platform: [hex]}          pinned launch measurements per platform (warn when none)
#   tee_min_tcb            {bootloader, tee, snp,     minimum SEV-SNP REPORTED_TCB components (fmc: Turin)
#                           microcode, fmc}
#   tee_allow_debug        bool (false)               admit debuggable guests (test environments)
#   tee_max_vmpl           number                     highest VMPL a SEV-SNP report may be requested at
#   tee_require_revocation_checked bool (false)       deny SEV-SNP/az-snp evidence whose ASK/ASVK revocation is
#                                                     unchecked (no ARK-signed AMD CRL was supplied beside it)
package tollgate.gate

import data.tollgate.lib

# Evidence these rules judge: every record carrying SEV-SNP / az-snp hardware facts (tee-reports and Kettle
# builds). TDX/Nitro hardware belongs to tee_platforms.rego.
tee_snp_platforms := {"sev-snp", "az-snp"}

# Arrays, not sets: the rules only iterate them, and a set of whole records hashes every record it holds.
tee_hardware := [ev | some ev in input.evidence; ev.hardware]

tee_judged := [ev | some ev in tee_hardware; ev.hardware.platform in tee_snp_platforms]

tee_kettle := [ev | some ev in input.evidence; ev.facts.kettle]

# ---- configuration ----

default tee_allowed_platforms := set()

tee_allowed_platforms := {p | some p in data.tee_allowed_platforms; is_string(p)}

tee_pins(platform) := {lower(m) | some m in data.tee_measurements[platform]; is_string(m)}

default tee_allow_debug := false

tee_allow_debug := data.tee_allow_debug if is_boolean(data.tee_allow_debug)

tee_tcb_fields := ["fmc", "bootloader", "tee", "snp", "microcode"]

# ---- every piece of hardware evidence ----

tee_deny contains lib.result_sev(
	"tee.platform",
	sprintf("hardware platform %s is not one of the allowed platforms [%s]", [ev.hardware.platform, concat(", ", sort(tee_allowed_platforms))]),
	ev.source.path, "high",
	"run the workload on an allowed platform, or add this one to data.tee_allowed_platforms",
) if {
	count(tee_allowed_platforms) > 0
	some ev in tee_hardware
	not ev.hardware.platform in tee_allowed_platforms
}

# ---- SEV-SNP, az-snp and Kettle builds ----

tee_deny contains lib.result_sev(
	"tee.verified",
	sprintf("%s hardware evidence does not verify: %s", [ev.hardware.platform, object.get(ev.hardware, "reason", "hardware verification failed")]),
	ev.source.path, "critical",
	"supply the report exactly as the hardware produced it with its VCEK/VLEK (or quote and certificates), verified at a time its certificates are valid (--time)",
) if {
	some ev in tee_judged
	ev.hardware.status != "verified"
}

tee_deny contains lib.result_sev(
	"tee.measurement",
	sprintf("%s launch measurement %s is not one of the %d pinned measurement(s)", [ev.hardware.platform, ev.hardware.measurement, count(tee_pins(ev.hardware.platform))]),
	ev.source.path, "critical",
	sprintf("attest the guest image whose measurement is pinned in data.tee_measurements[\"%s\"], or pin this one after review", [ev.hardware.platform]),
) if {
	some ev in tee_judged
	count(tee_pins(ev.hardware.platform)) > 0
	not lower(object.get(ev.hardware, "measurement", "")) in tee_pins(ev.hardware.platform)
}

tee_warn contains lib.result_sev(
	"tee.measurement-unpinned",
	sprintf("%s launch measurement %s is not pinned: any guest image with valid hardware evidence is accepted", [ev.hardware.platform, object.get(ev.hardware, "measurement", "(none)")]),
	ev.source.path, "medium",
	sprintf("pin the expected measurement(s) in data.tee_measurements[\"%s\"]", [ev.hardware.platform]),
) if {
	some ev in tee_judged
	ev.hardware.status == "verified"
	count(tee_pins(ev.hardware.platform)) == 0
}

# Opt-in, as TDX's tee.tdx.revocation-unchecked: a verified report whose chain was not checked against AMD's
# CRL (hardware.revocation "unchecked"; a revoked chain already fails verification).
tee_deny contains lib.result_sev(
	"tee.revocation-unchecked",
	sprintf("%s chain revocation is unchecked: no AMD CRL signed by the ARK was supplied", [ev.hardware.platform]),
	ev.source.path, "high",
	"supply the product's CRL from AMD KDS (https://kdsintf.amd.com/vcek/v1/<product>/crl, DER or PEM) beside the report",
) if {
	data.tee_require_revocation_checked == true
	some ev in tee_judged
	ev.hardware.status == "verified"
	object.get(ev.hardware, "revocation", "unchecked") != "checked"
}

tee_deny contains lib.result_sev(
	"tee.debug",
	sprintf("%s guest policy allows debugging: the host can read and change its memory", [ev.hardware.platform]),
	ev.source.path, "critical",
	"launch the guest with the debug policy bit off (or set data.tee_allow_debug for test environments)",
) if {
	some ev in tee_judged
	ev.hardware.debug == true
	not tee_allow_debug
}

# REPORTED_TCB components below the configured minimum (SEV-SNP platforms; fmc only where the report has it).
tee_tcb_below(ev) := [sprintf("%s %d < %d", [f, have, want]) |
	some f in tee_tcb_fields
	want := data.tee_min_tcb[f]
	is_number(want)
	have := ev.hardware.tcb.reported[f]
	have < want
]

tee_deny contains lib.result_sev(
	"tee.min-tcb",
	sprintf("%s REPORTED_TCB is below data.tee_min_tcb: %s", [ev.hardware.platform, concat(", ", tee_tcb_below(ev))]),
	ev.source.path, "high",
	"update the host firmware and microcode (and get a VCEK for the new TCB), or lower data.tee_min_tcb after review",
) if {
	some ev in tee_judged
	ev.hardware.platform in tee_snp_platforms
	count(tee_tcb_below(ev)) > 0
}

tee_deny contains lib.result_sev(
	"tee.vmpl",
	sprintf("SEV-SNP report was requested at VMPL %d; data.tee_max_vmpl is %d", [ev.hardware.vmpl, data.tee_max_vmpl]),
	ev.source.path, "high",
	"request the report from the guest's most privileged VMPL (the paravisor/SVSM boundary you trust)",
) if {
	is_number(data.tee_max_vmpl)
	some ev in tee_judged
	ev.hardware.platform in tee_snp_platforms
	ev.hardware.vmpl > data.tee_max_vmpl
}

# ---- Kettle attestable builds ----

tee_failed_check(ev, name) := c if {
	some c in ev.checks
	c.name == name
	c.ok == false
}

tee_deny contains lib.result_sev(
	"tee.kettle.binding",
	sprintf("Kettle build's hardware evidence does not bind its provenance: %s", [c.reason]),
	ev.source.path, "critical",
	"ship the provenance.json the TEE produced, unmodified: its compact serialization's sha256 must be the report's bound value",
) if {
	some ev in tee_kettle
	c := tee_failed_check(ev, "binding.provenance_sha256")
}

tee_deny contains lib.result_sev(
	"tee.kettle.artifacts",
	sprintf("Kettle build artifacts do not match the provenance subjects: %s", [c.reason]),
	ev.source.path, "critical",
	"ship the artifacts the attested build produced; every file under artifacts/ must be a subject with the same sha256",
) if {
	some ev in tee_kettle
	c := tee_failed_check(ev, "integrity.artifacts")
}

tee_deny contains lib.result_sev(
	"tee.kettle.manifest",
	sprintf("Kettle build's manifest.json disagrees with its provenance: %s", [c.reason]),
	ev.source.path, "critical",
	"ship the manifest.json of the same build: its git commit, lockfile hash, toolchain, dependencies and artifacts must be the provenance's",
) if {
	some ev in tee_kettle
	c := tee_failed_check(ev, "integrity.manifest")
}

tee_present if count(tee_hardware) > 0

tee_present if count(tee_kettle) > 0

# The rules above fill tee_deny and tee_warn, which join the gate's deny and warn only when
# there is evidence for them to judge: every one of them needs some, and skipping them all at once keeps an
# evaluation from visiting each rule body (and, in the WASM target, keeps the deny function small).
deny contains r if {
	tee_present
	some r in tee_deny
}

warn contains r if {
	tee_present
	some r in tee_warn
}
