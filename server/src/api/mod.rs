//! The REST API for integrators, under `/api/v1`: JSON in and out, an API token as
//! `Authorization: Bearer sb_…`, errors as `application/problem+json` (RFC 9457) naming the
//! field at fault, `Idempotency-Key` on every POST that creates something, and a rate limit per
//! token. The handlers call the same domain services as the console's pages, as the token's
//! member narrowed to the token's scopes (`Me::token_scopes`), so the API can never do what the
//! console would refuse that member.
//!
//! The OpenAPI 3.1 document is generated from the handlers and types here (`utoipa`): served at
//! `/api/v1/openapi.json`, and read as a page at `/api/v1/docs`.

mod contacts;
mod conversations;
mod directory;
mod docs;
mod problem;
pub mod tokens;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::{AppError, Me};

pub use problem::Problem;

use crate::store::Claim;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        version = "1",
        description = "Read and act on conversations, contacts and the team from your own systems. \
            Send an API token (made on the Integrations page) as `Authorization: Bearer sb_…`. \
            A token acts as the admin who made it, narrowed to the scopes it was given. \
            Errors are `application/problem+json`; a POST that creates something accepts an \
            `Idempotency-Key` header, and a retry with the same key gets the first answer."
    ),
    servers((url = "/api/v1")),
    components(schemas(Problem)),
    tags(
        (name = "Conversations", description = "The inbox: list, read, reply, take over, hand off, resolve"),
        (name = "Contacts", description = "The people who write in"),
        (name = "Workspace", description = "Channels, workflows, members and operator groups (read only)")
    )
)]
struct ApiDoc;

/// What every operation shares: the token, and the problems any call may answer with.
struct Conventions;

impl utoipa::Modify for Conventions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        let problem = |what: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(what)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Problem"))))
                            .build(),
                    )
                    .build(),
            )
        };
        let common = [
            ("400", "The request is not valid; `field` names what is wrong."),
            ("401", "No API token, or one that is unknown or revoked."),
            ("403", "The token (or its member) may not do this."),
            (
                "404",
                "Not found in the token's workspace, or not visible to its member.",
            ),
            ("409", "The request conflicts with the conversation's state."),
            ("429", "Over the token's rate limit; see `Retry-After`."),
        ];
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for (code, what) in common {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| problem(what));
                }
                op.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
                    "token",
                    Vec::<String>::new(),
                )]);
            }
        }
    }
}

/// The API's routes (to be nested at `/api/v1`) and its OpenAPI document.
pub fn router() -> axum::Router<AppState> {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(conversations::list, conversations::create))
        .routes(routes!(conversations::get))
        .routes(routes!(conversations::messages, conversations::send))
        .routes(routes!(conversations::take_over))
        .routes(routes!(conversations::restore))
        .routes(routes!(conversations::resolve))
        .routes(routes!(conversations::reopen))
        .routes(routes!(conversations::transfer))
        .routes(routes!(conversations::handoff))
        .routes(routes!(contacts::create))
        .routes(routes!(contacts::get, contacts::update))
        .routes(routes!(contacts::set_label, contacts::remove_label))
        .routes(routes!(contacts::set_data))
        .routes(routes!(contacts::add_identity))
        .routes(routes!(directory::channels))
        .routes(routes!(directory::workflows))
        .routes(routes!(directory::members))
        .routes(routes!(directory::groups))
        .split_for_parts();
    // After the routes are in: the conventions apply to every operation.
    let mut doc = doc;
    utoipa::Modify::modify(&Conventions, &mut doc);
    let doc = std::sync::Arc::new(doc);
    router
        .merge(docs::router(doc))
        .fallback(|| async { Problem::from(AppError::not_found("That API path")) })
}

/// The member behind the request's API token. Refuses the request (401) without a live token,
/// and (429) past the token's rate limit.
pub struct Caller {
    pub token_id: i64,
    pub me: Me,
}

impl Caller {
    /// Refuses (403) unless the token and its member both carry `scope`.
    pub fn require(&self, scope: app::Scope, action: &str) -> Result<(), Problem> {
        if self.me.can(scope) {
            Ok(())
        } else {
            Err(AppError::forbidden(action).into())
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| Problem::unauthenticated("Send an API token as `Authorization: Bearer sb_…`."))?;
        let (token_id, me) = state
            .services
            .api_tokens
            .caller(token)
            .await?
            .ok_or_else(|| Problem::unauthenticated("This API token is unknown or was revoked."))?;
        state.limits.api_request(token_id)?;
        Ok(Caller { token_id, me })
    }
}

/// A JSON body; a body that is not JSON, or not the JSON expected, is a 400 problem that says
/// what is wrong (serde names the field).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(Problem::invalid_body(&e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(Problem::invalid_body(&e.body_text())),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(Problem::from(AppError::invalid(
                "Content-Type",
                "send the body as application/json",
            ))),
            Err(other) => Err(Problem::invalid_body(&other.body_text())),
        }
    }
}

/// Query parameters, with a 400 problem naming what could not be read.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(Params(q.0)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(Problem::from(AppError::invalid("query", e.body_text())))
            }
            Err(e) => Err(Problem::from(AppError::invalid("query", e.body_text()))),
        }
    }
}

/// A numeric id in the path (`/conversations/{id}`).
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::from(AppError::invalid("id", e.body_text())))?;
        raw.parse()
            .map(PathId)
            .map_err(|_| Problem::from(AppError::invalid("id", format!("must be a whole number, not “{raw}”"))))
    }
}

/// The header a client sends to make a POST safe to retry.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Answers a POST that creates something (201 with `value`'s JSON), at most once per
/// `Idempotency-Key`: a retry with the same key and the same request gets the first answer
/// (with `Idempotent-Replayed: true`) and creates nothing; the same key with a different
/// request is refused. Without the header, the call simply runs.
pub async fn created_once<T, F>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    request: &[u8],
    call: F,
) -> Response
where
    T: Serialize,
    F: std::future::Future<Output = Result<T, Problem>>,
{
    let Some(key) = headers.get(IDEMPOTENCY_KEY) else {
        return match call.await {
            Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
            Err(p) => p.into_response(),
        };
    };
    let key = match key.to_str().map(str::trim) {
        Ok(k) if !k.is_empty() && k.len() <= 200 => k.to_string(),
        _ => {
            return Problem::from(AppError::invalid(
                "Idempotency-Key",
                "must be 1 to 200 visible characters",
            ))
            .into_response()
        }
    };
    let fingerprint: String = Sha256::digest(request).iter().map(|b| format!("{b:02x}")).collect();
    match state
        .store
        .claim_idempotency_key(caller.token_id, &key, &fingerprint)
        .await
    {
        Err(e) => return Problem::from(AppError::from(e)).into_response(),
        Ok(Claim::InProgress) => {
            return Problem::from(AppError::Conflict(
                "A request with this Idempotency-Key is still being answered; try again shortly.".into(),
            ))
            .into_response()
        }
        Ok(Claim::Answered {
            fingerprint: first,
            status,
            body,
        }) => {
            if first != fingerprint {
                return Problem::from(AppError::invalid(
                    "Idempotency-Key",
                    "was used before with a different request; use a new key for a new request",
                ))
                .into_response();
            }
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let content_type = if status.is_success() {
                "application/json"
            } else {
                "application/problem+json"
            };
            let mut res = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return res;
        }
        Ok(Claim::Fresh) => {}
    }
    let (status, body) = match call.await {
        Ok(v) => (
            StatusCode::CREATED,
            serde_json::to_string(&v).unwrap_or_else(|_| "null".into()),
        ),
        Err(p) => (p.status(), p.body()),
    };
    // An error of ours (a 5xx) or a rate limit frees the key for a retry; anything else is the
    // answer to this request for good.
    let keep = !(status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS);
    if let Err(e) = state
        .store
        .finish_idempotency_key(caller.token_id, &key, keep.then_some((status.as_u16(), body.as_str())))
        .await
    {
        tracing::error!(error = %e, "could not keep the answer to an idempotency key");
    }
    let content_type = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The bytes that identify a request for `created_once`: where it went and what it carried.
pub fn fingerprint(path: &str, body: &impl Serialize) -> Vec<u8> {
    let mut bytes = path.as_bytes().to_vec();
    bytes.push(0);
    bytes.extend(serde_json::to_vec(body).unwrap_or_default());
    bytes
}

/// Schemas for the plain-word enums of `app::lifecycle`, listing their values from the code.
pub(crate) mod words {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::Object;

    fn words(values: impl IntoIterator<Item = &'static str>, what: &str) -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values))
            .description(Some(what))
            .build()
    }

    pub fn status() -> Object {
        words(
            app::lifecycle::Status::ALL.iter().map(|s| s.as_str()),
            "open: the assistant answers; waiting: for a person; active: a person handles it; resolved",
        )
    }

    pub fn handler() -> Object {
        words(
            app::lifecycle::Handler::ALL.iter().map(|s| s.as_str()),
            "Who answers the customer",
        )
    }

    pub fn channel_kind() -> Object {
        words(
            app::lifecycle::ChannelKind::ALL.iter().map(|s| s.as_str()),
            "The channel's kind",
        )
    }

    pub fn sender_kind() -> Object {
        words(
            app::lifecycle::SenderKind::ALL.iter().map(|s| s.as_str()),
            "Who wrote it",
        )
    }

    pub fn delivery_status() -> Object {
        words(
            app::lifecycle::DeliveryStatus::ALL.iter().map(|s| s.as_str()),
            "How far a reply sent through a provider got",
        )
    }

    pub fn handoff_mode() -> Object {
        words(
            app::lifecycle::HandoffMode::ALL.iter().map(|s| s.as_str()),
            "How the workflow hands conversations to people",
        )
    }

    pub fn role() -> Object {
        words(app::Role::ALL.iter().map(|r| r.as_str()), "The member's role")
    }
}
