//! The API's reference: the OpenAPI document as JSON (`/api/v1/openapi.json`), and the same
//! document as a page to read (`/api/v1/docs`), rendered here from it, so the two always agree.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use super::problem::KINDS;

/// The document, serialised once.
#[derive(Clone)]
struct Doc {
    json: Arc<String>,
    page: Arc<String>,
}

pub fn router<S: Clone + Send + Sync + 'static>(doc: Arc<utoipa::openapi::OpenApi>) -> axum::Router<S> {
    let json = doc.to_pretty_json().unwrap_or_else(|_| "{}".into());
    let value: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
    let doc = Doc {
        page: Arc::new(page(&value)),
        json: Arc::new(json),
    };
    axum::Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs_page))
        .with_state(doc)
}

async fn openapi_json(State(doc): State<Doc>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc.json.to_string()).into_response()
}

async fn docs_page(State(doc): State<Doc>) -> Html<String> {
    Html(doc.page.to_string())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Text with `code` spans, escaped.
fn prose(s: &str) -> String {
    esc(s)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code class=\"rounded bg-slate-100 px-1 font-mono text-xs\">{part}</code>")
            } else {
                part.to_string()
            }
        })
        .collect()
}

/// A schema in a few words: a type, `[Type]`, a link to a named schema, or its values.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!(
            "<a class=\"text-sky-700 underline\" href=\"#schema-{0}\">{0}</a>",
            esc(name)
        );
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let words: Vec<String> = values.iter().filter_map(Value::as_str).map(esc).collect();
        return format!("one of {}", words.join(", "));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(items) = schema.get(key).and_then(Value::as_array) {
            return items.iter().map(type_of).collect::<Vec<_>>().join(" or ");
        }
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!("[{}]", schema.get("items").map(type_of).unwrap_or_default())
        }
        Some(Value::String(t)) => esc(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(esc)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "object".into(),
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn page(doc: &Value) -> String {
    let mut out = String::new();
    let info = &doc["info"];
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} reference</title><link rel="stylesheet" href="/pkg/switchboard.css"></head>
<body class="bg-slate-50 text-slate-900"><main class="mx-auto max-w-4xl space-y-10 p-8">
<header><h1 class="text-2xl font-bold">{title} reference</h1><p class="mt-2 text-slate-700">{description}</p>
<p class="mt-2 text-sm text-slate-600">Base URL <code class="rounded bg-slate-100 px-1 font-mono text-xs">/api/v1</code>; the machine-readable document is <a class="text-sky-700 underline" href="/api/v1/openapi.json">openapi.json</a> (OpenAPI {version}).</p></header>"#,
        title = esc(info["title"].as_str().unwrap_or("API")),
        description = prose(info["description"].as_str().unwrap_or("")),
        version = esc(doc["openapi"].as_str().unwrap_or("3.1")),
    );
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    for tag in doc["tags"].as_array().into_iter().flatten() {
        let name = tag["name"].as_str().unwrap_or("");
        let _ = write!(
            out,
            r#"<section aria-labelledby="tag-{id}" class="space-y-4"><h2 id="tag-{id}" class="text-xl font-semibold">{name}</h2><p class="text-sm text-slate-600">{description}</p>"#,
            id = esc(&name.to_lowercase()),
            name = esc(name),
            description = prose(tag["description"].as_str().unwrap_or("")),
        );
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                if !op["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == name)) {
                    continue;
                }
                operation(&mut out, method, path, op);
            }
        }
        out.push_str("</section>");
    }
    out.push_str(r#"<section aria-labelledby="problems" class="space-y-3"><h2 id="problems" class="text-xl font-semibold">Problems</h2>
<p class="text-sm text-slate-600">Every error is <code class="rounded bg-slate-100 px-1 font-mono text-xs">application/problem+json</code> (RFC 9457): <code class="rounded bg-slate-100 px-1 font-mono text-xs">type</code>, <code class="rounded bg-slate-100 px-1 font-mono text-xs">title</code>, <code class="rounded bg-slate-100 px-1 font-mono text-xs">status</code>, <code class="rounded bg-slate-100 px-1 font-mono text-xs">detail</code>, and <code class="rounded bg-slate-100 px-1 font-mono text-xs">field</code> for invalid input.</p><dl class="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">"#);
    for (kind, title, what) in KINDS {
        let _ = write!(
            out,
            r#"<div id="problem-{kind}" class="grid grid-cols-[12rem_1fr] gap-4 px-4 py-2 text-sm"><dt class="font-medium">{title}</dt><dd class="text-slate-700">{what}</dd></div>"#,
            what = prose(what)
        );
    }
    out.push_str("</dl></section>");
    out.push_str(r#"<section aria-labelledby="schemas" class="space-y-4"><h2 id="schemas" class="text-xl font-semibold">Schemas</h2>"#);
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            schema_table(&mut out, name, schema);
        }
    }
    out.push_str("</section></main></body></html>");
    out
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let colour = match method {
        "get" => "bg-sky-100 text-sky-900",
        "delete" => "bg-red-100 text-red-900",
        _ => "bg-emerald-100 text-emerald-900",
    };
    let _ = write!(
        out,
        r#"<article class="rounded-lg border border-slate-200 bg-white p-4" data-testid="operation"><h3 class="flex flex-wrap items-baseline gap-2"><span class="rounded px-2 py-0.5 font-mono text-xs font-bold uppercase {colour}">{method}</span><code class="font-mono text-sm">{path}</code><span class="text-sm font-medium text-slate-700">{summary}</span></h3>"#,
        path = esc(path),
        summary = esc(op["summary"].as_str().unwrap_or("")),
    );
    if let Some(d) = op["description"].as_str() {
        let _ = write!(out, r#"<p class="mt-2 text-sm text-slate-700">{}</p>"#, prose(d));
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str(r#"<h4 class="mt-3 text-xs font-semibold uppercase text-slate-500">Parameters</h4><ul class="mt-1 space-y-1 text-sm">"#);
        for p in params {
            let _ = write!(
                out,
                r#"<li><code class="font-mono text-xs">{name}</code> <span class="text-xs text-slate-500">({place}{required}, {ty})</span> {description}</li>"#,
                name = esc(p["name"].as_str().unwrap_or("")),
                place = esc(p["in"].as_str().unwrap_or("")),
                required = if p["required"].as_bool() == Some(true) {
                    ", required"
                } else {
                    ""
                },
                ty = type_of(&p["schema"]),
                description = prose(p["description"].as_str().unwrap_or("")),
            );
        }
        out.push_str("</ul>");
    }
    if let Some(body) = op["requestBody"]["content"]["application/json"]["schema"].as_object() {
        let _ = write!(
            out,
            r#"<p class="mt-3 text-sm"><span class="text-xs font-semibold uppercase text-slate-500">Body</span> {}</p>"#,
            type_of(&Value::Object(body.clone()))
        );
    }
    out.push_str(r#"<h4 class="mt-3 text-xs font-semibold uppercase text-slate-500">Responses</h4><ul class="mt-1 space-y-1 text-sm">"#);
    if let Some(responses) = op["responses"].as_object() {
        for (code, r) in responses {
            let schema = r["content"]
                .as_object()
                .and_then(|c| c.values().next())
                .map(|c| type_of(&c["schema"]))
                .unwrap_or_default();
            let _ = write!(
                out,
                r#"<li><span class="font-mono text-xs font-semibold">{code}</span> {description} {schema}</li>"#,
                code = esc(code),
                description = prose(r["description"].as_str().unwrap_or("")),
            );
        }
    }
    out.push_str("</ul></article>");
}

fn schema_table(out: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        out,
        r#"<article id="schema-{id}" class="rounded-lg border border-slate-200 bg-white p-4"><h3 class="font-mono text-sm font-semibold">{name}</h3>"#,
        id = esc(name),
        name = esc(name),
    );
    if let Some(d) = schema["description"].as_str() {
        let _ = write!(out, r#"<p class="mt-1 text-sm text-slate-600">{}</p>"#, prose(d));
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match schema["properties"].as_object() {
        Some(props) => {
            out.push_str(r#"<table class="mt-2 w-full text-left text-sm"><thead><tr class="text-xs uppercase text-slate-500"><th scope="col" class="py-1 pr-4">Field</th><th scope="col" class="py-1 pr-4">Type</th><th scope="col" class="py-1">About</th></tr></thead><tbody class="divide-y divide-slate-100">"#);
            for (field, p) in props {
                let _ = write!(
                    out,
                    r#"<tr class="align-top"><td class="py-1 pr-4 font-mono text-xs">{field}{required}</td><td class="py-1 pr-4 text-xs">{ty}</td><td class="py-1 text-slate-700">{description}</td></tr>"#,
                    field = esc(field),
                    required = if required.contains(&field.as_str()) { "" } else { "?" },
                    ty = type_of(p),
                    description = prose(p["description"].as_str().unwrap_or("")),
                );
            }
            out.push_str("</tbody></table>");
        }
        None => {
            let _ = write!(out, r#"<p class="mt-1 text-sm">{}</p>"#, type_of(schema));
        }
    }
    out.push_str("</article>");
}
