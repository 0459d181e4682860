#!/usr/bin/env python3
"""Turns one `scripts/bench` run (criterion estimates + load-driver JSON) into
specs/benchmarks.md on stdout. Usage: bench-report.py <run directory>."""

import json
import os
import sys

run = sys.argv[1]
machine = dict(
    line.rstrip("\n").split("=", 1)
    for line in open(os.path.join(run, "machine"))
    if "=" in line
)
cores = int(machine["nproc"])


def mean_ns(group, name):
    path = os.path.join(run, "criterion", group, name, "new", "estimates.json")
    with open(path) as f:
        # The median: robust to bursts from other processes on a shared machine.
        return json.load(f)["median"]["point_estimate"]


def rate(group, name):
    """Operations per second on one core."""
    return 1e9 / mean_ns(group, name)


def load(name):
    with open(os.path.join(run, name)) as f:
        return json.load(f)


def n(x, digits=0):
    return f"{x:,.{digits}f}"


def pct(x):
    return f"{100 * x:.0f}%"


def verdict(ok):
    return "met" if ok else "**missed**"


out = []
w = out.append

w("# Benchmarks")
w("")
w("Written by `scripts/bench` (do not edit by hand); targets from issue #8 item 3.")
w("")
w(f"- Date: {machine['date']}; commit `{machine['commit']}`; {machine['rustc']}")
w(f"- Machine: {machine['nproc']} cores, {machine['cpu']}")
w(
    f"- Load average at start: {machine['load']} (1, 5, 15 min). The machine is shared with "
    "other builds and test runs, so absolute figures are pessimistic; each figure is compared "
    "with its bound measured in the same run, on the same busy machine."
)
w(f"- Command: `scripts/bench` (took {int(machine['elapsed']) // 60} min {int(machine['elapsed']) % 60} s)")
w(
    "- In-process figures: criterion medians, one thread (1/median = rate per core). HTTP figures: the "
    "bounded load drivers `verifier/benches/http.rs` and `issuer/benches/http.rs` against the "
    "release binaries on 127.0.0.1, client and server on the same cores."
)
w("")

# --- 1. In-process --------------------------------------------------------------------------
verify_raw = rate("ed25519", "verify")
sign_raw = rate("ed25519", "sign")
sd_verify = rate("sd_jwt", "verify_kb")
jcs_verify = rate("di", "verify_jcs")
rdfc_verify = rate("di", "verify_rdfc")
sd_issue = rate("sd_jwt", "issue")
jcs_issue = rate("di", "issue_jcs")
rdfc_issue = rate("di", "issue_rdfc")

w("## 1. Credentials in process (operations per second per core)")
w("")
w(
    "Bound: the raw `ed25519-dalek` rate measured in the same run "
    f"(verify {n(verify_raw)}/s, sign {n(sign_raw)}/s per core). An SD-JWT+KB verify is two "
    "signature checks (issuer JWT, KB-JWT), so its bound is half the verify rate; a Data "
    "Integrity verify or any issuance is one signature."
)
w("")
w("| Operation | Figure (ops/s/core) | Bound (ops/s/core) | Ratio | Target | Status |")
w("|---|---:|---:|---:|---|---|")
rows = [
    ("Verify SD-JWT VC + KB-JWT", sd_verify, verify_raw / 2, 0.60),
    ("Verify `eddsa-jcs-2022` credential", jcs_verify, verify_raw, 0.60),
    ("Verify `eddsa-rdfc-2022` credential", rdfc_verify, verify_raw, None),
    ("Issue SD-JWT VC (2 disclosures, `cnf`)", sd_issue, sign_raw, None),
    ("Issue `eddsa-jcs-2022` credential", jcs_issue, sign_raw, None),
    ("Issue `eddsa-rdfc-2022` credential", rdfc_issue, sign_raw, None),
]
missed = {}
for label, fig, bound, target in rows:
    ratio = fig / bound
    if target is None:
        w(f"| {label} | {n(fig)} | {n(bound)} | {pct(ratio)} | none | - |")
    else:
        ok = ratio >= target
        missed[label] = not ok
        w(f"| {label} | {n(fig)} | {n(bound)} | {pct(ratio)} | >= {pct(target)} | {verdict(ok)} |")
w("")
w("Breakdown (same run, one core):")
w("")
w("| Part | Time (us) |")
w("|---|---:|")
w(f"| Ed25519 verify (raw) | {mean_ns('ed25519', 'verify') / 1e3:.1f} |")
w(f"| Ed25519 sign (raw) | {mean_ns('ed25519', 'sign') / 1e3:.1f} |")
w(f"| SD-JWT+KB verify, whole | {mean_ns('sd_jwt', 'verify_kb') / 1e3:.1f} |")
w(f"| SD-JWT parse (split, decode disclosures) | {mean_ns('sd_jwt_parts', 'parse') / 1e3:.1f} |")
w(f"| SHA-256 `sd_hash` over the presentation | {mean_ns('sd_jwt_parts', 'sha256_sd_hash') / 1e3:.1f} |")
w(f"| `eddsa-jcs-2022` verify, whole | {mean_ns('di', 'verify_jcs') / 1e3:.1f} |")
w(f"| JCS canonicalization of the signed credential | {mean_ns('di_parts', 'jcs_canonicalize') / 1e3:.1f} |")
w(f"| `eddsa-rdfc-2022` verify, whole | {mean_ns('di', 'verify_rdfc') / 1e3:.1f} |")
w("")

# --- 2. Verifier over HTTP --------------------------------------------------------------------
vh = load("verifier-http.json")
pres_inproc = rate("pipeline", "presentation_sd_jwt_kb")
resp_inproc = rate("pipeline", "response_sd_jwt_kb")
nonce_ms = mean_ns("pipeline_parts", "nonce_issue") / 1e6
w("## 2. Verifier over HTTP (SD-JWT VC + KB-JWT per request)")
w("")
w(
    f"Load: {vh['presentations_verify']['requests']} prepared single-use requests per endpoint, "
    f"{vh['concurrency']} in flight. Bound: the same request verified in process "
    "(`verifier/benches/pipeline.rs`: DID resolution, both signatures, policy, and the durable "
    f"single-use nonce consumption) times the {cores} cores. The server's own CPU time during "
    "the load gives its rate per core actually used, the fairer comparison on a machine where "
    "the load generator shares the cores."
)
w("")
w("| Endpoint | Requests/s | p50 (ms) | p99 (ms) | Errors | In-process bound (req/s, all cores) | Ratio | Server rate per CPU-second | vs in-process per core | Target | Status |")
w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
for label, key, inproc in [
    ("`POST /presentations/verify`", "presentations_verify", pres_inproc),
    ("OpenID4VP `POST /oid4vp/response/{key}`", "oid4vp_response", resp_inproc),
]:
    r = vh[key]
    bound = inproc * cores
    ratio = r["rps"] / bound
    per_core = r["rps_per_server_core"]
    ok = ratio >= 0.5
    missed[label] = not ok
    w(
        f"| {label} | {n(r['rps'])} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} | "
        f"{n(bound)} | {pct(ratio)} | {n(per_core)} | {pct(per_core / inproc)} | >= 50% | {verdict(ok)} |"
    )
w("")
w(
    f"In process, per core: `/presentations/verify` path {n(pres_inproc)}/s, OpenID4VP response "
    f"path {n(resp_inproc)}/s, against {n(sd_verify)}/s for the bare SD-JWT+KB check in "
    f"section 1. Issuing one nonce (one durable redb commit) costs {nonce_ms:.2f} ms."
)
w("")

# --- 3. Issuer ---------------------------------------------------------------------------------
ih = load("issuer-http.json")
iss = ih["issuance"]
rev = ih["revocation"]
w("## 3. Issuance over OpenID4VCI and revocation (issuer service, durable writes)")
w("")
w(
    f"{iss['credentials']} pre-authorized code flows (`/token`, `/nonce`, `/credential` with a "
    f"holder proof JWT; `proof_of_age` as `dc+sd-jwt`), {ih['concurrency']} in flight; offers "
    "created beforehand. Every step commits to redb before answering. Bound: the in-process "
    f"SD-JWT VC issuance rate of section 1 times the {cores} cores (no target set)."
)
w("")
w("| Measure | Figure | Bound | Ratio |")
w("|---|---:|---:|---:|")
w(f"| Issuance (credentials/s) | {n(iss['per_second'], 1)} | {n(sd_issue * cores)} | {pct(iss['per_second'] / (sd_issue * cores))} |")
w(f"| Issuance per server CPU-second | {n(iss['per_server_core_second'], 1)} | {n(sd_issue)} | {pct(iss['per_server_core_second'] / sd_issue)} |")
w(f"| Issuance flow latency p50 / p99 (ms) | {iss['p50_ms']:.1f} / {iss['p99_ms']:.1f} | - | - |")
w(f"| Failed flows | {iss['errors']} | - | - |")
w(f"| Server CPU per issued credential (ms) | {1e3 * iss['server_cpu_seconds'] / max(iss['credentials'], 1):.2f} | {1e3 / sd_issue:.3f} (signing alone) | - |")
if rev.get("revocations"):
    w(f"| Revocation, request p50 / p99 (ms, {rev['revocations']} sequential) | {rev['p50_ms']:.2f} / {rev['p99_ms']:.2f} | - | - |")
    w(f"| Revocation until the served status list shows it, p50 / p99 (ms) | {rev['until_visible_p50_ms']:.2f} / {rev['until_visible_p99_ms']:.2f} | - | - |")
    w(f"| Failed revocations | {rev['errors']} | - | - |")
w("")

# --- 4. Privacy --------------------------------------------------------------------------------
w("## 4. Differentially private query over 1,000,000 rows")
w("")
w(
    "Grouped by `region` (5 groups); mean of `systolic_bp` (bounds 80-220). DP: plan (policy, "
    "shape), OpenDP calibration, partition with per-person contribution bounding, release; the "
    "durable budget debit of the service is not included. Bound: the same aggregate computed "
    "without privacy over the same column vectors."
)
w("")
w("| Query | DP (ms) | Plain (ms) | DP / plain | Target | Status |")
w("|---|---:|---:|---:|---|---|")
for label, name in [("Count by region", "count_by_region"), ("Mean by region", "mean_by_region")]:
    dp = mean_ns("dp", name) / 1e6
    plain = mean_ns("plain", name) / 1e6
    ratio = dp / plain
    ok = ratio <= 3.0
    missed[label] = not ok
    w(f"| {label} | {dp:.1f} | {plain:.2f} | {ratio:.1f}x | <= 3x | {verdict(ok)} |")
w("")
w(
    f"Breakdown: filter + contribution bounding + partition alone "
    f"{mean_ns('dp_parts', 'partition') / 1e6:.1f} ms."
)
w("")

# --- 5. Wallet ---------------------------------------------------------------------------------
unlock = mean_ns("wallet", "unlock_1000") / 1e6
argon = mean_ns("wallet_parts", "argon2id_default") / 1e6
save = mean_ns("wallet", "save_1000") / 1e6
w("## 5. Wallet")
w("")
w("| Measure | Figure (ms) | Bound (ms) | Ratio |")
w("|---|---:|---:|---:|")
w(f"| Unlock, 1,000 credentials held | {unlock:.0f} | Argon2id alone (64 MiB, t=3, p=4): {argon:.0f} | {pct(argon / unlock)} of the unlock is the KDF |")
w(f"| Save (store one credential: serialize, encrypt, atomic write) with 1,000 held | {save:.1f} | - | - |")
w("")

# --- 6. Memory ---------------------------------------------------------------------------------
w("## 6. Peak memory (VmHWM) under the loads above")
w("")
w("| Service | Peak resident (MiB) | After |")
w("|---|---:|---|")
w(f"| verifier | {vh['vmhwm_kib'] / 1024:.1f} | both HTTP loads of section 2 |")
w(f"| issuer | {ih['vmhwm_kib'] / 1024:.1f} | issuance and revocation of section 3 |")
try:
    with open(os.path.join(run, "privacy-vmhwm")) as f:
        pv = int(f.read().strip())
    w(f"| privacy (in-process bench process) | {pv / 1024:.1f} | 1M-row dataset parsed from CSV and the queries of section 4 (includes the CSV text and the plain copy of the columns) |")
except (OSError, ValueError):
    w("| privacy | n/a | not measured |")
w("")

# --- Targets and notes ---------------------------------------------------------------------
w("## Targets")
w("")
for label, miss in missed.items():
    w(f"- {label}: {'**missed**' if miss else 'met'}")
w("")
w("## Notes (from the breakdown measured in this run)")
w("")
us = lambda g, k: mean_ns(g, k) / 1e3  # noqa: E731
sig2 = 2 * us("ed25519", "verify")
sd = us("sd_jwt", "verify_kb")
if sig2 >= sd:
    w(
        f"- SD-JWT+KB verify ({sd:.1f} us) is at its bound within the noise of this run: two raw "
        f"Ed25519 verifications measured {sig2:.1f} us on the same busy machine (parse "
        f"{us('sd_jwt_parts', 'parse'):.1f} us, `sd_hash` {us('sd_jwt_parts', 'sha256_sd_hash'):.1f} us)."
    )
else:
  w(
    f"- SD-JWT+KB verify: {sd:.1f} us, of which the two Ed25519 verifications are {sig2:.1f} us "
    f"({pct(sig2 / sd)}); parsing the presentation (split, base64url, JSON of the disclosures) "
    f"{us('sd_jwt_parts', 'parse'):.1f} us; the `sd_hash` SHA-256 {us('sd_jwt_parts', 'sha256_sd_hash'):.1f} us; "
    f"the remaining {max(sd - sig2 - us('sd_jwt_parts', 'parse'), 0):.1f} us are decoding and checking the two JWTs' "
    "JSON (headers, payloads, registered claims, digests of the disclosures, the `cnf` key)."
)
jv = us("di", "verify_jcs")
sig1 = us("ed25519", "verify")
w(
    f"- `eddsa-jcs-2022` verify: {jv:.1f} us, of which the Ed25519 verification is {sig1:.1f} us "
    f"({pct(sig1 / jv)}); one JCS canonicalization of the whole signed credential takes "
    f"{us('di_parts', 'jcs_canonicalize'):.1f} us and verification canonicalizes the document and the "
    "proof configuration, after the VC Data Model and context allow-list checks."
)
rv = us("di", "verify_rdfc")
w(
    f"- `eddsa-rdfc-2022` verify: {rv:.0f} us, {pct(sig1 / rv)} of it the signature: JSON-LD expansion "
    "and RDF canonicalization dominate (no target: the library notes measured ~1.5 ms in ssi)."
)
for label, key, inproc in [
    ("`/presentations/verify`", "presentations_verify", pres_inproc),
    ("OpenID4VP response", "oid4vp_response", resp_inproc),
]:
    r = vh[key]
    cpu_per_req = 1e3 * r["server_cpu_seconds"] / max(r["requests"], 1)
    w(
        f"- {label}: in process one request takes {1e3 / inproc:.2f} ms of wall time on one thread, "
        f"about one durable redb commit ({nonce_ms:.2f} ms for a nonce alone): the single-use "
        "nonce is consumed durably, so the in-process rate is bounded by commit latency, not by "
        f"CPU. Over HTTP the server spent {cpu_per_req:.2f} ms of CPU per request "
        f"({r['server_cpu_seconds']:.2f} CPU-s for {r['requests']} requests in {r['seconds']:.2f} s) "
        f"and overlaps {vh['concurrency']} requests, hence a ratio that can exceed 100%."
    )
part = mean_ns("dp_parts", "partition") / 1e6
for label, name in [("DP count", "count_by_region"), ("DP mean", "mean_by_region")]:
    dp = mean_ns("dp", name) / 1e6
    w(
        f"- {label}: {dp:.1f} ms against {mean_ns('plain', name) / 1e6:.2f} ms plain. Filtering, "
        f"per-person contribution bounding and per-group row lists (`mechanism::partition`) alone "
        f"take {part:.1f} ms; the plain aggregate is one pass over two arrays with no per-person state."
    )
try:
    with open(os.path.join(run, "dp-perf.txt")) as f:
        profile = [line.rstrip() for line in f if line.strip()]
    w(
        "- Profile of the DP count (`perf record`, same run, top symbols by self time): "
        + "; ".join(profile)
        + ". (Per-person contribution bounding is a scan with a dense counter per person, "
        "decision 0106; read the symbols above for where the time goes in this run.)"
    )
except OSError:
    w("- (`perf` not available: no profile of the DP query in this run.)")
w("")
print("\n".join(out))
