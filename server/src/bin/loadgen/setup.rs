//! What a run sets up over HTTP before it measures: operators signed in, visitors' tokens,
//! conversations taken over, operators' sockets watching them.

use super::*;

/// HTTP for the setup: signing in, visitor tokens, taking conversations over.
pub struct Http {
    pub client: reqwest::Client,
    pub base: String,
}

impl Http {
    pub fn new(addr: SocketAddr) -> Http {
        Http {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(64)
                .build()
                .expect("an HTTP client"),
            base: format!("http://{addr}"),
        }
    }

    pub async fn call(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Result<reqwest::Response, String> {
        let mut req = self.client.post(format!("{}/api/{endpoint}", self.base)).form(form);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.map_err(|e| format!("{endpoint}: {e}"))?;
        if !res.status().is_success() {
            return Err(format!(
                "{endpoint}: {} {}",
                res.status(),
                res.text().await.unwrap_or_default()
            ));
        }
        Ok(res)
    }

    pub async fn sign_in(&self, email: &str) -> Result<String, String> {
        let res = self
            .call("auth/sign_in", &[("email", email), ("password", PASSWORD)], None)
            .await?;
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("sb_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_string)
            .ok_or_else(|| format!("signing in as {email} gave no session"))
    }

    pub async fn visitor_token(&self) -> Result<String, String> {
        let res = self.call("widget/start", &[("key", "demo-web")], None).await?;
        res.json::<String>().await.map_err(|e| e.to_string())
    }
}

/// `count` visitor tokens: for Switchboard from its widget endpoint, for the relay made up.
pub async fn tokens(kind: Kind, http: &Http, count: usize, offset: usize) -> Result<Vec<String>, String> {
    if kind == Kind::Relay {
        return Ok((0..count).map(|i| format!("c{}", offset + i + 1)).collect());
    }
    stream::iter(0..count)
        .map(|_| http.visitor_token())
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Each conversation taken over by one of the accounts (by turns), so the assistant is quiet
/// and every visitor message is the human path: persisted, routed, pushed.
pub async fn take_over_all(http: &Http, cookies: &[Option<String>], ids: &[i64]) -> Result<(), String> {
    let results: Vec<Result<reqwest::Response, String>> = stream::iter(ids.iter().enumerate())
        .map(|(i, id)| {
            let cookie = cookies[i % cookies.len()].clone();
            async move {
                let id = id.to_string();
                http.call("inbox/take_over", &[("id", id.as_str())], cookie.as_deref())
                    .await
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    results.into_iter().map(|r| r.map(drop)).collect()
}

/// `count` operator sockets at `addr`, the conversations shared among them by turns, each
/// answering every visitor message it sees.
pub async fn operators_watching(
    addr: SocketAddr,
    cookies: &[Option<String>],
    count: usize,
    ids: &[i64],
    stats: &std::sync::Arc<Stats>,
) -> Result<Vec<clients::Tasks>, String> {
    let mut operators = Vec::new();
    for j in 0..count {
        let watch: Vec<i64> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| i % count == j)
            .map(|(_, c)| *c)
            .collect();
        operators.push(clients::operator(addr, cookies[j % cookies.len()].as_deref(), j, &watch, stats.clone()).await?);
    }
    Ok(operators)
}
