//! The relying-party page: server-rendered, a few KB, no bundle. Each visit creates a request
//! for the configured scenario, shows it as a QR code and a same-device link, and waits on
//! the event stream (12 lines of script; without script, a link to the outcome page). The
//! outcome is told in plain words.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::http::AppError;
use super::store::{RequestRecord, RequestState};
use super::{AppState, Scenario, oid4vp};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem;color:#111}\
h1{font-size:1.4rem}.qr svg{width:100%;max-width:18rem;height:auto}\
a.wallet{display:inline-block;padding:.7rem 1rem;background:#0b57d0;color:#fff;border-radius:.4rem;text-decoration:none}\
#status{font-size:1.2rem;padding:.8rem;border-radius:.4rem;background:#f1f3f4}\
body[data-state=verified] #status{background:#e6f4ea}body[data-state=rejected] #status,body[data-state=expired] #status{background:#fce8e6}";

const SCRIPT: &str = "(function(){var b=document.body,s=document.getElementById('status');\
if(!window.EventSource)return;var e=new EventSource(b.getAttribute('data-events'));\
e.addEventListener('state',function(m){var d=JSON.parse(m.data);s.textContent=d.message;\
b.setAttribute('data-state',d.state);if(d.state!=='pending')e.close();});})();";

/// The page's static parts and their CSP hashes.
pub struct PageAssets {
    csp: String,
}

impl PageAssets {
    pub fn new() -> Self {
        let hash = |text: &str| {
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
        };
        Self {
            csp: format!(
                "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                hash(SCRIPT),
                hash(STYLE)
            ),
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(state: &AppState, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                state.inner.page.csp.clone(),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::REFERRER_POLICY, "no-referrer".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        body,
    )
        .into_response()
}

fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// `GET /`: a new request for the scenario, shown as a QR code and a link.
pub async fn index(State(state): State<AppState>) -> Result<Response, AppError> {
    let scenario = &state.inner.config.scenario;
    let (record, link) =
        oid4vp::create_request(&state, scenario.dcql_query.clone(), scenario.policy.clone())?;
    let title = escape(&scenario.title);
    let prompt = escape(&scenario.prompt);
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title}</title>\
<style>{STYLE}</style></head>\
<body data-state=\"pending\" data-events=\"/presentation-requests/{id}/events\">\
<h1>{title}</h1><p>{prompt}. Scan the code with your wallet, or open the link on this phone.</p>\
<div class=\"qr\" aria-label=\"QR code of the request\">{qr}</div>\
<p><a class=\"wallet\" id=\"wallet-link\" href=\"{href}\">Open in my wallet</a></p>\
<p id=\"status\" role=\"status\" aria-live=\"polite\">Waiting for your wallet&hellip;</p>\
<noscript><p><a href=\"/outcome/{id}\">Check the result</a></p></noscript>\
<p><small>Only what is shown above is asked for. The answer is kept for a day, then deleted.</small></p>\
<script>{SCRIPT}</script></body></html>",
        id = escape(&record.id),
        qr = qr_svg(&link),
        href = escape(&link),
    );
    Ok(html(&state, body))
}

/// `GET /outcome/{id}`: the outcome without script.
pub async fn outcome(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = state
        .inner
        .store
        .get(&id)?
        .ok_or_else(AppError::not_found)?;
    let now = state.inner.clock.now().timestamp();
    let current = record.effective_state(now);
    let scenario = &state.inner.config.scenario;
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title}</title>\
<style>{STYLE}</style></head><body data-state=\"{state_name}\"><h1>{title}</h1>\
<p id=\"status\" role=\"status\">{message}</p>{refresh}</body></html>",
        title = escape(&scenario.title),
        state_name = serde_json::to_value(current)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        message = escape(&describe(scenario, &record, current)),
        refresh = if current == RequestState::Pending {
            format!(
                "<p><a href=\"/outcome/{}\">Check again</a></p>",
                escape(&record.id)
            )
        } else {
            String::new()
        },
    );
    Ok(html(&state, body))
}

fn plain_value(value: &Value) -> String {
    match value {
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn reason(code: &str) -> &'static str {
    match code {
        "untrusted_issuer" => "the credential comes from an issuer this shop does not trust",
        "expired" => "the credential has expired",
        "not_yet_valid" => "the credential is not valid yet",
        "revoked" => "the credential has been revoked",
        "suspended" => "the credential is suspended",
        "status_unavailable" => "the credential's status could not be checked",
        "required_claim_missing" => "the answer did not show what was asked",
        "nonce_mismatch" => "the answer was not made for this request (or was used before)",
        "audience_mismatch" => "the answer was made for someone else",
        "key_binding_missing"
        | "key_binding_invalid"
        | "key_binding_signature_invalid"
        | "holder_mismatch" => "the credential was not presented by its holder",
        "signature_invalid"
        | "sd_hash_mismatch"
        | "disclosure_unreferenced"
        | "disclosure_malformed" => "the credential or the answer was altered",
        "wallet_declined" => "the wallet declined to share",
        "credential_too_old" => "the credential is older than this shop accepts",
        _ => "the answer could not be verified",
    }
}

/// The outcome in plain words, e.g. "Over 21: yes. Issued by Example DMV. Nothing else was
/// shared."
pub fn describe(scenario: &Scenario, record: &RequestRecord, state: RequestState) -> String {
    match state {
        RequestState::Pending => "Waiting for your wallet\u{2026}".into(),
        RequestState::Expired => {
            "This request expired before an answer arrived. Reload the page to try again.".into()
        }
        RequestState::Verified => {
            let mut parts = Vec::new();
            for credential in &record.credentials {
                for (name, value) in &credential.claims {
                    if credential.unrequested_claims.contains(name) {
                        continue;
                    }
                    let label = scenario
                        .claim_labels
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| name.clone());
                    parts.push(format!("{label}: {}.", plain_value(value)));
                }
                let issuer = scenario
                    .issuer_names
                    .get(&credential.issuer)
                    .cloned()
                    .unwrap_or_else(|| credential.issuer.clone());
                parts.push(format!("Issued by {issuer}."));
            }
            let extra: Vec<String> = record
                .credentials
                .iter()
                .flat_map(|c| c.unrequested_claims.iter())
                .map(|n| {
                    scenario
                        .claim_labels
                        .get(n)
                        .cloned()
                        .unwrap_or_else(|| n.clone())
                })
                .collect();
            if extra.is_empty() {
                parts.push("Nothing else was shared.".into());
            } else {
                parts.push(format!(
                    "Also shared, though not asked for: {}.",
                    extra.join(", ")
                ));
            }
            parts.join(" ")
        }
        RequestState::Rejected => {
            let mut reasons: Vec<&str> = Vec::new();
            for check in &record.failed_checks {
                let r = reason(&check.code);
                if !reasons.contains(&r) {
                    reasons.push(r);
                }
            }
            format!("Not verified: {}.", reasons.join("; "))
        }
    }
}
