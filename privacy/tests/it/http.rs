//! HTTP API: `app(state)` with tower `oneshot`, and the analyst and admin flows on a real
//! socket.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use privacy::http::{AppState, OPENAPI_JSON, ROUTES, app, serve};
use privacy::service::Service;
use tower::ServiceExt;

use crate::common::{ADMIN, service_with, test_policy, visits_csv, visits_schema};

async fn send(
    router: axum::Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Body,
) -> (StatusCode, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let response = router.oneshot(req.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, json)
}

fn state(dir: &std::path::Path) -> (AppState, String) {
    let (service, _, token) = service_with(dir, 5.0, 10.0);
    (AppState::new(Arc::new(service), ADMIN).unwrap(), token)
}

#[tokio::test]
async fn health_and_openapi_document_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = state(dir.path());
    let (status, body) = send(app(state.clone()), "GET", "/health", None, Body::empty()).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, serde_json::json!({"status": "ok"}))
    );
    let (status, doc) = send(app(state), "GET", "/openapi.json", None, Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    let served: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
    assert_eq!(doc, served);
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    documented.sort();
    let mut routes: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    routes.sort();
    assert_eq!(documented, routes);
    assert!(doc["paths"]["/datasets/{name}/queries"]["post"].is_object());
}

#[tokio::test]
async fn malformed_bodies_are_stable_400s_and_spend_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = state(dir.path());
    let path = "/datasets/visits/queries";
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let bodies = [
        "{not json",
        r#"{"kind":"count","epsilon":NaN}"#,
        r#"{"kind":"count","epsilon":Infinity}"#,
        r#"{"kind":"count","epsilon":1e999}"#,
        r#"{"kind":"count","epsilon":"1"}"#,
        r#"{"kind":"count","epsilon":1,"unknown":true}"#,
        deep.as_str(),
    ];
    for body in bodies {
        let (status, json) = send(
            app(state.clone()),
            "POST",
            path,
            Some(&token),
            Body::from(body.to_owned()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:.40}: {json}");
        assert_eq!(json["code"], "invalid_json");
    }
    let invalid_utf8 = Body::from(vec![b'{', 0xff, 0xfe, b'}']);
    let (status, _) = send(app(state.clone()), "POST", path, Some(&token), invalid_utf8).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let big = format!(
        r#"{{"kind":"count","epsilon":1,"x":"{}"}}"#,
        "a".repeat(100_000)
    );
    let (status, json) = send(
        app(state.clone()),
        "POST",
        path,
        Some(&token),
        Body::from(big),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json["code"], "body_too_large");
    let (status, json) = send(
        app(state.clone()),
        "GET",
        "/datasets/visits/budget",
        Some(&token),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["analyst_spent"], 0.0);
    let (status, json) = send(app(state), "GET", "/nowhere", None, Body::empty()).await;
    assert_eq!(
        (status, json["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn authentication_failures_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let (state, token) = state(dir.path());
    let (status, json) = send(app(state.clone()), "GET", "/datasets", None, Body::empty()).await;
    assert_eq!(
        (status, json["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    // analyst tokens are not admin tokens and vice versa
    let (status, _) = send(
        app(state.clone()),
        "GET",
        "/admin/policy",
        Some(&token),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(
        app(state.clone()),
        "GET",
        "/datasets",
        Some(ADMIN),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for _ in 0..10 {
        let (status, _) = send(
            app(state.clone()),
            "GET",
            "/datasets",
            Some("pdp_guess"),
            Body::empty(),
        )
        .await;
        assert!(status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS);
    }
    // now even the right token is refused for this client address until the window passes
    let (status, json) = send(
        app(state.clone()),
        "GET",
        "/datasets",
        Some(&token),
        Body::empty(),
    )
    .await;
    assert_eq!(
        (status, json["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    let (status, _) = send(
        app(state),
        "GET",
        "/admin/policy",
        Some(ADMIN),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[test]
fn the_admin_token_must_be_a_real_credential() {
    let dir = tempfile::tempdir().unwrap();
    let service = Arc::new(Service::open(dir.path()).unwrap());
    for weak in ["", "   ", "short"] {
        assert!(matches!(
            AppState::new(service.clone(), weak),
            Err(privacy::Error::WeakAdminToken)
        ));
    }
}

struct Server {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(dir: &std::path::Path) -> Server {
    let service = Service::open(dir).unwrap();
    let state = AppState::new(Arc::new(service), ADMIN).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    Server {
        base,
        stop: Some(stop),
        task,
    }
}

impl Server {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        privacy::client::call(&self.base, method, path, token, body.as_ref())
            .await
            .unwrap()
    }

    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_and_analyst_flows_on_a_real_socket() {
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;

    // admin: a bad CSV is rejected with the line and column at fault
    let mut bad_csv = visits_csv(5, 1);
    bad_csv.push_str("p9,Nine,forty,F,2023,A,1.0,1,1.00\n");
    let (code, err) = server
        .call(
            "POST",
            "/admin/datasets",
            Some(ADMIN),
            Some(json!({"name": "visits", "schema": visits_schema(2), "csv": bad_csv, "epsilon_cap": 10})),
        )
        .await;
    assert_eq!(code, 400);
    assert_eq!(
        (
            err["code"].as_str(),
            err["line"].as_u64(),
            err["column"].as_str()
        ),
        (Some("invalid_csv"), Some(7), Some("age"))
    );
    assert!(
        !err["message"].as_str().unwrap().contains("forty"),
        "values are not echoed"
    );

    let (code, _) = server
        .call(
            "POST",
            "/admin/datasets",
            Some(ADMIN),
            Some(json!({"name": "visits", "schema": visits_schema(2), "csv": visits_csv(40, 3), "epsilon_cap": 10})),
        )
        .await;
    assert_eq!(code, 201);
    let (code, err) = server
        .call(
            "POST",
            "/admin/datasets",
            Some(ADMIN),
            Some(json!({"name": "visits", "schema": visits_schema(2), "csv": visits_csv(2, 1), "epsilon_cap": 10})),
        )
        .await;
    assert_eq!((code, err["code"].as_str()), (409, Some("already_exists")));
    let (code, _) = server
        .call(
            "PUT",
            "/admin/policy",
            Some(ADMIN),
            Some(serde_json::to_value(test_policy()).unwrap()),
        )
        .await;
    assert_eq!(code, 204);
    let (code, created) = server
        .call(
            "POST",
            "/admin/analysts",
            Some(ADMIN),
            Some(json!({"id": "alice", "team": "health"})),
        )
        .await;
    assert_eq!(code, 201);
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("pdp_") && token.len() == 68);
    let (code, err) = server
        .call(
            "PUT",
            "/admin/analysts/alice/budgets/visits",
            Some(ADMIN),
            Some(json!({"epsilon": -1})),
        )
        .await;
    assert_eq!((code, err["code"].as_str()), (400, Some("invalid_epsilon")));
    let (code, _) = server
        .call(
            "PUT",
            "/admin/analysts/alice/budgets/visits",
            Some(ADMIN),
            Some(json!({"epsilon": 3})),
        )
        .await;
    assert_eq!(code, 204);
    let (code, _) = server
        .call(
            "PUT",
            "/admin/datasets/visits/cap",
            Some(ADMIN),
            Some(json!({"epsilon": 20})),
        )
        .await;
    assert_eq!(code, 204);

    // analyst
    let (code, list) = server.call("GET", "/datasets", Some(&token), None).await;
    assert_eq!(code, 200);
    assert_eq!(list["datasets"][0]["name"], "visits");
    let (code, info) = server
        .call("GET", "/datasets/visits", Some(&token), None)
        .await;
    assert_eq!(code, 200);
    assert_eq!(info["schema"]["columns"][0]["tag"], "identifier");
    let (code, answer) = server
        .call(
            "POST",
            "/datasets/visits/queries",
            Some(&token),
            Some(json!({"kind": "count", "epsilon": 0.5, "group_by": ["sex"],
                        "filters": [{"column": "age", "between": [20, 80]}]})),
        )
        .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["epsilon_charged"], 0.5);
    assert_eq!(answer["results"].as_array().unwrap().len(), 2);
    assert_eq!(answer["results"][0]["group"], json!({"sex": "F"}));
    assert!(answer["results"][0]["half_width"].as_f64().unwrap() > 0.0);
    assert_eq!(answer["budget"]["analyst_remaining"], 2.5);
    // 40 persons x 3 rows, bounded to 2 rows each: 40 F+M persons -> 80 rows in total
    let total: f64 = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_f64().unwrap())
        .sum();
    assert!((total - 80.0).abs() < 60.0, "{total}");

    let (code, answer) = server
        .call(
            "POST",
            "/datasets/visits/queries",
            Some(&token),
            Some(json!({"kind": "quantile", "column": "lab", "quantile": 0.5,
                        "candidates": [0, 2.5, 5, 7.5, 10], "epsilon": 0.5})),
        )
        .await;
    assert_eq!(code, 200, "{answer}");
    assert!([0.0, 2.5, 5.0, 7.5, 10.0].contains(&answer["results"][0]["value"].as_f64().unwrap()));

    let (code, err) = server
        .call("GET", "/datasets/visits/rows", Some(&token), None)
        .await;
    assert_eq!(
        (code, err["code"].as_str()),
        (403, Some("raw_rows_refused"))
    );
    let (code, err) = server
        .call(
            "POST",
            "/datasets/visits/queries",
            Some(&token),
            Some(json!({"kind": "sum", "column": "pid", "epsilon": 0.1})),
        )
        .await;
    assert_eq!(
        (code, err["code"].as_str()),
        (403, Some("identifier_column_refused"))
    );
    let (code, err) = server
        .call(
            "POST",
            "/datasets/visits/queries",
            Some(&token),
            Some(json!({"kind": "mean", "column": "lab", "epsilon": 2.5})),
        )
        .await;
    assert_eq!(
        (code, err["code"].as_str()),
        (403, Some("budget_exhausted"))
    );

    let (code, budget) = server
        .call("GET", "/datasets/visits/budget", Some(&token), None)
        .await;
    assert_eq!(code, 200);
    assert_eq!(budget["analyst_spent"], 1.0);
    let (code, admin_view) = server
        .call(
            "GET",
            "/admin/analysts/alice/budgets/visits",
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(
        (code, admin_view["dataset_spent"].as_f64()),
        (200, Some(1.0))
    );
    let (code, releases) = server
        .call("GET", "/admin/releases?dataset=visits", Some(ADMIN), None)
        .await;
    assert_eq!(code, 200);
    let releases = releases["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 2);
    assert_eq!(releases[0]["analyst"], "alice");
    assert_eq!(releases[0]["query"]["kind"], "count");
    assert_eq!(releases[1]["epsilon"], 0.5);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_http_queries_where_only_k_fit_give_exactly_k_answers() {
    let dir = tempfile::tempdir().unwrap();
    {
        let _ = service_with(dir.path(), 3.0, 100.0);
    }
    let token = {
        let service = Service::open(dir.path()).unwrap();
        service
            .store()
            .rotate_token("alice")
            .unwrap()
            .expose()
            .to_owned()
    };
    let server = Arc::new(start(dir.path()).await);
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (base, token) = (server.base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            privacy::client::call(
                &base,
                "POST",
                "/datasets/visits/queries",
                Some(&token),
                Some(&serde_json::json!({"kind": "sum", "column": "lab", "epsilon": 1.0})),
            )
            .await
            .unwrap()
        }));
    }
    let mut ok = 0;
    let mut exhausted = 0;
    for t in tasks {
        let (code, body) = t.await.unwrap();
        match code {
            200 => ok += 1,
            403 if body["code"] == "budget_exhausted" => exhausted += 1,
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!((ok, exhausted), (3, 9));
    let (code, budget) = server
        .call("GET", "/datasets/visits/budget", Some(&token), None)
        .await;
    assert_eq!((code, budget["analyst_spent"].as_f64()), (200, Some(3.0)));
}
